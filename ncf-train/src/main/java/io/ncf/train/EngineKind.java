package io.ncf.train;

import io.ncf.model.ParamSet;
import io.ncf.model.TrainingEngine;
import io.ncf.model.fused.FusedCpuEngine;
import io.ncf.model.samediff.SameDiffEngine;

/** The compute engines selectable with {@code --engine}. */
public enum EngineKind {
    /** Hand-written forward/backward over ND4J's gemm with fused Java kernels: the CPU hot path. */
    FUSED("fused", 16_384) {
        @Override public TrainingEngine create(ParamSet params, int microBatch) {
            return new FusedCpuEngine(params, microBatch, Runtime.getRuntime().availableProcessors());
        }
    },
    /** The SameDiff graph: the definition of NeuMF, runs on any ND4J backend. */
    SAMEDIFF("samediff", SameDiffEngine.DEFAULT_MICRO_BATCH) {
        @Override public TrainingEngine create(ParamSet params, int microBatch) { return new SameDiffEngine(params, microBatch); }
    };

    private final String cliName;
    private final int defaultMicroBatch;

    EngineKind(String cliName, int defaultMicroBatch) {
        this.cliName = cliName;
        this.defaultMicroBatch = defaultMicroBatch;
    }

    public abstract TrainingEngine create(ParamSet params, int microBatch);

    public int defaultMicroBatch() { return defaultMicroBatch; }

    @Override public String toString() { return cliName; }

    /** Accepts the CLI spelling (picocli also calls valueOf with it). */
    public static EngineKind parse(String s) {
        for (EngineKind k : values()) if (k.cliName.equalsIgnoreCase(s) || k.name().equalsIgnoreCase(s)) return k;
        throw new IllegalArgumentException("unknown engine '" + s + "' (expected fused or samediff)");
    }
}
