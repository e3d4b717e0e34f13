package io.ncf.train;

import io.ncf.data.NcfDataset;
import io.ncf.core.ModelFileException;
import io.ncf.model.ModelIO;
import io.ncf.model.ModelKind;
import io.ncf.core.NeuMFConfig;
import io.ncf.model.ParamSet;
import io.ncf.model.Pretraining;
import io.ncf.serve.ModelArtifact;

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

    /** A checkpoint's parameters (flat, {@link io.ncf.core.ParamShapes} order) and the model variant that trained them. */
    public record Loaded(NeuMFConfig config, float[] flat, ModelKind kind) {
        /** The parameters as ND4J arrays (CPU engines, serving). */
        public ParamSet params() { return ParamSet.fromFlat(config, flat); }
    }

    /** {@link #load}'s parameters only. */
    public static ParamSet loadParams(Path file, NeuMFConfig requested, List<String> explicitFlags) {
        return load(file, requested, explicitFlags).params();
    }

    /**
     * Reads a checkpoint's parameters for a dataset. The model shape comes from the file; a shape flag the user
     * typed explicitly ({@code --factors}, {@code --layers}) must agree with it, and the user/item counts must
     * match the dataset. Dropout is a training setting and is taken from {@code requested}. Files written before
     * model variants existed are {@link ModelKind#NEUMF}.
     *
     * @throws IllegalArgumentException for a checkpoint that does not fit (a usage error)
     * @throws UncheckedIOException     when the file cannot be read or is corrupt
     */
    public static Loaded load(Path file, NeuMFConfig requested, List<String> explicitFlags) {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException("checkpoint " + file + " does not exist or is not a file");
        try {
            // a model artifact (model.zip) carries the same parameters, so either file can be resumed or tested
            boolean isArtifact = file.getFileName().toString().endsWith(".zip");
            ModelArtifact artifact = isArtifact ? ModelArtifact.read(file) : null;
            ModelIO.FlatLoaded loaded = isArtifact ? null : ModelIO.readFlat(file); // a model.ncf loads without ND4J (GPU path)
            Map<String, String> meta = isArtifact ? artifact.metadata() : loaded.meta();
            if (TrainingStateFile.KIND.equals(meta.get("kind")))
                throw new IllegalArgumentException(file + " is a training state (for --resume), not a model checkpoint; give model.ncf or model.zip");
            ModelKind kind = ModelKind.fromMetadata(meta);
            NeuMFConfig inFile = isArtifact ? artifact.config() : loaded.config();
            NeuMFConfig expected = new NeuMFConfig(requested.numUsers(), requested.numItems(),
                    explicitFlags.contains("--factors") ? requested.factors() : inFile.factors(),
                    explicitFlags.contains("--layers") ? requested.layers() : inFile.layers(), requested.dropout());
            try {
                ModelIO.requireCompatible(file, inFile, expected);
            } catch (ModelFileException e) {
                throw new IllegalArgumentException(e.getMessage(), e);
            }
            float[] flat = isArtifact ? artifact.flatParams() : loaded.section(PARAMS);
            return new Loaded(expected, flat, kind);
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    /**
     * NeuMF initialised from a trained GMF and a trained MLP checkpoint ({@link Pretraining}, α = 0.5). The GMF
     * file gives --factors and the MLP file --layers unless the user typed them (then they must agree).
     *
     * @throws IllegalArgumentException when a file is not of the expected kind or the shapes do not fit (a usage error)
     */
    public static Loaded loadPretrained(Path gmfFile, Path mlpFile, NeuMFConfig requested, List<String> explicitFlags) {
        // only the branch taken from a file must agree with the flags: a GMF model's MLP part is never read
        Loaded gmf = loadAs(gmfFile, "--pretrain-gmf", ModelKind.GMF, requested, without(explicitFlags, "--layers"));
        Loaded mlp = loadAs(mlpFile, "--pretrain-mlp", ModelKind.MLP, requested, without(explicitFlags, "--factors"));
        NeuMFConfig c = new NeuMFConfig(requested.numUsers(), requested.numItems(), gmf.config().factors(),
                mlp.config().layers(), requested.dropout());
        return new Loaded(c, Pretraining.combineFlat(gmf.flat(), gmf.config(), mlp.flat(), mlp.config(), c, Pretraining.DEFAULT_ALPHA), ModelKind.NEUMF);
    }

    private static List<String> without(List<String> flags, String flag) {
        return flags.stream().filter(f -> !f.equals(flag)).toList();
    }

    private static Loaded loadAs(Path file, String flag, ModelKind want, NeuMFConfig requested, List<String> explicitFlags) {
        Loaded l;
        try {
            l = load(file, requested, explicitFlags);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(flag + ": " + e.getMessage(), e);
        }
        if (l.kind() != want)
            throw new IllegalArgumentException(flag + " " + file + " holds a " + l.kind() + " model, not a " + want
                    + " model (train one with 'ncf train --model " + want + " --checkpoint-dir DIR' and give DIR/" + MODEL_FILE + ")");
        return l;
    }

    /**
     * Writes {@code dir/model.ncf} (parameters, for {@code --load-checkpoint-path}) and {@code dir/model.zip} (the
     * servable {@link ModelArtifact}: parameters plus id vocabularies, seen items and popularity, for
     * {@code ncf recommend} / {@code ncf evaluate}) atomically at every new best HR.
     */
    public static TrainingListener bestModelWriter(Path dir, NcfDataset data, TrainingOptions o, boolean demo) {
        return bestModelWriter(dir, data, o, demo, ModelKind.NEUMF);
    }

    /** As above, recording the model variant in both files' metadata. */
    public static TrainingListener bestModelWriter(Path dir, NcfDataset data, TrainingOptions o, boolean demo, ModelKind kind) {
        Path file = dir.resolve(MODEL_FILE);
        return new TrainingListener() {
            @Override public void onNewBest(EpochReport r, NeuMFConfig config, float[] params) {
                writeBestFlat(dir, data, o, demo, r, config, params, kind);
            }
        };
    }

    /**
     * What {@link #bestModelWriter} writes, for parameters held as one flat array in {@link io.ncf.core.ParamShapes}
     * order (every engine's snapshot form): {@code model.ncf} and {@code model.zip}, without loading ND4J.
     */
    public static void writeBestFlat(Path dir, NcfDataset data, TrainingOptions o, boolean demo, EpochReport r, NeuMFConfig config, float[] flat,
                                     ModelKind kind) {
        Path file = dir.resolve(MODEL_FILE);
        Map<String, String> meta = bestMeta(r, data, o, demo, kind);
        try {
            Files.createDirectories(dir);
            ModelIO.writeFlat(file, config, meta, PARAMS, flat);
            io.ncf.model.Artifacts.writeFlat(dir.resolve(ModelArtifact.FILE_NAME), config, flat, data, meta);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint " + file + ": " + e.getMessage(), e);
        }
    }

    private static Map<String, String> bestMeta(EpochReport r, NcfDataset data, TrainingOptions o, boolean demo, ModelKind kind) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(ModelKind.METADATA_KEY, kind.id());
        meta.put("epoch", Integer.toString(r.epoch()));
        meta.put("hr", Double.toString(r.hitRate()));
        meta.put("ndcg", Double.toString(r.ndcg()));
        meta.put("topk", Integer.toString(o.topK()));
        meta.put("seed", Long.toString(o.seed()));
        meta.put("data", demo ? "demo" : data.info().source());
        meta.put("created", java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
        return meta;
    }
}
