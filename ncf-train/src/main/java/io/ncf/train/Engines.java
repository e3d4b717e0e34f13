package io.ncf.train;

import io.ncf.core.Precision;
import io.ncf.model.ParamSet;
import io.ncf.model.GradientEngine;
import io.ncf.model.fused.FusedCpuEngine;
import io.ncf.model.parallel.DataParallelEngine;
import io.ncf.model.samediff.SameDiffEngine;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** Builds the engine a run asks for: engine kind, precision, and number of data-parallel workers. */
public final class Engines {

    private Engines() {}

    /**
     * @param fp16    HALF compute with FLOAT master weights; only the SameDiff engine has it
     * @param workers data-parallel replicas (1: the plain engine)
     */
    public static GradientEngine create(EngineKind kind, ParamSet params, int microBatch, boolean fp16, int workers) {
        return create(kind, params, microBatch, fp16 ? Precision.FP16 : Precision.FP32, workers);
    }

    /**
     * @param precision FP32; BF16 or FP16 products on the fused engine (see {@link io.ncf.model.fused.HalfPrecision}
     *                  for where they run well); FP16 is HALF compute on the samediff engine
     * @param workers   data-parallel replicas (1: the plain engine)
     */
    public static GradientEngine create(EngineKind kind, ParamSet params, int microBatch, Precision precision, int workers) {
        if (precision == Precision.BF16 && kind != EngineKind.FUSED)
            throw new IllegalArgumentException("bf16 needs the fused engine: the " + kind + " engine computes in FLOAT or HALF");
        if (workers <= 0) throw new IllegalArgumentException("workers must be positive, got " + workers);
        if (kind == EngineKind.FUSED && BackendInfo.isCudaBackend(Nd4j.getBackend().getClass().getSimpleName()))
            throw new IllegalArgumentException("--engine fused calls OpenBLAS on host memory and cannot run on the CUDA backend ("
                    + Nd4j.getBackend().getClass().getSimpleName() + "); use --engine samediff");
        int cores = Runtime.getRuntime().availableProcessors();
        if (workers == 1) return single(kind, params, microBatch, precision, cores);
        // several devices: each replica keeps its own copy on its device; one device (CPU): all read the master in place
        DataParallelEngine.Replication rep = Nd4j.getAffinityManager().getNumberOfDevices() > 1
                ? DataParallelEngine.Replication.COPIES : DataParallelEngine.Replication.SHARED;
        int threadsEach = Math.max(1, cores / workers);
        return new DataParallelEngine(params, workers, rep, (p, i) -> single(kind, p, microBatch, precision, threadsEach));
    }

    private static GradientEngine single(EngineKind kind, ParamSet params, int microBatch, Precision precision, int threads) {
        return switch (kind) {
            case FUSED -> precision == Precision.FP32 ? new FusedCpuEngine(params, microBatch, threads)
                    : new FusedCpuEngine(params, microBatch, threads, precision.halfFormat());
            case SAMEDIFF -> new SameDiffEngine(params, microBatch, precision == Precision.FP16 ? DataType.HALF : DataType.FLOAT);
        };
    }
}
