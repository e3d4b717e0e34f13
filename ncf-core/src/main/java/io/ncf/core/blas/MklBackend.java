package io.ncf.core.blas;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.mkl.global.mkl_rt;

/**
 * Intel MKL's {@code cblas_sgemm} through the JavaCPP presets, one thread per call. Loaded only by
 * {@link #instance()}: where the presets are missing this class fails to link, which {@link Blas} catches.
 */
public final class MklBackend implements Blas.Backend {

    private static MklBackend instance;
    private static final boolean FP16_HARDWARE = CpuFeatures.detect().has("amx_fp16");
    private final String name;

    private MklBackend() {
        // Before any other MKL call. The redist jar ships no sequential layer, so: Intel OpenMP, one thread per call;
        // the engine's workers are the only threads, each calling MKL on its own block.
        mkl_rt.MKL_Set_Threading_Layer(mkl_rt.MKL_THREADING_INTEL);
        mkl_rt.MKL_Set_Num_Threads(1);
        try (BytePointer v = new BytePointer(256)) {
            mkl_rt.MKL_Get_Version_String(v, 256);
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("Version ([0-9.]+)").matcher(v.getString());
            name = "Intel MKL " + (m.find() ? m.group(1) + " " : "") + "(single-threaded calls)";
        }
        // one tiny product so a library that loads but cannot run fails here, where auto can still fall back
        try (FloatPointer one = new FloatPointer(1f); FloatPointer out = new FloatPointer(1)) {
            mkl_rt.cblas_sgemm(mkl_rt.CblasRowMajor, mkl_rt.CblasNoTrans, mkl_rt.CblasNoTrans, 1, 1, 1, 2f, one, 1, one, 1, 0f, out, 1);
            if (out.get(0) != 2f) throw new IllegalStateException("MKL sgemm self-check returned " + out.get(0) + " for 2*1*1");
        }
    }

    public static synchronized MklBackend instance() {
        if (instance == null) instance = new MklBackend();
        return instance;
    }

    @Override public String id() { return "mkl"; }

    @Override public String name() { return name; }

    @Override public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                                FloatPointer a, int lda, FloatPointer b, int ldb, float beta, FloatPointer c, int ldc) {
        mkl_rt.cblas_sgemm(mkl_rt.CblasRowMajor, transA ? mkl_rt.CblasTrans : mkl_rt.CblasNoTrans,
                transB ? mkl_rt.CblasTrans : mkl_rt.CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    @Override public org.bytedeco.javacpp.Pointer packB(int m, int n, int k, FloatPointer b, int ldb) {
        long bytes = mkl_rt.cblas_sgemm_pack_get_size(mkl_rt.CblasBMatrix, m, n, k);
        FloatPointer dest = new FloatPointer((bytes + 3) / 4);
        mkl_rt.cblas_sgemm_pack(mkl_rt.CblasRowMajor, mkl_rt.CblasBMatrix, mkl_rt.CblasNoTrans, m, n, k, 1f, b, ldb, dest);
        return dest;
    }

    @Override public void sgemmPacked(int m, int n, int k, FloatPointer a, int lda, org.bytedeco.javacpp.Pointer packedB, float beta, FloatPointer c, int ldc) {
        mkl_rt.cblas_sgemm_compute(mkl_rt.CblasRowMajor, mkl_rt.CblasNoTrans, (int) mkl_rt.CblasPacked, m, n, k,
                a, lda, (FloatPointer) packedB, n, beta, c, ldc);
    }

    @Override public void gemm16(HalfFormat fmt, boolean transA, boolean transB, int m, int n, int k, float alpha,
                                 org.bytedeco.javacpp.ShortPointer a, int lda, org.bytedeco.javacpp.ShortPointer b, int ldb,
                                 float beta, FloatPointer c, int ldc) {
        if (fmt == HalfFormat.FP16 && !FP16_HARDWARE) {
            // without AMX-FP16 MKL emulates FP16 products at 0.6-1.4x its sgemm; widening (exact) then sgemm measured
            // faster over a training step (the same products either way)
            Blas.widenedGemm16(this, fmt, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }
        int ta = transA ? mkl_rt.CblasTrans : mkl_rt.CblasNoTrans, tb = transB ? mkl_rt.CblasTrans : mkl_rt.CblasNoTrans;
        if (fmt == HalfFormat.BF16) mkl_rt.cblas_gemm_bf16bf16f32(mkl_rt.CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        else mkl_rt.cblas_gemm_f16f16f32(mkl_rt.CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /**
     * MKL runs BF16 products on AMX-BF16 or AVX512-BF16 and FP16 ones on AMX-FP16; elsewhere it emulates them, which
     * measured no faster than its sgemm (FP16 on a Sapphire Rapids Xeon without AMX-FP16: 0.6-1.4x sgemm, BF16 on
     * AMX 1.7-3.2x, at the engine's shapes).
     */
    @Override public String gemm16Reason(HalfFormat fmt, CpuFeatures cpu) {
        if (fmt == HalfFormat.BF16)
            return cpu.has("amx_bf16") || cpu.has("avx512_bf16") ? null
                    : "this CPU has neither AMX-BF16 nor AVX512-BF16, so " + name() + " would emulate BF16 products, slower than FP32";
        return cpu.has("amx_fp16") ? null
                : "this CPU has no AMX-FP16 (Granite Rapids and later), so " + name() + " runs FP16 products no faster than FP32"
                  + (cpu.has("amx_bf16") || cpu.has("avx512_bf16") ? "; BF16 runs on this CPU's " + (cpu.has("amx_bf16") ? "AMX" : "AVX512-BF16") + " and needs no loss scaling" : "");
    }

    @Override public void fmax(int n, FloatPointer a, FloatPointer b, FloatPointer out) { mkl_rt.vsFmax(n, a, b, out); }
}
