package io.ncf.model;

/**
 * A dropout mask defined by a counter-based hash of (seed, layer, sample position, unit), so every engine,
 * every micro-batch split and every worker split of the same samples drops the same units. Values are 0 for
 * a dropped unit and {@code 1/(1-rate)} for a kept one (inverted dropout).
 *
 * <p>Each (layer, sample) row draws 16-bit uniforms, four per 64-bit hash output; unit j is kept when its
 * uniform is at least {@code rate * 65536}. The quantisation of {@code rate} to 1/65536 is immaterial.
 */
public final class DropoutMask {

    public static final DropoutMask NONE = new DropoutMask(0L, 0f);

    private final long seed;
    private final float rate;
    private final int threshold;
    private final float keepValue;

    public DropoutMask(long seed, float rate) {
        if (!(rate >= 0f && rate < 1f)) throw new IllegalArgumentException("dropout rate must be in [0, 1), got " + rate);
        this.seed = seed;
        this.rate = rate;
        this.threshold = Math.round(rate * 65536f);
        this.keepValue = 1f / (1f - rate);
    }

    public boolean isNone() { return threshold == 0; }

    public float rate() { return rate; }

    public long seed() { return seed; }

    public float keepValue() { return keepValue; }

    /**
     * Writes the mask of {@code count} samples starting at epoch position {@code firstSample} for a layer of
     * {@code width} units into {@code out[outOffset + k*width + j]} (row-major).
     */
    public void fill(int layer, long firstSample, int count, int width, float[] out, int outOffset) {
        for (int k = 0; k < count; k++) fillRow(layer, firstSample + k, width, out, outOffset + k * width);
    }

    /** One sample's mask row. */
    public void fillRow(int layer, long sample, int width, float[] out, int offset) {
        if (threshold == 0) {
            java.util.Arrays.fill(out, offset, offset + width, 1f);
            return;
        }
        long state = rowState(layer, sample);
        for (int j = 0; j < width; j += 4) {
            state += STATE_STEP;
            long r = mix(state);
            for (int b = 0; b < 4 && j + b < width; b++) {
                int u = (int) ((r >>> (16 * b)) & 0xFFFF);
                out[offset + j + b] = u >= threshold ? keepValue : 0f;
            }
        }
    }

    /** Added to the row state before each 64-bit draw (see {@link #rowState}). */
    public static final long STATE_STEP = 0x9E3779B97F4A7C15L;

    /**
     * For kernels that apply the mask without materialising it: draw q (q = 0, 1, ...) of a row is
     * {@code mix(rowState + (q + 1) * STATE_STEP)}; its 16-bit lane b is unit {@code 4q + b}, kept when the lane
     * is at least {@link #threshold()}. {@link #fillRow} is exactly this.
     */
    public long rowState(int layer, long sample) {
        return mix(seed ^ (STATE_STEP * (layer + 1)) ^ mix(sample + 0x632BE59BD9B4E019L));
    }

    /** Units whose 16-bit uniform is below this are dropped (0 when there is no dropout). */
    public int threshold() { return threshold; }

    /** The mask for one step: a fresh seed per (base seed, step) so steps differ. */
    public static DropoutMask forStep(long baseSeed, long step, float rate) {
        return rate == 0f ? NONE : new DropoutMask(mix(baseSeed * 0xD1B54A32D192ED03L + step), rate);
    }

    /** SplitMix64's finaliser: a fast, well-mixed 64-bit hash. */
    public static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
