package io.ncf.train.host;

import io.ncf.core.blas.Blas;
import io.ncf.model.fused.HalfPrecision;
import io.ncf.train.EngineKind;
import io.ncf.train.Engines;
import io.ncf.train.engine.Availability;
import io.ncf.train.engine.EngineProvider;
import io.ncf.train.engine.EngineSetup;
import io.ncf.train.engine.Feature;
import io.ncf.train.engine.TrainingEngine;

import java.util.Optional;

/**
 * {@code fused}: the CPU hot path (hand-written forward/backward over sgemm, fused Java kernels); FP32, or BF16/FP16
 * products on 16-bit matrix hardware (AMX, AVX512-BF16) through Intel MKL.
 */
public final class FusedEngineProvider implements EngineProvider {

    @Override public String name() { return "fused"; }

    @Override public String description() { return "CPU: hand-written NeuMF passes over sgemm (Intel MKL or OpenBLAS) and fused kernels; FP32, or BF16/FP16 on AMX; the fastest CPU engine"; }

    @Override public int order() { return 10; }

    @Override public Availability availability() { return HostAvailability.probe(false); }

    /** FP16 and BF16 run where the CPU has 16-bit matrix hardware (see {@link HalfPrecision}); the rest everywhere. */
    @Override public Optional<String> precisionUnavailable(io.ncf.core.Precision p) { return HalfPrecision.unavailable(p); }

    /** The CPU inference kernel (ScoringKernel) on {@code threads} threads; FLOAT only. */
    @Override public io.ncf.core.rank.BatchRanker openRanker(io.ncf.core.NeuMFConfig config, float[] flatParams, int threads, boolean fp16) {
        if (fp16) throw new io.ncf.train.engine.UnsupportedFeatureException(name(), Feature.FP16, "the CPU kernel ranks in FLOAT; 16-bit ranking runs on --engine cuda");
        io.ncf.core.rank.ScoringKernel k = new io.ncf.core.rank.ScoringKernel(config, flatParams, threads);
        return new io.ncf.core.rank.RowRanker(k, k);
    }

    /** FP32 as above; BF16 on ncf's AMX kernels where the CPU has AMX-BF16 (refused with the reason elsewhere); no FP16. */
    @Override public io.ncf.core.rank.BatchRanker openRanker(io.ncf.core.NeuMFConfig config, float[] flatParams, int threads, io.ncf.core.Precision p) {
        if (p == io.ncf.core.Precision.FP32) return openRanker(config, flatParams, threads, false);
        if (p == io.ncf.core.Precision.FP16) throw new io.ncf.train.engine.UnsupportedFeatureException(name(), Feature.FP16, "the CPU kernel ranks in FP32 or BF16 (FP16 ranking runs on --engine cuda)");
        Optional<String> why = io.ncf.core.rank.ScoringKernel.bf16Unavailable(config);
        if (why.isPresent()) throw new io.ncf.train.engine.UnsupportedFeatureException(name(), Feature.BF16, why.get());
        io.ncf.core.rank.ScoringKernel k = new io.ncf.core.rank.ScoringKernel(config, flatParams, threads, io.ncf.core.blas.HalfFormat.BF16);
        return new io.ncf.core.rank.RowRanker(k, k);
    }

    @Override public java.util.List<String> startupLines(boolean fp16) {
        return startupLines(fp16 ? io.ncf.core.Precision.FP16 : io.ncf.core.Precision.FP32);
    }

    @Override public java.util.List<String> startupLines(io.ncf.core.Precision p) {
        return java.util.List.of(io.ncf.train.BackendInfo.current(false).withCompute(p == io.ncf.core.Precision.FP32 ? "FLOAT" : p.name() + " products").line(),
                io.ncf.core.blas.CpuFeatures.detect().line(), "Fused engine gemm: " + Blas.describe() + (p == io.ncf.core.Precision.FP32 ? "" : "; " + HalfPrecision.describe(p)));
    }

    @Override public int defaultMicroBatch() { return EngineKind.FUSED.defaultMicroBatch(); }

    @Override public TrainingEngine open(EngineSetup s) {
        requireAll(s);
        int mb = s.options().microBatch();
        String d = "fused (" + HalfPrecision.describe(s.precision()) + "), micro-batch " + mb + (s.workers() > 1 ? ", " + s.workers() + " workers" : "");
        return new HostTrainingEngine(d, s, p -> Engines.create(EngineKind.FUSED, p, mb, s.precision(), s.workers()));
    }

    @Override public java.util.Map<String, Object> logParameters(boolean fp16) {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>(io.ncf.train.BackendInfo.current(fp16).asParameters());
        m.put("fused_gemm", Blas.describe());
        return m;
    }
}
