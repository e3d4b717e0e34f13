package io.ncf.train;

import io.ncf.model.ParamSet;
import io.ncf.model.GradientEngine;
import io.ncf.model.samediff.SameDiffEngine;

/**
 * The host-side gradient kernels ({@link GradientEngine}s) of the CPU engines; {@link Engines} builds them. The
 * engines users select are plug-ins ({@link io.ncf.train.engine.EngineRegistry}); this enum is what the two CPU
 * providers and the benchmarks build on.
 */
public enum EngineKind {
    /** Hand-written forward/backward over sgemm (MKL or OpenBLAS, see io.ncf.core.blas.Blas) with fused Java kernels: the CPU hot path. */
    FUSED("fused", 16_384),
    /** The SameDiff graph: the definition of NeuMF, runs on any ND4J backend and in HALF. */
    SAMEDIFF("samediff", SameDiffEngine.DEFAULT_MICRO_BATCH);


    private final String cliName;
    private final int defaultMicroBatch;

    EngineKind(String cliName, int defaultMicroBatch) {
        this.cliName = cliName;
        this.defaultMicroBatch = defaultMicroBatch;
    }

    /** A single FLOAT engine of this kind on all cores (see {@link Engines#create} for fp16 and workers). */
    public GradientEngine create(ParamSet params, int microBatch) { return Engines.create(this, params, microBatch, false, 1); }

    public int defaultMicroBatch() { return defaultMicroBatch; }

    @Override public String toString() { return cliName; }

    /** Accepts the CLI spelling (picocli also calls valueOf with it). */
    public static EngineKind parse(String s) {
        for (EngineKind k : values()) if (k.cliName.equalsIgnoreCase(s) || k.name().equalsIgnoreCase(s)) return k;
        throw new IllegalArgumentException("unknown CPU kernel '" + s + "' (expected fused or samediff)");
    }
}
