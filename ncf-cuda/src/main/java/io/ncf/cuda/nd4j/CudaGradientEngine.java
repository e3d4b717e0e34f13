package io.ncf.cuda.nd4j;

import io.ncf.cuda.CudaDevice;
import io.ncf.cuda.CudaNeuMF;
import io.ncf.cuda.ParamLayout;
import io.ncf.cuda.Precision;
import io.ncf.model.DropoutMask;
import io.ncf.core.NeuMFConfig;
import io.ncf.model.ParamSet;
import io.ncf.model.GradientEngine;

/**
 * The CUDA engine behind the {@link GradientEngine} interface, so the CPU trainer and the equivalence tests can
 * drive it. The interface keeps parameters and gradients in host ParamSets, so every call copies the parameters to
 * the GPU and the gradients back (2 x 127 MB per call at the ml-20m shape): correct, but the fast path is
 * {@link io.ncf.cuda.GpuTrainer}, which keeps everything on the device. Needs ND4J on the class path.
 */
public final class CudaGradientEngine implements GradientEngine {

    private final ParamSet params;
    private final ParamLayout layout;
    private final CudaDevice device;
    private final CudaNeuMF engine;

    public CudaGradientEngine(ParamSet params, int microBatch, Precision precision, int gpu) {
        this.params = params;
        this.layout = new ParamLayout(params.config());
        this.device = CudaDevice.open(gpu);
        this.engine = new CudaNeuMF(device, params.config(), precision, microBatch);
    }

    @Override public NeuMFConfig config() { return params.config(); }

    @Override public ParamSet params() { return params; }

    @Override public int microBatchSize() { return engine.maxBatch(); }

    public CudaNeuMF engine() { return engine; }

    @Override
    public double accumulateGradients(int[] users, int[] items, float[] labels, int from, int count, float weight,
                                      DropoutMask dropout, long samplePosition, ParamSet grads) {
        if (from < 0 || count < 0 || from + count > users.length || from + count > items.length || from + count > labels.length)
            throw new IllegalArgumentException("samples [" + from + ", " + (from + count) + ") out of range for arrays of "
                    + users.length + "/" + items.length + "/" + labels.length);
        device.makeCurrent();
        engine.setParameters(ParamSetBridge.flatten(params, layout));
        engine.zeroGradients();
        for (int done = 0; done < count; done += engine.maxBatch()) {
            int n = Math.min(engine.maxBatch(), count - done);
            engine.setBatch(users, items, labels, from + done, n);
            engine.forwardBackward(n, weight, dropout, samplePosition + done);
        }
        double loss = engine.takeLossSum();
        ParamSetBridge.addInto(grads, layout, engine.gradients());
        return loss;
    }

    @Override
    public void score(int[] users, int[] items, int count, float[] out) {
        device.makeCurrent();
        engine.setParameters(ParamSetBridge.flatten(params, layout));
        engine.score(users, items, count, out);
    }

    @Override public void close() {
        engine.close();
        device.close();
    }
}
