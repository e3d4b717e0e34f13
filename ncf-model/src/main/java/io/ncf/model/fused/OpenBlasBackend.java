package io.ncf.model.fused;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;

/** ND4J's bundled OpenBLAS through its JavaCPP presets (the entry point ND4J's own {@code CpuLevel3} uses). */
final class OpenBlasBackend implements Blas.Backend {

    static final OpenBlasBackend INSTANCE = new OpenBlasBackend();

    private OpenBlasBackend() {}

    @Override public String id() { return "openblas"; }

    @Override public String name() {
        String v;
        try {
            v = org.bytedeco.javacpp.Loader.getVersion("org.bytedeco", "openblas");
        } catch (Exception e) {
            v = null;
        }
        return "OpenBLAS " + (v == null ? "" : v + " ") + "(single-threaded calls)";
    }

    @Override public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                                FloatPointer a, int lda, FloatPointer b, int ldb, float beta, FloatPointer c, int ldc) {
        openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor,
                transA ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
                transB ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
                m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }
}
