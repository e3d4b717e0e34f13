package io.ncf.train;

import io.ncf.model.ParamSet;
import io.ncf.model.fused.AdamKernels;
import io.ncf.core.blas.Workers;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;
import java.util.List;

/**
 * Adam (Kingma & Ba) over every tensor of a {@link ParamSet}, dense, in PyTorch's formulation (the seed's
 * PyTorch peer): {@code p -= lr/(1-β1^t) · m / (sqrt(v)/sqrt(1-β2^t) + ε)}. The moment buffers share the
 * parameters' layout, so a checkpoint can hold them as two more sections. Each step is one fused pass per
 * element ({@link AdamKernels#dense}) that also zeroes the gradient, ready for the next accumulation.
 */
public final class Adam implements AutoCloseable {

    private final float lr, beta1, beta2, eps;
    private final ParamSet m, v;
    private final Workers workers;
    private long step;

    public Adam(float lr, float beta1, float beta2, float eps, ParamSet params) {
        this(new AdamConfig(lr, beta1, beta2, eps), params);
    }

    public Adam(AdamConfig c, ParamSet params) {
        this(c, params.zerosLike(), params.zerosLike(), 0);
    }

    /** Resumes with given moments and step count (from a checkpoint). */
    public Adam(AdamConfig c, ParamSet m, ParamSet v, long step) {
        if (!Float.isFinite(c.lr())) throw new IllegalArgumentException("learningRate must be finite, got " + c.lr());
        if (step < 0) throw new IllegalArgumentException("negative Adam step " + step);
        this.lr = c.lr();
        this.beta1 = c.beta1();
        this.beta2 = c.beta2();
        this.eps = c.eps();
        this.m = m;
        this.v = v;
        this.step = step;
        this.workers = new Workers(Runtime.getRuntime().availableProcessors());
    }

    public ParamSet firstMoment() { return m; }

    public ParamSet secondMoment() { return v; }

    public long stepCount() { return step; }

    /** One update of {@code params} with {@code grads}; leaves {@code grads} zeroed. */
    public void step(ParamSet params, ParamSet grads) {
        step++;
        AdamKernels.Step s = new AdamKernels.Step(lr, beta1, beta2, eps, step);
        List<INDArray> ps = params.arrays(), gs = grads.arrays(), ms = m.arrays(), vs = v.arrays();
        for (int t = 0; t < ps.size(); t++) {
            INDArray p = ps.get(t);
            AdamKernels.dense(workers, buf(p), buf(gs.get(t)), buf(ms.get(t)), buf(vs.get(t)), (int) p.length(), s, true);
        }
    }

    private static FloatBuffer buf(INDArray a) { return a.data().asNioFloat(); }

    @Override public void close() { workers.close(); }
}
