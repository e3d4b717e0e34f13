package io.ncf.spark.train;

import io.ncf.core.blas.Blas;
import io.ncf.train.engine.EngineSetup;
import io.ncf.train.engine.Feature;
import io.ncf.train.engine.TrainingEngine;
import io.ncf.train.engine.UnsupportedFeatureException;
import io.ncf.train.host.HostTrainingEngine;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Opens the training engine of a Spark fit: the host engine of {@code ncf train} (sampling plan, Adam, weight decay,
 * evaluation on the driver) over a {@link SparkGradientKernel}, so a fit with one shard computes what {@code ncf train
 * --engine fused} computes, and {@link io.ncf.train.Trainer} — the one training loop — drives it.
 */
public final class SparkTraining {

    /** The engine name in logs and errors. */
    public static final String ENGINE = "spark";

    private SparkTraining() {}

    /** How a step's shard gradients are summed. */
    public enum SyncMode {
        /**
         * One barrier job per epoch: the tasks start together, keep whole replicas, exchange gradients every step through
         * {@code BarrierTaskContext.allGather} and each take the same Adam step ({@link BarrierTrainingEngine}).
         */
        BARRIER,
        /**
         * One ordinary Spark job per step: tasks send their gradients to the driver, which sums them, steps and broadcasts
         * the parameters ({@link SparkGradientKernel}). Needs no barrier scheduling (works under dynamic allocation, with
         * fewer task slots than shards) at a Spark job and a parameter broadcast per step.
         */
        JOB;

        public static SyncMode parse(String s) {
            for (SyncMode m : values()) if (m.name().equalsIgnoreCase(s)) return m;
            throw new IllegalArgumentException("syncMode must be 'barrier' or 'job', got '" + s + "'");
        }
    }

    /** The executors' engine: the fused CPU kernel, or one GPU per task (ncf-cuda, the tasks one NCCL group). */
    public enum Device { FUSED, CUDA }

    public static TrainingEngine open(JavaSparkContext jsc, EngineSetup s, int shards, int driverThreads, SyncMode mode, Device device) {
        if (s.fp16())
            throw new UnsupportedFeatureException(ENGINE, Feature.FP16, "executors run the fused CPU kernel, which computes in FLOAT");
        if (s.workers() != 1)
            throw new UnsupportedFeatureException(ENGINE, Feature.WORKERS, "the Spark engine splits a step over shards (numShards), not in-process workers");
        if (s.kind() != io.ncf.model.ModelKind.NEUMF)
            throw new UnsupportedFeatureException(ENGINE, Feature.MODEL_VARIANTS, "the Spark estimator trains NeuMF");
        if (device == Device.CUDA) {
            if (mode != SyncMode.BARRIER)
                throw new UnsupportedFeatureException(ENGINE, Feature.WORKERS, "the GPU executors run in barrier mode (one task per GPU, NCCL between them); set syncMode to 'barrier'");
            return new BarrierTrainingEngine(jsc, "spark (barrier): " + shards + " GPU" + (shards == 1 ? "" : "s") + " on " + jsc.master()
                    + ", ncf-cuda FP32, NCCL across tasks", s, shards, driverThreads, true);
        }
        int mb = s.options().microBatch();
        String d = "spark (" + mode.name().toLowerCase(java.util.Locale.ROOT) + "): " + shards + " shard" + (shards == 1 ? "" : "s")
                + " per step on " + jsc.master() + ", fused kernel (gemm: " + Blas.describe() + "), micro-batch " + mb;
        if (mode == SyncMode.BARRIER) return new BarrierTrainingEngine(jsc, d, s, shards, driverThreads, false);
        return new HostTrainingEngine(d, s, p -> new SparkGradientKernel(jsc, p, shards, mb, driverThreads));
    }
}
