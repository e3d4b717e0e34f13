package io.ncf.cuda;

/**
 * Dynamic loss scaling for FP16 training (the policy of the CPU engines and of PyTorch's GradScaler): start at
 * {@code initial}, halve and skip the step when a gradient is inf/NaN, double after {@code growthInterval}
 * consecutive good steps, never leave [{@code min}, {@code max}]. A static scaler never changes its scale.
 */
public final class LossScaler {

    private final boolean dynamic;
    private final int growthInterval;
    private final float min, max;
    private float scale;
    private int goodSteps;
    private long skipped;

    private LossScaler(float initial, boolean dynamic, int growthInterval, float min, float max) {
        if (!(initial > 0f) || Float.isInfinite(initial)) throw new IllegalArgumentException("--loss-scale must be positive and finite, got " + initial);
        if (growthInterval < 1) throw new IllegalArgumentException("loss-scale growth interval must be >= 1, got " + growthInterval);
        this.scale = initial;
        this.dynamic = dynamic;
        this.growthInterval = growthInterval;
        this.min = min;
        this.max = max;
    }

    public static LossScaler dynamic(float initial, int growthInterval) { return new LossScaler(initial, true, growthInterval, 1f, 1 << 24); }

    /** NVIDIA's AMP defaults: 2^16, doubling after 2000 good steps. */
    public static LossScaler dynamicDefault() { return dynamic(65536f, 2000); }

    public static LossScaler fixed(float scale) { return new LossScaler(scale, false, 1, scale, scale); }

    public float scale() { return scale; }

    public long skippedSteps() { return skipped; }

    public boolean isDynamic() { return dynamic; }

    /**
     * Records whether the step's gradients were finite; returns true if the optimizer should apply the step.
     * A fixed scaler still reports non-finite steps as not to be applied.
     */
    public boolean update(boolean gradientsFinite) {
        if (!gradientsFinite) {
            skipped++;
            goodSteps = 0;
            if (dynamic) scale = Math.max(min, scale * 0.5f);
            return false;
        }
        if (dynamic && ++goodSteps >= growthInterval) {
            goodSteps = 0;
            scale = Math.min(max, scale * 2f);
        }
        return true;
    }
}
