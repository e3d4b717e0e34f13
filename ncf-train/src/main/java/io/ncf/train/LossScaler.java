package io.ncf.train;

/**
 * Loss scaling for mixed precision (Micikevicius et al., "Mixed Precision Training"), the one policy every engine
 * uses: the loss is multiplied by {@link #lossScale()} so that small 16-bit gradients do not flush to zero, and
 * the engine divides the gradients by the same factor before Adam. Fixed ({@link #fixed}) or dynamic
 * ({@link #dynamic}): on any inf/NaN gradient the step is skipped and a dynamic scale halved; after
 * {@code growthInterval} consecutive good steps it doubles. A dynamic scale that falls below {@code floor} means
 * the gradients overflow whatever the scale, i.e. training has diverged: that is an error, not something to skip
 * forever.
 *
 * <p>Pure bookkeeping, no tensors: an engine checks its gradients where they live (host buffers, GPU memory) and
 * reports the answer to {@link #update}. It is part of an engine's state: {@link #restore} continues a run.
 */
public final class LossScaler {

    public static final float DEFAULT_INITIAL = 32768f; // 2^15, as NVIDIA's AMP
    public static final int DEFAULT_WINDOW = 2000;
    public static final float DEFAULT_FLOOR = 1f;
    /** Growth stops here: beyond it FLOAT gradients of any real loss overflow anyway. */
    public static final float MAX_SCALE = 0x1p64f;

    private final boolean dynamic, active;
    private final int growthInterval;
    private final float floor;
    private float scale;
    private int goodSteps;
    private long skippedTotal, skippedEpoch, steps;

    private LossScaler(float initial, boolean dynamic, int growthInterval, float floor, boolean active) {
        if (!(initial > 0) || !Float.isFinite(initial)) throw new IllegalArgumentException("lossScale must be positive and finite, got " + initial);
        if (growthInterval <= 0) throw new IllegalArgumentException("lossScaleWindow must be positive, got " + growthInterval);
        if (!(floor > 0) || !Float.isFinite(floor)) throw new IllegalArgumentException("lossScaleFloor must be positive and finite, got " + floor);
        if (dynamic && initial < floor) throw new IllegalArgumentException("lossScaleInit " + initial + " is below lossScaleFloor " + floor);
        this.scale = initial;
        this.dynamic = dynamic;
        this.growthInterval = growthInterval;
        this.floor = floor;
        this.active = active;
    }

    /** A constant scale; a step whose gradients overflow is still skipped (Adam must never see inf). */
    public static LossScaler fixed(float scale) { return new LossScaler(scale, false, Integer.MAX_VALUE, Float.MIN_NORMAL, true); }

    public static LossScaler dynamic(float initial, int growthInterval, float floor) { return new LossScaler(initial, true, growthInterval, floor, true); }

    public static LossScaler dynamicDefaults() { return dynamic(DEFAULT_INITIAL, DEFAULT_WINDOW, DEFAULT_FLOOR); }

    /**
     * Plain FP32 training: scale 1. An engine may skip its overflow check for it (a non-finite loss stops the run
     * anyway); one that checks anyway (the GPU's fused Adam does) still gets a skipped step for an overflow.
     */
    public static LossScaler none() { return new LossScaler(1f, false, Integer.MAX_VALUE, Float.MIN_NORMAL, false); }

    /** Factor the next step's loss is multiplied by (its gradients come back multiplied by it). */
    public float lossScale() { return scale; }

    public boolean isDynamic() { return dynamic; }

    /** False for {@link #none()}: no mixed precision, no scaling asked for. */
    public boolean isActive() { return active; }

    public int growthInterval() { return growthInterval; }

    public float floor() { return floor; }

    /** Steps skipped since the current epoch started. */
    public long skippedThisEpoch() { return skippedEpoch; }

    public long skippedTotal() { return skippedTotal; }

    public long steps() { return steps; }

    /** Good steps since the last change of scale (part of the state a resumed run continues from). */
    public int goodSteps() { return goodSteps; }

    /** Continues from a saved scale and good-step count (resume). */
    public LossScaler restore(float savedScale, int savedGoodSteps) {
        if (!(savedScale > 0) || !Float.isFinite(savedScale) || savedGoodSteps < 0)
            throw new IllegalArgumentException("saved loss-scale state is invalid: scale " + savedScale + ", good steps " + savedGoodSteps);
        this.scale = savedScale;
        this.goodSteps = savedGoodSteps;
        return this;
    }

    /** Start of an epoch: the per-epoch counter restarts. */
    public void onEpochStart(int epoch) { skippedEpoch = 0; }

    /**
     * Records one step whose gradients were (scaled by {@link #lossScale()} as it was before this call and) finite or
     * not. Returns true when the optimizer should apply the step, after dividing the gradients by that scale; false to
     * skip it (the engine then discards the gradients).
     *
     * @throws TrainingDivergedException when a dynamic scale falls below its floor
     */
    public boolean update(boolean gradientsFinite) {
        steps++;
        if (!gradientsFinite) {
            skippedTotal++;
            skippedEpoch++;
            goodSteps = 0;
            if (dynamic) {
                scale /= 2;
                if (scale < floor)
                    throw new TrainingDivergedException("the dynamic loss scale fell to " + scale + ", below lossScaleFloor " + floor
                            + ", after " + skippedTotal + " skipped steps: the gradients overflow at any scale (the model diverged);"
                            + " lower learningRate or train without fp16");
            }
            return false;
        }
        if (dynamic && ++goodSteps >= growthInterval) {
            goodSteps = 0;
            scale = Math.min(scale * 2, MAX_SCALE);
        }
        return true;
    }

    @Override public String toString() {
        if (!active) return "no loss scaling";
        return dynamic ? String.format("dynamic loss scale (now %.0f, window %d, floor %g)", scale, growthInterval, floor)
                : String.format("fixed loss scale %.0f", scale);
    }
}
