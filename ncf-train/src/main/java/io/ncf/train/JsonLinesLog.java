package io.ncf.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The machine-readable log ({@code --log-path}): one JSON object per line — the run's parameters, one
 * record per epoch, the summary. Appends and flushes every record, so a killed run keeps what it logged.
 */
public final class JsonLinesLog implements TrainingListener, AutoCloseable {

    private final Path path;
    private final Writer out;
    private final java.util.List<java.util.function.Supplier<Map<String, ?>>> epochFields = new java.util.ArrayList<>();

    public JsonLinesLog(Path path, Map<String, ?> parameters) {
        this.path = path;
        try {
            Path parent = path.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            out = Files.newBufferedWriter(path, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open --log-path " + path + ": " + e.getMessage(), e);
        }
        Map<String, Object> rec = new LinkedHashMap<>();
        rec.put("type", "parameters");
        rec.putAll(parameters);
        write(rec);
    }

    /** Extra fields for every epoch record (e.g. the loss scale), read when the epoch ends. */
    public JsonLinesLog addEpochFields(java.util.function.Supplier<Map<String, ?>> fields) {
        epochFields.add(fields);
        return this;
    }

    @Override public void onWarning(String message) { write(Map.of("type", "warning", "message", message)); }

    @Override public void onEpoch(EpochReport r) {
        Map<String, Object> rec = new LinkedHashMap<>();
        rec.put("type", "epoch");
        rec.put("epoch", r.epoch());
        rec.put("train_time", r.trainSeconds());
        rec.put("train_samples", r.samples());
        rec.put("train_throughput", r.trainThroughput());
        rec.put("steps", r.steps());
        rec.put("loss", r.loss());
        rec.put("evaluated", r.evaluated());
        if (r.evaluated()) {
            rec.put("eval_time", r.evalSeconds());
            rec.put("eval_throughput", r.evalThroughput());
            rec.put("hr", r.hitRate());
            rec.put("ndcg", r.ndcg());
            rec.put("new_best", r.newBest());
        }
        for (var f : epochFields) rec.putAll(f.get());
        write(rec);
    }

    @Override public void onEnd(TrainingSummary s) {
        Map<String, Object> rec = new LinkedHashMap<>();
        rec.put("type", "summary");
        rec.put("min_train_time", s.minTrainTime());
        rec.put("avg_train_time", s.avgTrainTime());
        rec.put("avg_train_throughput", s.avgTrainThroughput());
        rec.put("min_eval_time", s.minEvalTime());
        rec.put("avg_eval_time", s.avgEvalTime());
        rec.put("avg_eval_throughput", s.avgEvalThroughput());
        rec.put("first_epoch_to_hit", s.firstEpochToHit() < 0 ? null : s.firstEpochToHit());
        rec.put("time_to_train", s.timeToTrain());
        rec.put("time_to_best", s.timeToBest());
        rec.put("best_hr", s.bestHitRate());
        rec.put("best_ndcg", s.bestNdcg());
        rec.put("best_epoch", s.bestEpoch());
        rec.put("total_time", s.totalSeconds());
        write(rec);
    }

    public void write(Map<String, ?> record) {
        try {
            out.write(Json.object(record));
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write --log-path " + path + ": " + e.getMessage(), e);
        }
    }

    @Override public void close() {
        try { out.close(); } catch (IOException e) { throw new UncheckedIOException(e); }
    }
}
