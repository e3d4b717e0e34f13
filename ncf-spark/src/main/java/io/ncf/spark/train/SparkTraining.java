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

    public static TrainingEngine open(JavaSparkContext jsc, EngineSetup s, int shards, int driverThreads) {
        if (s.fp16())
            throw new UnsupportedFeatureException(ENGINE, Feature.FP16, "executors run the fused CPU kernel, which computes in FLOAT");
        if (s.workers() != 1)
            throw new UnsupportedFeatureException(ENGINE, Feature.WORKERS, "the Spark engine splits a step over shards (numShards), not in-process workers");
        if (s.kind() != io.ncf.model.ModelKind.NEUMF)
            throw new UnsupportedFeatureException(ENGINE, Feature.MODEL_VARIANTS, "the Spark estimator trains NeuMF");
        int mb = s.options().microBatch();
        String d = "spark: " + shards + " shard" + (shards == 1 ? "" : "s") + " per step on " + jsc.master()
                + ", fused kernel (gemm: " + Blas.describe() + "), micro-batch " + mb;
        return new HostTrainingEngine(d, s, p -> new SparkGradientKernel(jsc, p, shards, mb, driverThreads));
    }
}
