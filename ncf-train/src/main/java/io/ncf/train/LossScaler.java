package io.ncf.train;

import io.ncf.model.ParamSet;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;

/**
 * Loss scaling for mixed precision (Micikevicius et al., "Mixed Precision Training"): the loss is multiplied
 * by {@code scale} so that small HALF gradients do not flush to zero; before Adam the gradients are divided by
 * it again. Fixed ({@link #fixed}) or dynamic ({@link #dynamic}): on any inf/NaN gradient the step is skipped
 * and the scale halved; after {@code growthInterval} consecutive good steps it doubles. A dynamic scale that
 * falls below {@code floor} means the gradients overflow whatever the scale, i.e. training has diverged: that
 * is an error, not something to skip forever.
 */
public final class LossScaler implements GradientPolicy {

    public static final float DEFAULT_INITIAL = 32768f; // 2^15, as NVIDIA's AMP
    public static final int DEFAULT_WINDOW = 2000;
    public static final float DEFAULT_FLOOR = 1f;
    /** Growth stops here: beyond it FLOAT gradients of any real loss overflow anyway. */
    public static final float MAX_SCALE = 0x1p64f;

    private final boolean dynamic;
    private final int growthInterval;
    private final float floor;
    private float scale;
    private int goodSteps;
    private long skippedTotal, skippedEpoch, steps;

    private LossScaler(float initial, boolean dynamic, int growthInterval, float floor) {
        if (!(initial > 0) || !Float.isFinite(initial)) throw new IllegalArgumentException("--loss-scale must be positive and finite, got " + initial);
        if (growthInterval <= 0) throw new IllegalArgumentException("--loss-scale-window must be positive, got " + growthInterval);
        if (!(floor > 0) || !Float.isFinite(floor)) throw new IllegalArgumentException("--loss-scale-floor must be positive and finite, got " + floor);
        if (dynamic && initial < floor) throw new IllegalArgumentException("initial loss scale " + initial + " is below --loss-scale-floor " + floor);
        this.scale = initial;
        this.dynamic = dynamic;
        this.growthInterval = growthInterval;
        this.floor = floor;
    }

    /** A constant scale; a step whose gradients overflow is still skipped (Adam must never see inf). */
    public static LossScaler fixed(float scale) { return new LossScaler(scale, false, Integer.MAX_VALUE, Float.MIN_NORMAL); }

    public static LossScaler dynamic(float initial, int growthInterval, float floor) { return new LossScaler(initial, true, growthInterval, floor); }

    public static LossScaler dynamicDefaults() { return dynamic(DEFAULT_INITIAL, DEFAULT_WINDOW, DEFAULT_FLOOR); }

    @Override public float lossScale() { return scale; }

    public boolean isDynamic() { return dynamic; }

    /** Steps skipped since the current epoch started. */
    public long skippedThisEpoch() { return skippedEpoch; }

    public long skippedTotal() { return skippedTotal; }

    public long steps() { return steps; }

    /** Good steps since the last change of scale (part of the state a resumed run continues from). */
    public int goodSteps() { return goodSteps; }

    /** Continues from a saved scale and good-step count (--resume). */
    public LossScaler restore(float savedScale, int savedGoodSteps) {
        if (!(savedScale > 0) || !Float.isFinite(savedScale) || savedGoodSteps < 0)
            throw new IllegalArgumentException("saved loss-scale state is invalid: scale " + savedScale + ", good steps " + savedGoodSteps);
        this.scale = savedScale;
        this.goodSteps = savedGoodSteps;
        return this;
    }

    @Override public void onEpochStart(int epoch) { skippedEpoch = 0; }

    @Override public boolean beforeUpdate(ParamSet grads) {
        steps++;
        if (!allFinite(grads)) {
            grads.clear();
            skippedTotal++;
            skippedEpoch++;
            goodSteps = 0;
            if (dynamic) {
                scale /= 2;
                if (scale < floor)
                    throw new TrainingDivergedException("the dynamic loss scale fell to " + scale + ", below --loss-scale-floor " + floor
                            + ", after " + skippedTotal + " skipped steps: the gradients overflow at any scale (the model diverged);"
                            + " lower --learning-rate or train without --fp16");
            }
            return false;
        }
        if (scale != 1f) unscale(grads, 1f / scale);
        if (dynamic && ++goodSteps >= growthInterval) {
            goodSteps = 0;
            scale = Math.min(scale * 2, MAX_SCALE);
        }
        return true;
    }

    /** One pass per array over the raw buffers: much cheaper than ND4J ops for a boolean answer. */
    static boolean allFinite(ParamSet grads) {
        for (INDArray a : grads.arrays()) {
            FloatBuffer b = a.data().asNioFloat();
            float acc = 0;
            // x*0 is 0 for finite x and NaN for inf/NaN: one branch-free accumulation, checked once per array
            for (int i = 0, n = (int) a.length(); i < n; i++) acc += b.get(i) * 0f;
            if (acc != 0f) return false;
        }
        return true;
    }

    private static void unscale(ParamSet grads, float inv) {
        for (INDArray a : grads.arrays()) a.muli(inv);
    }

    @Override public String toString() {
        return dynamic ? String.format("dynamic loss scale (now %.0f, window %d, floor %g)", scale, growthInterval, floor)
                : String.format("fixed loss scale %.0f", scale);
    }
}
