package io.ncf.core.blas;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.ShortPointer;

import java.util.Locale;

/**
 * The BLAS library behind the fused engine's products: ND4J's OpenBLAS, always present, or Intel MKL when its
 * JavaCPP presets are on the class path ({@code org.bytedeco:mkl}, with the {@code linux-x86_64} and
 * {@code linux-x86_64-redist} jars). The engine's products are skinny (K and N of 64-256, M of tens of thousands of
 * samples), where MKL measured 1.4-1.7x OpenBLAS 0.3.31 per core on the 2-core AVX-512 Xeon (see README), while both
 * are equal on large square products.
 *
 * <p>Chosen once per JVM from the system property {@code ncf.blas} or else the environment variable
 * {@code NCF_BLAS}: {@code auto} (the default: MKL when it loads, else OpenBLAS), {@code mkl} (fail if it does not
 * load) or {@code openblas}. MKL runs one thread per call (the redist jar has no sequential layer, so Intel OpenMP
 * limited to one thread): the engine splits every product over its own workers, so MKL never spins a pool of its own.
 */
public final class Blas {

    /** One single-precision row-major gemm entry point. */
    public interface Backend {
        /** {@code mkl} or {@code openblas}: the name {@link #select} takes. */
        String id();

        /** Library and version, for start-up lines and benchmark tables. */
        String name();

        /** C[m,n] = alpha op(A) op(B) + beta C, row-major, on the calling thread only. */
        void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                   FloatPointer a, int lda, FloatPointer b, int ldb, float beta, FloatPointer c, int ldc);

        /**
         * B[k,n] (row-major, not transposed) packed once for many products {@code C[m,n] = A B} of this shape
         * ({@link #sgemmPacked}), or null where the library cannot (then call {@link #sgemm}). Free with {@code close()}.
         */
        default org.bytedeco.javacpp.Pointer packB(int m, int n, int k, FloatPointer b, int ldb) { return null; }

        /** {@code C = A B} with B from {@link #packB} for the same m, n, k. */
        default void sgemmPacked(int m, int n, int k, FloatPointer a, int lda, org.bytedeco.javacpp.Pointer packedB, FloatPointer c, int ldc) {
            sgemmPacked(m, n, k, a, lda, packedB, 0f, c, ldc);
        }

        /** {@code C = A B + beta C} with B from {@link #packB} for the same m, n, k. */
        default void sgemmPacked(int m, int n, int k, FloatPointer a, int lda, org.bytedeco.javacpp.Pointer packedB, float beta, FloatPointer c, int ldc) {
            throw new UnsupportedOperationException(name() + " has no packed gemm");
        }

        /**
         * {@code out[j] = max(a[j], b[j])} for j in [0, n), on the calling thread; {@code out} may be {@code a}. The
         * default copies through on-heap tiles, where C2 vectorises {@link Math#max}; MKL runs its vector-math
         * {@code vsFmax} on the native memory directly. The two differ only where an operand is NaN (Math.max gives
         * NaN, vsFmax the other operand): in the scoring kernel that takes a model holding NaN, whose scores are NaN
         * either way except for a NaN item row, which scores NaN here and finite with MKL.
         */
        default void fmax(int n, FloatPointer a, FloatPointer b, FloatPointer out) { Blas.javaFmax(n, a, b, out); }

        /**
         * {@code C[m,n] = alpha op(A) op(B) + beta C}, row-major, with A and B in the 16-bit format {@code fmt} and C
         * (and the accumulation) in float, on the calling thread. The default widens the operands to floats (exact)
         * and calls {@link #sgemm}: the same products, no faster than FP32; {@link #gemm16Reason} says so.
         */
        default void gemm16(HalfFormat fmt, boolean transA, boolean transB, int m, int n, int k, float alpha,
                            ShortPointer a, int lda, ShortPointer b, int ldb, float beta, FloatPointer c, int ldc) {
            Blas.widenedGemm16(this, fmt, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        }

        /**
         * Null where {@link #gemm16} in {@code fmt} runs on 16-bit hardware on this CPU (faster than {@link #sgemm}),
         * else why not, for a refusal message.
         */
        default String gemm16Reason(HalfFormat fmt, CpuFeatures cpu) {
            return name() + " has no 16-bit GEMM (ncf would widen the operands to FP32: slower than FP32); 16-bit GEMMs need Intel MKL";
        }
    }

    private static final ThreadLocal<FloatPointer[]> WIDE = ThreadLocal.withInitial(() -> new FloatPointer[2]);

