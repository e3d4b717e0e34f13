package io.ncf.model.fused;

import io.ncf.core.blas.Workers;

import java.nio.FloatBuffer;

/**
 * Adam updates over off-heap float buffers, in one fused pass per element (read grad, m, v, param; write m, v,
 * param and optionally a zeroed grad), split over a {@link Workers} pool.
 *
 * <p>Semantics are PyTorch's {@code torch.optim.Adam} (what NVIDIA's NCF uses):
 * {@code m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)},
 * with {@code t} the 1-based step. ND4J's Adam adds eps to {@code sqrt(v)} before bias correction instead; the
 * two differ only by the scale of eps.
 *
 * <p>{@link #rows} is the lazy row-sparse variant for embedding tables: only the listed rows are updated (their
 * m and v decay only when touched), with the same global-step bias correction, as in TensorFlow's LazyAdam. It
 * changes the optimizer's semantics for untouched rows, so it is an option, not the default meaning of Adam.
 */
public final class AdamKernels {

    private AdamKernels() {}

    /** The scalars of one Adam step, with the bias corrections precomputed. */
    public record Step(float lr, float beta1, float beta2, float eps, long step) {
        public Step {
            if (step < 1) throw new IllegalArgumentException("Adam step count starts at 1, got " + step);
        }

        float stepSize() { return (float) (lr / (1 - Math.pow(beta1, step))); }

        float invSqrtBias2() { return (float) (1 / Math.sqrt(1 - Math.pow(beta2, step))); }
    }

    /**
     * Dense Adam over elements [0, length) of all four buffers; with {@code clearGrad} the gradient is zeroed in
     * the same pass (saving the trainer a separate clear of every gradient array).
     */
    public static void dense(Workers workers, FloatBuffer param, FloatBuffer grad, FloatBuffer m, FloatBuffer v,
                             int length, Step s, boolean clearGrad) {
        final float b1 = s.beta1(), b2 = s.beta2(), c1 = 1 - b1, c2 = 1 - b2, eps = s.eps();
        final float stepSize = s.stepSize(), ib2 = s.invSqrtBias2();
        if (nativeAdam && param.isDirect() && grad.isDirect() && m.isDirect() && v.isDirect()) {
            // ncf's AVX-512 loop: the same bits without the on-heap copies (the pass is memory-bound)
            workers.run(length, (w, from, to) -> {
                if (to > from) io.ncf.core.blas.NativeKernels.adam(to - from, param.slice(from, to - from), grad.slice(from, to - from),
                        m.slice(from, to - from), v.slice(from, to - from), b1, b2, c1, c2, eps, stepSize, ib2, clearGrad);
            });
            return;
        }
        workers.run(length, (w, from, to) -> {
            Scratch t = Scratch.get();
            for (int i = from; i < to; i += CHUNK)
                update(param, grad, m, v, i, Math.min(CHUNK, to - i), b1, b2, c1, c2, eps, stepSize, ib2, clearGrad, t);
        });
    }

    private static volatile boolean nativeAdam = io.ncf.core.blas.NativeKernels.trainingAvailable();

    /** Whether {@link #dense} runs on ncf's AVX-512 kernel (the default where it loads) or in Java: the same bits (tests, A/B timings). */
    public static void setNativeDense(boolean on) {
        if (on && !io.ncf.core.blas.NativeKernels.trainingAvailable()) throw new IllegalStateException("ncf's AVX-512 kernels do not run here");
        nativeAdam = on;
    }

    /**
     * Lazy Adam over the listed rows (each of {@code width} floats) of a row-major table; {@code rows[0..rowCount)}
     * must be distinct (see {@link TouchedRows}).
     */
    public static void rows(Workers workers, FloatBuffer param, FloatBuffer grad, FloatBuffer m, FloatBuffer v, int width,
                            int[] rows, int rowCount, Step s, boolean clearGrad) {
        final float b1 = s.beta1(), b2 = s.beta2(), c1 = 1 - b1, c2 = 1 - b2, eps = s.eps();
        final float stepSize = s.stepSize(), ib2 = s.invSqrtBias2();
        workers.run(rowCount, (w, from, to) -> {
            Scratch t = Scratch.get();
            for (int r = from; r < to; r++) {
                int base = rows[r] * width;
                for (int i = base; i < base + width; i += CHUNK)
                    update(param, grad, m, v, i, Math.min(CHUNK, base + width - i), b1, b2, c1, c2, eps, stepSize, ib2, clearGrad, t);
            }
        });
    }

    /** Floats per on-heap block: 4 x 16 KB, in L1/L2. */
    private static final int CHUNK = 4096;

    /** Per-thread heap copies: C2 vectorises the update over float[] but not over direct-buffer element access. */
    private static final class Scratch {
        private static final ThreadLocal<Scratch> LOCAL = ThreadLocal.withInitial(Scratch::new);
        final float[] p = new float[CHUNK], g = new float[CHUNK], m = new float[CHUNK], v = new float[CHUNK];

        static Scratch get() { return LOCAL.get(); }
    }

    private static void update(FloatBuffer param, FloatBuffer grad, FloatBuffer m, FloatBuffer v, int at, int len,
                               float b1, float b2, float c1, float c2, float eps, float stepSize, float ib2, boolean clearGrad,
                               Scratch t) {
        float[] pa = t.p, ga = t.g, ma = t.m, va = t.v;
        param.get(at, pa, 0, len);
        grad.get(at, ga, 0, len);
        m.get(at, ma, 0, len);
        v.get(at, va, 0, len);
        for (int i = 0; i < len; i++) {
            float g = ga[i];
            float mi = b1 * ma[i] + c1 * g;
            float vi = b2 * va[i] + c2 * g * g;
            ma[i] = mi;
            va[i] = vi;
            pa[i] = pa[i] - stepSize * mi / ((float) Math.sqrt(vi) * ib2 + eps);
        }
        param.put(at, pa, 0, len);
        m.put(at, ma, 0, len);
        v.put(at, va, 0, len);
        if (clearGrad) {
            java.util.Arrays.fill(ga, 0, len, 0f);
            grad.put(at, ga, 0, len);
        }
    }
}
