package io.ncf.core.blas;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;

/** OpenBLAS through its JavaCPP presets (the library ND4J's own {@code CpuLevel3} calls too), one thread per call. */
public final class OpenBlasBackend implements Blas.Backend {

    public static final OpenBlasBackend INSTANCE = new OpenBlasBackend();

    private OpenBlasBackend() {
        // One thread per call, as MklBackend: ncf's kernels split work over their own workers (or a server's request
        // threads), each calling sgemm on its own block. OpenBLAS's default pool (a thread per core, busy-waiting
        // after each call) would oversubscribe the cores: a served request took 5.8 ms instead of 0.6 ms, and two
        // request threads were slower together than one.
        openblas_nolapack.blas_set_num_threads(1);
    }

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
        // ND4J, when it starts in the same JVM (training, ncf-spark's executors), sets OpenBLAS's pool to the core
        // count after this backend set it to 1, and the fused engine restores that count after its steps. Scoring
        // under it ran 8x slower (ml-latest-small, all users: 45 s against 5.7 s). The check reads a global int.
        if (openblas_nolapack.blas_get_num_threads() != 1) openblas_nolapack.blas_set_num_threads(1);
        openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor,
                transA ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
                transB ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
                m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }
}