    /** Floats of op(X) stored rows x cols with leading dimension ld, through the last used element. */
    private static long extent(long rows, long cols, long ld) { return rows == 0 || cols == 0 ? 0 : (rows - 1) * ld + cols; }

    /** {@link Backend#gemm16}'s default: both operands widened into this thread's scratch, then sgemm. */
    static void widenedGemm16(Backend blas, HalfFormat fmt, boolean transA, boolean transB, int m, int n, int k, float alpha,
                              ShortPointer a, int lda, ShortPointer b, int ldb, float beta, FloatPointer c, int ldc) {
        if (m == 0 || n == 0) return;
        long na = transA ? extent(k, m, lda) : extent(m, k, lda), nb = transB ? extent(n, k, ldb) : extent(k, n, ldb);
        FloatPointer[] w = WIDE.get();
        for (int i = 0; i < 2; i++) {
            long need = i == 0 ? na : nb;
            if (w[i] == null || w[i].capacity() < need) {
                if (w[i] != null) w[i].close();
                w[i] = new FloatPointer(Math.max(need, 1));
            }
        }
        if (na > 0) NativeKernels.fromHalf(na, a, w[0], fmt);
        if (nb > 0) NativeKernels.fromHalf(nb, b, w[1], fmt);
        blas.sgemm(transA, transB, m, n, k, alpha, w[0], lda, w[1], ldb, beta, c, ldc);
    }

    /** A pointer {@code offset} shorts past {@code p} (a cast copy: no native allocation). */
    public static ShortPointer at(ShortPointer p, long offset) {
        return offset == 0 ? p : new ShortPointer(p).position(p.position() + offset);
    }

    private static final int FMAX_TILE = 4096;
    private static final ThreadLocal<float[][]> FMAX_TILES = ThreadLocal.withInitial(() -> new float[][]{new float[FMAX_TILE], new float[FMAX_TILE]});

    public static void javaFmax(int n, FloatPointer a, FloatPointer b, FloatPointer out) {
        float[][] t = FMAX_TILES.get();
        float[] x = t[0], y = t[1];
        java.nio.FloatBuffer ab = span(a, n), bb = span(b, n), ob = span(out, n);
        for (int o = 0; o < n; o += FMAX_TILE) {
            int m = Math.min(FMAX_TILE, n - o);
            ab.get(o, x, 0, m);
            bb.get(o, y, 0, m);
            // Math.max, not a NaN-testing ternary: C2 vectorises it (0.4 ns an element against 2.2 on the 2-core Xeon)
            for (int j = 0; j < m; j++) x[j] = Math.max(x[j], y[j]);
            ob.put(o, x, 0, m);
        }
    }

    /** A buffer over {@code p[0, n)} (relative to its position), leaving {@code p} as it was. */
    public static java.nio.FloatBuffer span(FloatPointer p, long n) {
        FloatPointer v = new FloatPointer(p);
        return v.limit(v.position() + n).asBuffer();
    }

    /** Where the start-up choice comes from; errors name the one used (the CLI's {@code --blas} names itself). */
    public static final String PROPERTY = "ncf.blas", ENV = "NCF_BLAS";

    private static volatile Backend active;

    private Blas() {}

    /** The backend in use (chosen on first use). */
    public static Backend backend() {
        Backend b = active;
        if (b == null) {
            synchronized (Blas.class) {
                if (active == null) active = fromSettings(System.getProperty(PROPERTY), System.getenv(ENV));
                b = active;
            }
        }
        return b;
    }

