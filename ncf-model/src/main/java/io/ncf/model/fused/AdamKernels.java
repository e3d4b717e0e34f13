package io.ncf.model.fused;

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
        workers.run(length, (w, from, to) -> update(param, grad, m, v, from, to, b1, b2, c1, c2, eps, stepSize, ib2, clearGrad));
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
            for (int r = from; r < to; r++) {
                int base = rows[r] * width;
                update(param, grad, m, v, base, base + width, b1, b2, c1, c2, eps, stepSize, ib2, clearGrad);
            }
        });
    }

    private static void update(FloatBuffer param, FloatBuffer grad, FloatBuffer m, FloatBuffer v, int from, int to,
                               float b1, float b2, float c1, float c2, float eps, float stepSize, float ib2, boolean clearGrad) {
        for (int i = from; i < to; i++) {
            float g = grad.get(i);
            float mi = b1 * m.get(i) + c1 * g;
            float vi = b2 * v.get(i) + c2 * g * g;
            m.put(i, mi);
            v.put(i, vi);
            param.put(i, param.get(i) - stepSize * mi / ((float) Math.sqrt(vi) * ib2 + eps));
            if (clearGrad) grad.put(i, 0f);
        }
    }
}
