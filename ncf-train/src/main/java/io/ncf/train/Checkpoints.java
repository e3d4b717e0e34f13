package io.ncf.train;

import io.ncf.data.NcfDataset;
import io.ncf.model.ModelFileException;
import io.ncf.model.ModelIO;
import io.ncf.model.NeuMFConfig;
import io.ncf.model.ParamSet;
import io.ncf.model.serve.ModelArtifact;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The best-model checkpoint of a run ({@code --checkpoint-dir}) and loading one back. */
public final class Checkpoints {

    public static final String MODEL_FILE = "model.ncf";
    public static final String PARAMS = "params";

    private Checkpoints() {}

    /**
     * Reads a checkpoint's parameters for a dataset. The model shape comes from the file; a shape flag the user
     * typed explicitly ({@code --factors}, {@code --layers}) must agree with it, and the user/item counts must
     * match the dataset. Dropout is a training setting and is taken from {@code requested}.
     *
     * @throws IllegalArgumentException for a checkpoint that does not fit (a usage error)
     * @throws UncheckedIOException     when the file cannot be read or is corrupt
     */
    public static ParamSet loadParams(Path file, NeuMFConfig requested, List<String> explicitFlags) {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException("checkpoint " + file + " does not exist or is not a file");
        try {
            // a model artifact (model.zip) carries the same parameters, so either file can be resumed or tested
            boolean isArtifact = file.getFileName().toString().endsWith(".zip");
            ModelArtifact artifact = isArtifact ? ModelArtifact.read(file) : null;
            ModelIO.Loaded loaded = isArtifact ? null : ModelIO.read(file);
            NeuMFConfig inFile = isArtifact ? artifact.config() : loaded.config();
            NeuMFConfig expected = new NeuMFConfig(requested.numUsers(), requested.numItems(),
                    explicitFlags.contains("--factors") ? requested.factors() : inFile.factors(),
                    explicitFlags.contains("--layers") ? requested.layers() : inFile.layers(), requested.dropout());
            try {
                ModelIO.requireCompatible(file, inFile, expected);
            } catch (ModelFileException e) {
                throw new IllegalArgumentException(e.getMessage(), e);
            }
            ParamSet p = isArtifact ? artifact.params() : loaded.section(PARAMS);
            return ParamSet.of(expected, p.asMap());
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    /**
     * Writes {@code dir/model.ncf} (parameters, for {@code --load-checkpoint-path}) and {@code dir/model.zip} (the
     * servable {@link ModelArtifact}: parameters plus id vocabularies, seen items and popularity, for
     * {@code ncf recommend} / {@code ncf evaluate}) atomically at every new best HR.
     */
    public static TrainingListener bestModelWriter(Path dir, NcfDataset data, TrainingOptions o, boolean demo) {
        Path file = dir.resolve(MODEL_FILE);
        return new TrainingListener() {
            @Override public void onNewBest(EpochReport r, ParamSet params) {
                Map<String, String> meta = bestMeta(r, data, o, demo);
                try {
                    Files.createDirectories(dir);
                    ModelIO.write(file, params.config(), meta, Map.of(PARAMS, params));
                    ModelArtifact.of(params, data, meta).write(dir.resolve(ModelArtifact.FILE_NAME));
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot write checkpoint " + file + ": " + e.getMessage(), e);
                }
            }
        };
    }

    /**
     * What {@link #bestModelWriter} writes, for parameters held as one flat array in {@link io.ncf.model.ParamShapes}
     * order (the GPU engine's layout): the same two files, byte for byte, without loading ND4J.
     */
    public static void writeBestFlat(Path dir, NcfDataset data, TrainingOptions o, boolean demo, EpochReport r, NeuMFConfig config, float[] flat) {
        Path file = dir.resolve(MODEL_FILE);
        Map<String, String> meta = bestMeta(r, data, o, demo);
        try {
            Files.createDirectories(dir);
            ModelIO.writeFlat(file, config, meta, PARAMS, flat);
            ModelArtifact.writeFlat(dir.resolve(ModelArtifact.FILE_NAME), config, flat, data, meta);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint " + file + ": " + e.getMessage(), e);
        }
    }

    private static Map<String, String> bestMeta(EpochReport r, NcfDataset data, TrainingOptions o, boolean demo) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("epoch", Integer.toString(r.epoch()));
        meta.put("hr", Double.toString(r.hitRate()));
        meta.put("ndcg", Double.toString(r.ndcg()));
        meta.put("topk", Integer.toString(o.topK()));
        meta.put("seed", Long.toString(o.seed()));
        meta.put("data", demo ? "demo" : data.info().source());
        return meta;
    }
}
