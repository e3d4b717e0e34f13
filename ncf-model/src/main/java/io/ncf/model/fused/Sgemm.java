package io.ncf.model.fused;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Row-major single-precision gemm straight into ND4J's bundled OpenBLAS: the same {@code cblas_sgemm} entry point
 * that ND4J's {@code CpuLevel3} calls, minus the per-call shape checks and the copies ND4J makes for 'c'-ordered
 * outputs. A row-major product is the column-major product of the transposes, so OpenBLAS sees exactly the
 * 'f'-ordered call that measured ~110 GFLOP/s here; the activations stay one contiguous row per sample, which is
 * what the fused Java kernels want.
 *
 * <p>Also counts nanoseconds and FLOPs spent in gemm so the benchmark can report gemm's share of a step.
 */
final class Sgemm {

    private static final AtomicLong NANOS = new AtomicLong();
    private static final AtomicLong FLOPS = new AtomicLong();

    private Sgemm() {}

    /** A pointer to the first float of an off-heap FLOAT array (which must not be a view with an offset). */
    static FloatPointer pointer(INDArray a, String what) {
        if (a.dataType() != DataType.FLOAT) throw new IllegalArgumentException(what + " must be FLOAT, got " + a.dataType());
        if (a.offset() != 0 || a.ordering() != 'c' || !a.isR() || a.data().length() < a.length())
            throw new IllegalArgumentException(what + " must be a whole 'c'-ordered array, not a view");
        return new FloatPointer(a.data().addressPointer());
    }

    /**
     * C[m,n] = alpha * op(A) * op(B) + beta * C, all row-major with the given leading dimensions.
     */
    static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                     FloatPointer a, int lda, FloatPointer b, int ldb, float beta, FloatPointer c, int ldc) {
        if (m == 0 || n == 0) return;
        long t0 = System.nanoTime();
        openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor,
                transA ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
                transB ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
                m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        NANOS.addAndGet(System.nanoTime() - t0);
        FLOPS.addAndGet(2L * m * n * k);
    }

    /** Total time spent in {@link #gemm} since the last {@link #resetCounters()} (all engines of the JVM). */
    static long nanos() { return NANOS.get(); }

    static long flops() { return FLOPS.get(); }

    static void resetCounters() { NANOS.set(0); FLOPS.set(0); }
}
