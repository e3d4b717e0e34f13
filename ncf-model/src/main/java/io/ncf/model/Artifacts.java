package io.ncf.model;

import io.ncf.core.NeuMFConfig;
import io.ncf.data.NcfDataset;
import io.ncf.serve.ModelArtifact;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Between the trainer's {@link ParamSet} and the servable {@link ModelArtifact} (ncf-core, which knows no ND4J): the
 * artifact of a trained model and its data set, and an artifact's parameters as ND4J arrays again.
 */
public final class Artifacts {

    private Artifacts() {}

    /** The artifact of a model trained on {@code data}: its vocabularies, its seen items, popularity counted over them. */
    public static ModelArtifact of(ParamSet params, NcfDataset data, Map<String, String> metadata) {
        return new ModelArtifact(params.config(), params.toFlat(), data.userIds(), data.itemIds(), data.seen(),
                ModelArtifact.popularity(data.seen(), data.numItems()), metadata);
    }

    /** The artifact's parameters as ND4J arrays (this starts ND4J). */
    public static ParamSet params(ModelArtifact artifact) { return ParamSet.fromFlat(artifact.config(), artifact.flatParams()); }

    /**
     * Writes the artifact of a model trained on {@code data} whose parameters are given flat, in ParamShapes order:
     * byte for byte what {@code of(params, data, metadata).write(file)} writes for those values. Loads no ND4J class,
     * so the GPU path writes it without ND4J's native libraries.
     */
    public static void writeFlat(Path file, NeuMFConfig config, float[] flat, NcfDataset data, Map<String, String> metadata) throws IOException {
        ModelArtifact.writeFlat(file, config, flat, data.userIds(), data.itemIds(), data.seen(),
                ModelArtifact.popularity(data.seen(), data.numItems()), metadata);
    }
}
