package io.ncf.train;

import io.ncf.model.ParamSet;
import io.ncf.model.TrainingEngine;
import io.ncf.model.samediff.SameDiffEngine;

/** The compute engines selectable with {@code --engine}; {@link Engines} builds them. */
public enum EngineKind {
    /** Hand-written forward/backward over sgemm (MKL or OpenBLAS, see io.ncf.model.fused.Blas) with fused Java kernels: the CPU hot path. */
    FUSED("fused", 16_384),
    /** The SameDiff graph: the definition of NeuMF, runs on any ND4J backend and in HALF. */
    SAMEDIFF("samediff", SameDiffEngine.DEFAULT_MICRO_BATCH),
    /**
     * NVIDIA GPUs through ncf-cuda (JavaCPP's CUDA 13 presets): not a {@link TrainingEngine}, the command line runs
     * ncf-cuda's own training loop (parameters, Adam state and sampling stay on the device), so {@link Engines}
     * refuses it. Whole global batches go through the GPU at once: there are no micro-batches.
     */
    CUDA("cuda", 1 << 20);

    private final String cliName;
    private final int defaultMicroBatch;

    EngineKind(String cliName, int defaultMicroBatch) {
        this.cliName = cliName;
        this.defaultMicroBatch = defaultMicroBatch;
    }

    /** A single FLOAT engine of this kind on all cores (see {@link Engines#create} for fp16 and workers). */
    public TrainingEngine create(ParamSet params, int microBatch) { return Engines.create(this, params, microBatch, false, 1); }

    public int defaultMicroBatch() { return defaultMicroBatch; }

    @Override public String toString() { return cliName; }

    /** Accepts the CLI spelling (picocli also calls valueOf with it). */
    public static EngineKind parse(String s) {
        for (EngineKind k : values()) if (k.cliName.equalsIgnoreCase(s) || k.name().equalsIgnoreCase(s)) return k;
        throw new IllegalArgumentException("unknown engine '" + s + "' (expected fused, samediff or cuda)");
    }
}
