package io.ncf.train;

import io.ncf.model.ParamSet;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Adam (Kingma & Ba) over every tensor of a {@link ParamSet}, dense, in PyTorch's formulation (which the
 * seed's PyTorch peer uses): {@code p -= lr/(1-β1^t) · m / (sqrt(v)/sqrt(1-β2^t) + ε)}. The moment buffers
 * share the parameters' layout, so a checkpoint can hold them as two more sections. Runs in plain Java over
 * the arrays' off-heap buffers, split into chunks across the common fork-join pool.
 */
public final class Adam {

    private static final int CHUNK = 1 << 18;

    private final float lr, beta1, beta2, eps;
    private final ParamSet m, v;
    private long step;
    private final List<Chunk> chunks = new ArrayList<>();

    private record Chunk(FloatBuffer p, FloatBuffer g, FloatBuffer m, FloatBuffer v, int from, int to) {}

    public Adam(float lr, float beta1, float beta2, float eps, ParamSet params) {
        this(lr, beta1, beta2, eps, params.zerosLike(), params.zerosLike(), 0);
    }

    /** Resumes with given moments and step count (from a checkpoint). */
    public Adam(float lr, float beta1, float beta2, float eps, ParamSet m, ParamSet v, long step) {
        if (!(lr > 0) || !Float.isFinite(lr)) throw new IllegalArgumentException("--learning-rate must be positive, got " + lr);
        if (!(beta1 >= 0 && beta1 < 1)) throw new IllegalArgumentException("--beta1 must be in [0, 1), got " + beta1);
        if (!(beta2 >= 0 && beta2 < 1)) throw new IllegalArgumentException("--beta2 must be in [0, 1), got " + beta2);
        if (!(eps > 0)) throw new IllegalArgumentException("--eps must be positive, got " + eps);
        this.lr = lr;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.m = m;
        this.v = v;
        this.step = step;
    }

    public ParamSet firstMoment() { return m; }

    public ParamSet secondMoment() { return v; }

    public long stepCount() { return step; }

    /** One update of {@code params} with {@code grads} (both in the same layout as the moments). */
    public void step(ParamSet params, ParamSet grads) {
        step++;
        double bc1 = 1 - Math.pow(beta1, step);
        double bc2 = 1 - Math.pow(beta2, step);
        float stepSize = (float) (lr / bc1);
        float invSqrtBc2 = (float) (1 / Math.sqrt(bc2));
        List<Chunk> work = chunksFor(params, grads);
        IntStream.range(0, work.size()).parallel().forEach(c -> update(work.get(c), stepSize, invSqrtBc2));
    }

    private List<Chunk> chunksFor(ParamSet params, ParamSet grads) {
        // Buffers are views of the same off-heap memory every step; rebuild only if the arrays changed.
        List<INDArray> ps = params.arrays(), gs = grads.arrays(), ms = m.arrays(), vs = v.arrays();
        if (!chunks.isEmpty() && sameArrays(ps, gs)) return chunks;
        chunks.clear();
        for (int t = 0; t < ps.size(); t++) {
            int n = (int) ps.get(t).length();
            FloatBuffer p = ps.get(t).data().asNioFloat(), g = gs.get(t).data().asNioFloat();
            FloatBuffer mm = ms.get(t).data().asNioFloat(), vv = vs.get(t).data().asNioFloat();
            for (int from = 0; from < n; from += CHUNK) chunks.add(new Chunk(p, g, mm, vv, from, Math.min(n, from + CHUNK)));
        }
        lastParams = ps;
        lastGrads = gs;
        return chunks;
    }

    private List<INDArray> lastParams, lastGrads;

    private boolean sameArrays(List<INDArray> ps, List<INDArray> gs) {
        if (lastParams == null || lastParams.size() != ps.size()) return false;
        for (int i = 0; i < ps.size(); i++) if (lastParams.get(i) != ps.get(i) || lastGrads.get(i) != gs.get(i)) return false;
        return true;
    }

    private void update(Chunk c, float stepSize, float invSqrtBc2) {
        float b1 = beta1, b2 = beta2, ob1 = 1 - beta1, ob2 = 1 - beta2, e = eps;
        FloatBuffer p = c.p, g = c.g, m = c.m, v = c.v;
        for (int i = c.from; i < c.to; i++) {
            float gi = g.get(i);
            float mi = b1 * m.get(i) + ob1 * gi;
            float vi = b2 * v.get(i) + ob2 * gi * gi;
            m.put(i, mi);
            v.put(i, vi);
            p.put(i, p.get(i) - stepSize * mi / ((float) Math.sqrt(vi) * invSqrtBc2 + e));
        }
    }
}
