package io.ncf.model.fused;

import io.ncf.core.blas.Blas;
import io.ncf.core.blas.OpenBlasBackend;
import io.ncf.core.blas.Workers;

import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Row-major single-precision gemm for the fused engine, straight into {@code cblas_sgemm} of the {@link Blas}
 * backend (MKL when present, else ND4J's bundled OpenBLAS), minus the per-call shape checks and the copies ND4J
 * makes for 'c'-ordered outputs. A row-major product is the column-major product of the transposes, so the BLAS sees
 * an 'f'-ordered call; the activations stay one contiguous row per sample, which is what the fused Java kernels want.
 *
 * <p>Also counts nanoseconds and FLOPs spent in gemm so the benchmark ({@code io.ncf.bench.FusedEngineBench} in ncf-bench)
 * can report gemm's share of a step: the counters are public, the products stay package-private.
 */
public final class Sgemm {

    private static final AtomicLong NANOS = new AtomicLong();
    private static final AtomicLong FLOPS = new AtomicLong();
    private static final AtomicLong TOTAL_CPU = new AtomicLong();
    private static final AtomicLong TOTAL_FLOPS = new AtomicLong();

    private Sgemm() {}

    /** A pointer to the first float of an off-heap FLOAT array (which must not be a view with an offset). */
    static FloatPointer pointer(INDArray a, String what) {
        if (a.dataType() != DataType.FLOAT) throw new IllegalArgumentException(what + " must be FLOAT, got " + a.dataType());
        if (a.offset() != 0 || a.ordering() != 'c' || !a.isR() || a.data().length() < a.length())
            throw new IllegalArgumentException(what + " must be a whole 'c'-ordered array, not a view");
        return new FloatPointer(a.data().addressPointer());
    }

    /**
     * C[m,n] = alpha * op(A) * op(B) + beta * C, all row-major with the given leading dimensions, in one call to
     * OpenBLAS with its own thread pool (the engine's non-split mode, kept for comparison).
     */
    static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                     FloatPointer a, int lda, FloatPointer b, int ldb, float beta, FloatPointer c, int ldc) {
        if (m == 0 || n == 0) return;
        long t0 = System.nanoTime(), cpu0 = clock();
        OpenBlasBackend.INSTANCE.sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        count(System.nanoTime() - t0, clock() - cpu0, 2L * m * n * k);
    }

    /**
     * The same product split over the workers, each calling a single-threaded sgemm of the {@link Blas} backend on its block: rows of C
     * when A is not transposed, else columns of C (the weight-gradient shape, whose reduction runs over the
     * samples). The engine holds OpenBLAS at one thread around its calls so OpenBLAS's own pool stays idle: its threads
     * busy-wait ~0.1 s after every call and would steal the cores from the Java kernels between products.
     */
    static void gemm(Workers workers, boolean transA, boolean transB, int m, int n, int k, float alpha,
                     FloatPointer a, int lda, FloatPointer b, int ldb, float beta, FloatPointer c, int ldc) {
        Blas.Backend blas = Blas.backend();
        split(workers, transA, m, n, k,
                (r0, r1) -> blas.sgemm(false, transB, r1 - r0, n, k, alpha, Blas.at(a, (long) r0 * lda), lda, b, ldb, beta, Blas.at(c, (long) r0 * ldc), ldc),
                (c0, c1) -> blas.sgemm(true, transB, m, c1 - c0, k, alpha, a, lda, Blas.at(b, transB ? (long) c0 * ldb : c0), ldb, beta, Blas.at(c, c0), ldc));
    }

    /**
     * {@link #gemm(Workers, boolean, boolean, int, int, int, float, FloatPointer, int, FloatPointer, int, float, FloatPointer, int)}
     * with 16-bit A and B ({@link Blas.Backend#gemm16}), split the same way.
     */
    static void gemm16(Workers workers, io.ncf.core.blas.HalfFormat fmt, boolean transA, boolean transB, int m, int n, int k, float alpha,
                       org.bytedeco.javacpp.ShortPointer a, int lda, org.bytedeco.javacpp.ShortPointer b, int ldb, float beta, FloatPointer c, int ldc) {
        Blas.Backend blas = Blas.backend();
        split(workers, transA, m, n, k,
                (r0, r1) -> blas.gemm16(fmt, false, transB, r1 - r0, n, k, alpha, Blas.at(a, (long) r0 * lda), lda, b, ldb, beta, Blas.at(c, (long) r0 * ldc), ldc),
                (c0, c1) -> blas.gemm16(fmt, true, transB, m, c1 - c0, k, alpha, a, lda, Blas.at(b, transB ? (long) c0 * ldb : c0), ldb, beta, Blas.at(c, c0), ldc));
    }

    /** A product's share on one worker: rows or columns {@code [from, to)} of C, never empty. */
    private interface Block { void run(int from, int to); }

    /**
     * Runs a product of C[m, n] over the workers, rows of C each where A is not transposed, else columns (the
     * weight-gradient shape, whose reduction runs over the samples), and counts it.
     */
    private static void split(Workers workers, boolean transA, int m, int n, int k, Block rows, Block cols) {
        if (m == 0 || n == 0) return;
        long t0 = System.nanoTime(), cpu0 = clock();
        if (!transA) workers.run(m, (w, r0, r1) -> { if (r1 > r0) rows.run(r0, r1); });
        else workers.run(n, (w, c0, c1) -> { if (c1 > c0) cols.run(c0, c1); });
        count(System.nanoTime() - t0, clock() - cpu0, 2L * m * n * k);
    }

    /**
     * Counts products the caller ran itself ({@link Blas.Backend#sgemm} on its own workers): {@code wallNanos} as the
     * wall time they took (the workers' sum divided by their number), {@code flops} in total.
     */
    static void record(long wallNanos, long flops) { count(wallNanos, wallNanos, flops); }

    private static void count(long wallNanos, long cpuNanos, long flops) {
        NANOS.addAndGet(wallNanos);
        TOTAL_CPU.addAndGet(cpuNanos);
        FLOPS.addAndGet(flops);
        TOTAL_FLOPS.addAndGet(flops);
    }

    private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();

    /** CPU time of the calling thread in nanoseconds: the profile clock (robust to other jobs on the machine). */
    static long clock() { return THREADS.getCurrentThreadCpuTime(); }

    /** Total wall time spent in {@link #gemm} since the last {@link #resetCounters()} (all engines of the JVM). */
    public static long nanos() { return NANOS.get(); }

    public static long flops() { return FLOPS.get(); }

    /** Calling-thread CPU nanoseconds in gemm since the JVM started (never reset). */
    public static long totalNanos() { return TOTAL_CPU.get(); }

    public static long totalFlops() { return TOTAL_FLOPS.get(); }

    public static void resetCounters() { NANOS.set(0); FLOPS.set(0); }
}
