package io.ncf.cuda;

import io.ncf.train.engine.Availability;
import io.ncf.train.engine.EngineProvider;
import io.ncf.train.engine.EngineSetup;
import io.ncf.train.engine.Feature;
import io.ncf.train.engine.TrainingEngine;

import java.util.Optional;

/** {@code cuda}: NVIDIA GPUs (Hopper and newer) through JavaCPP's CUDA 13 presets; no ND4J in its runtime. */
public final class CudaEngineProvider implements EngineProvider {

    @Override public String name() { return "cuda"; }

    @Override public String description() {
        return "NVIDIA GPUs: NVRTC kernels and cuBLAS through JavaCPP CUDA 13; FP32 or FP16 with loss scaling; NCCL across the GPUs of a host";
    }

    @Override public int order() { return 30; }

    @Override public Availability availability() {
        CudaProbe.Result r = CudaProbe.probe();
        return r.available() ? Availability.yes(r.message()) : Availability.no(r.message());
    }

    @Override public Optional<String> unsupported(Feature f) {
        return switch (f) {
            case MICRO_BATCH -> Optional.of("the GPU processes each GPU's share of a global batch in one pass; its memory follows -b and --workers");
            case REGULARIZATION -> Optional.of("the GPU's Adam kernel has no weight decay yet; regularized recipes train on the CPU engines");
            case SGD -> Optional.of("the GPU steps with Adam only; SGD fine-tuning runs on the CPU engines");
            case BF16 -> Optional.of("the GPU engine computes in FP32 or FP16 (--fp16); BF16 training runs on the fused CPU engine");
            default -> Optional.empty();
        };
    }

    @Override public java.util.List<String> startupLines(boolean fp16) {
        return java.util.List.of("Backend: CUDA (ncf-cuda, JavaCPP CUDA 13 presets); " + CudaProbe.probe().message());
    }

    /** Whole global batches go through the GPU at once: no micro-batches. */
    @Override public int defaultMicroBatch() { return 1 << 20; }

    @Override public TrainingEngine open(EngineSetup s) {
        requireAll(s);
        Availability a = availability();
        if (!a.available()) throw new IllegalStateException(a.reason());
        return new CudaEngine(s, s.fp16() ? Precision.FP16 : Precision.FP32);
    }

    /** Ranking on GPU 0 ({@link CudaRanker}): FP32, or FP16 activations and GEMM inputs with FP32 accumulation. */
    @Override public io.ncf.core.rank.BatchRanker openRanker(io.ncf.core.NeuMFConfig config, float[] flatParams, int threads, boolean fp16) {
        Availability a = availability();
        if (!a.available()) throw new IllegalStateException(a.reason());
        CudaDevice dev = CudaDevice.open(0);
        try {
            return new CudaRanker(dev, true, config, flatParams, fp16 ? Precision.FP16 : Precision.FP32, CudaRanker.DEFAULT_MAX_PAIRS);
        } catch (RuntimeException e) {
            dev.close();
            throw e;
        }
    }

    @Override public java.util.Map<String, Object> logParameters(boolean fp16) {
        return java.util.Map.of("backend", "cuda", "device", CudaProbe.probe().message());
    }
}