    /**
     * Row-major {@code C = alpha·op(A)·op(B) + beta·C} on the backend in use, single-threaded per call (callers split
     * work over threads themselves), for kernels outside this package (ALS).
     */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             org.bytedeco.javacpp.FloatPointer a, int lda, org.bytedeco.javacpp.FloatPointer b, int ldb, float beta,
                             org.bytedeco.javacpp.FloatPointer c, int ldc) {
        backend().sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /** A one-line description of the library the fused engine's gemm runs on, e.g. for benchmark tables. */
    public static String describe() { return backend().name(); }

    /** {@code mkl} or {@code openblas}: the library in use. */
    public static String library() { return backend().id(); }

    /**
     * The machine's FP32 matrix-multiply rate on {@code threads} threads as the kernels use it: a 2048 x 2048 x 2048
     * sgemm split by rows over the threads, each a single-threaded call of this backend; the best of three, in
     * GFLOP/s. The "FLOP limit" that benchmarks compare the kernels with.
     */
    /** A pointer {@code offset} floats past {@code p} (a cast copy: no native allocation). */
    public static FloatPointer at(FloatPointer p, long offset) {
        return offset == 0 ? p : new FloatPointer(p).position(p.position() + offset);
    }

    public static double measureSgemmGflops(int threads) {
        final int n = 2048;
        Backend b = backend();
        try (org.bytedeco.javacpp.FloatPointer x = new org.bytedeco.javacpp.FloatPointer((long) n * n);
             org.bytedeco.javacpp.FloatPointer y = new org.bytedeco.javacpp.FloatPointer((long) n * n);
             org.bytedeco.javacpp.FloatPointer z = new org.bytedeco.javacpp.FloatPointer((long) n * n);
             Workers w = new Workers(threads)) {
            x.fill(1);   // byte 1: small finite floats, no denormal slow paths
            y.fill(1);
            double best = 0;
            for (int rep = 0; rep < 3; rep++) {
                long t0 = System.nanoTime();
                w.run(n, (wi, lo, hi) -> {
                    if (hi > lo) b.sgemm(false, false, hi - lo, n, n, 1f, at(x, (long) lo * n), n, y, n, 0f, at(z, (long) lo * n), n);
                });
                best = Math.max(best, 2.0 * n * n * n / ((System.nanoTime() - t0) / 1e9) / 1e9);
            }
            return best;
        }
    }

    /**
     * {@link #measureSgemmGflops} for the backend's 16-bit GEMM ({@link Backend#gemm16}) in {@code fmt}: the limit a
     * 16-bit training step is compared with.
     */
    public static double measureGemm16Gflops(HalfFormat fmt, int threads) {
        final int n = 2048;
        Backend b = backend();
        try (ShortPointer x = new ShortPointer((long) n * n); ShortPointer y = new ShortPointer((long) n * n);
             FloatPointer z = new FloatPointer((long) n * n); Workers w = new Workers(threads)) {
            short[] ones = new short[n * n];
            java.util.Arrays.fill(ones, fmt.fromFloat(1f / 64));   // small finite values, no overflow in FP16
            x.put(ones);
            y.put(ones);
            double best = 0;
            for (int rep = 0; rep < 3; rep++) {
                long t0 = System.nanoTime();
                w.run(n, (wi, lo, hi) -> {
                    if (hi > lo) b.gemm16(fmt, false, false, hi - lo, n, n, 1f, at(x, (long) lo * n), n, y, n, 0f, at(z, (long) lo * n), n);
                });
                best = Math.max(best, 2.0 * n * n * n / ((System.nanoTime() - t0) / 1e9) / 1e9);
            }
            return best;
        }
    }

    /** Whether MKL's presets are on the class path and its libraries load on this machine. */
    public static boolean mklAvailable() {
        try {
            MklBackend.instance();
            return true;
        } catch (Throwable t) {
            return false;
        }
    }

    /**
     * Switches the backend for this JVM ({@code auto}, {@code mkl} or {@code openblas}). Meant for start-up (the
     * CLI's {@code --blas}) and tests; call it between engine calls, never during one.
     *
     * @throws IllegalArgumentException for another name, or {@code mkl} where MKL cannot be loaded
     */
    public static synchronized void select(String name) {
        active = choose(name);
    }

    /** The backend the property (first) or the environment variable asks for; a bad value is named with its source. */
    public static Backend fromSettings(String property, String env) {
        String source = settingSource(PROPERTY, property, ENV, env);
        if (source == null) return choose("auto");
        try {
            return choose(source.substring(source.indexOf('=') + 1));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
    }

    /**
     * Where a setting came from, as a user would write it ({@code -Dname=value}, the property first, or {@code NAME=value}),
     * or null where neither is set: error messages name it.
     */
    public static String settingSource(String propertyName, String property, String envName, String env) {
        return property != null && !property.isBlank() ? "-D" + propertyName + "=" + property
                : env != null && !env.isBlank() ? envName + "=" + env : null;
    }

    private static Backend choose(String name) {
        switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "openblas":
                return OpenBlasBackend.INSTANCE;
            case "mkl":
                try {
                    return MklBackend.instance();
                } catch (Throwable t) {
                    throw new IllegalArgumentException("BLAS 'mkl' was requested but Intel MKL "
                            + "cannot be loaded: " + t + ". Put org.bytedeco:mkl:2025.3-1.5.13 with its linux-x86_64 and "
                            + "linux-x86_64-redist jars on the class path, or choose 'openblas'.", t);
                }
            case "auto":
                try {
                    return MklBackend.instance();
                } catch (Throwable t) {
                    return OpenBlasBackend.INSTANCE;
                }
            default:
                throw new IllegalArgumentException("unknown BLAS '" + name + "': expected auto, mkl or openblas");
        }
    }
}
