package io.ncf.train;

import io.ncf.core.ModelFileException;
import io.ncf.model.ModelIO;
import io.ncf.core.NeuMFConfig;
import io.ncf.train.engine.EngineState;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code DIR/state.ncf}: the resumable state of a run, one ModelIO file (checksummed, written to a temporary
 * file and renamed, so a kill mid-write leaves the previous epoch's state). Sections hold the parameters and
 * Adam's two moments; metadata holds the counters, the {@link TrainingOptions} and whatever the caller needs
 * to rebuild the run (engine, data source, …) under {@code run.} keys.
 */
public final class TrainingStateFile {

    public static final String FILE = "state.ncf";
    static final String KIND = "ncf-training-state";
    static final String PARAMS = "params", ADAM_M = "adam_m", ADAM_V = "adam_v";

    /** A state read back, with the options and the caller's run metadata. */
    public record Loaded(TrainingState state, TrainingOptions options, Map<String, String> run) {}

    private TrainingStateFile() {}

    public static Path in(Path dir) { return dir.resolve(FILE); }

    public static void write(Path dir, TrainingState s, TrainingOptions o, Map<String, String> run) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("kind", KIND);
        m.put("next_epoch", Integer.toString(s.nextEpoch()));
        m.put("global_step", Long.toString(s.globalStep()));
        m.put("adam_step", Long.toString(s.adamStep()));
        EngineState es = s.engine();
        if (es.hasLossScale()) {
            m.put("loss_scale", Integer.toString(Float.floatToRawIntBits(es.lossScale())));
            m.put("loss_scale_good_steps", Integer.toString(es.lossScaleGoodSteps()));
        }
        m.put("best_hr", Double.toString(s.bestHr()));
        m.put("best_ndcg", Double.toString(s.bestNdcg()));
        m.put("best_epoch", Integer.toString(s.bestEpoch()));
        m.put("first_to_hit", Integer.toString(s.firstToHit()));
        m.put("time_to_train", Double.toString(s.timeToTrain()));
        m.put("time_to_best", Double.toString(s.timeToBest()));
        m.put("elapsed", Double.toString(s.elapsedSeconds()));
        m.put("opt.epochs", Integer.toString(o.epochs()));
        m.put("opt.batch", Integer.toString(o.batchSize()));
        m.put("opt.negatives", Integer.toString(o.negatives()));
        // floats as raw bits: a decimal round trip must not change the learning rate by an ulp
        m.put("opt.lr", Integer.toString(Float.floatToRawIntBits(o.learningRate())));
        m.put("opt.beta1", Integer.toString(Float.floatToRawIntBits(o.beta1())));
        m.put("opt.beta2", Integer.toString(Float.floatToRawIntBits(o.beta2())));
        m.put("opt.eps", Integer.toString(Float.floatToRawIntBits(o.eps())));
        m.put("opt.topk", Integer.toString(o.topK()));
        m.put("opt.valid_users_per_batch", Integer.toString(o.validUsersPerBatch()));
        m.put("opt.eval_after", Integer.toString(o.evalAfter()));
        m.put("opt.target", Long.toString(Double.doubleToRawLongBits(o.target())));
        m.put("opt.verify_negatives", Boolean.toString(o.verifyNegatives()));
        m.put("opt.seed", Long.toString(o.seed()));
        m.put("opt.micro_batch", Integer.toString(o.microBatch()));
        m.put("opt.l2_embedding", Integer.toString(Float.floatToRawIntBits(o.embeddingL2())));
        m.put("opt.l2_weights", Integer.toString(Float.floatToRawIntBits(o.weightL2())));
        m.put("opt.optimizer", o.optimizer().id());
        for (var e : run.entrySet()) m.put("run." + e.getKey(), e.getValue());
        Map<String, float[]> sections = new LinkedHashMap<>();
        sections.put(PARAMS, es.params());
        if (es.hasMoments()) {
            sections.put(ADAM_M, es.adamM());
            sections.put(ADAM_V, es.adamV());
        }
        Path file = in(dir);
        try {
            Files.createDirectories(dir);
            ModelIO.writeFlat(file, es.config(), m, sections);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write training state " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads {@code dir/state.ncf}.
     *
     * @throws IllegalArgumentException when there is no state to resume (a usage error)
     * @throws UncheckedIOException     when the file is truncated, corrupt or not a training state
     */
    public static Loaded read(Path dir) {
        Path file = in(dir);
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException("--resume " + dir + " is not a directory (give the --checkpoint-dir of a run)");
        if (!Files.isRegularFile(file))
            throw new IllegalArgumentException("--resume " + dir + " holds no " + FILE + ": no epoch of a run with --checkpoint-dir " + dir + " completed yet");
        try {
            ModelIO.FlatLoaded l = ModelIO.readFlat(file);
            Map<String, String> m = l.meta();
            if (!KIND.equals(m.get("kind"))) throw new ModelFileException(file + " is a model file, not a training state");
            Field f = new Field(file, m);
            TrainingOptions o = new TrainingOptions(f.i("opt.epochs"), f.i("opt.batch"), f.i("opt.negatives"), f.f("opt.lr"),
                    f.f("opt.beta1"), f.f("opt.beta2"), f.f("opt.eps"), f.i("opt.topk"), f.i("opt.valid_users_per_batch"),
                    f.i("opt.eval_after"), Double.longBitsToDouble(f.l("opt.target")), Boolean.parseBoolean(f.s("opt.verify_negatives")),
                    f.l("opt.seed"), f.i("opt.micro_batch"),
                    // states written before regularization existed trained without it
                    m.containsKey("opt.l2_embedding") ? f.f("opt.l2_embedding") : 0f, m.containsKey("opt.l2_weights") ? f.f("opt.l2_weights") : 0f,
                    m.containsKey("opt.optimizer") ? Optimizer.parse(f.s("opt.optimizer")) : Optimizer.ADAM);
            NeuMFConfig c = l.config();
            Map<String, String> run = new LinkedHashMap<>();
            for (var e : m.entrySet()) if (e.getKey().startsWith("run.")) run.put(e.getKey().substring(4), e.getValue());
            // the loss scale: written by the loop since the engine seam; before it, by the command line under run.*
            float scale = Float.NaN;
            int good = 0;
            if (m.containsKey("loss_scale")) {
                scale = f.f("loss_scale");
                good = f.i("loss_scale_good_steps");
            } else if (run.containsKey("loss_scale_state")) {
                scale = Float.intBitsToFloat(Integer.parseInt(run.get("loss_scale_state")));
                good = Integer.parseInt(run.getOrDefault("loss_scale_good_steps", "0"));
            }
            float[] params = l.section(PARAMS);
            for (float v : params) if (!Float.isFinite(v)) throw new ModelFileException(file + ": parameters are not finite");
            boolean moments = l.sections().containsKey(ADAM_M);
            EngineState es = new EngineState(c, params, moments ? l.section(ADAM_M) : null, moments ? l.section(ADAM_V) : null,
                    f.l("adam_step"), scale, good);
            TrainingState s = new TrainingState(f.i("next_epoch"), f.l("global_step"), f.d("best_hr"), f.d("best_ndcg"),
                    f.i("best_epoch"), f.i("first_to_hit"), f.d("time_to_train"), f.d("time_to_best"), f.d("elapsed"), es);
            return new Loaded(s, o, run);
        } catch (IllegalArgumentException e) {
            throw new UncheckedIOException(new IOException("training state " + file + " is inconsistent: " + e.getMessage(), e));
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    private record Field(Path file, Map<String, String> m) {
        String s(String k) throws ModelFileException {
            String v = m.get(k);
            if (v == null) throw new ModelFileException(file + ": training state lacks '" + k + "'");
            return v;
        }

        long l(String k) throws ModelFileException {
            try {
                return Long.parseLong(s(k));
            } catch (NumberFormatException e) {
                throw new ModelFileException(file + ": training state field '" + k + "' is not an integer: " + m.get(k));
            }
        }

        int i(String k) throws ModelFileException {
            long v = l(k);
            if (v != (int) v) throw new ModelFileException(file + ": training state field '" + k + "' out of range: " + v);
            return (int) v;
        }

        float f(String k) throws ModelFileException { return Float.intBitsToFloat(i(k)); }

        double d(String k) throws ModelFileException {
            try {
                return Double.parseDouble(s(k));
            } catch (NumberFormatException e) {
                throw new ModelFileException(file + ": training state field '" + k + "' is not a number: " + m.get(k));
            }
        }
    }
}
