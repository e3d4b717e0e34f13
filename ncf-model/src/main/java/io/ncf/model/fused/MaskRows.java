package io.ncf.model.fused;

import io.ncf.model.DropoutMask;

/**
 * Draws {@link DropoutMask} rows into float arrays, eight units per table lookup: the dropout mask was the
 * hottest Java code of a training step (about 4 of the 9 operations per unit were spent turning one 16-bit lane
 * into 0 or {@code keep}, and C2 vectorises none of it). Here each 64-bit draw's four lane comparisons are done at
 * once with SWAR arithmetic, two draws form an 8-bit index, and one 8-float copy from a 256-row table writes the
 * units. The values are exactly {@link DropoutMask#fillRow}'s.
 */
final class MaskRows {

    private static final long LOW16_OF_32 = 0x0000FFFF0000FFFFL;
    private static final long BIT0_OF_32 = 0x0000000100000001L;

    private final int threshold;
    private final float keep;
    private final long bias;          // (65536 - threshold) in both 32-bit halves: lane + bias has bit 16 set iff lane >= threshold
    private final float[] table;      // [256][8]: unit b of index i is keep if bit b of i is set, else 0

    MaskRows(int threshold, float keep) {
        if (threshold < 0 || threshold > 65536) throw new IllegalArgumentException("threshold must be in [0, 65536], got " + threshold);
        this.threshold = threshold;
        this.keep = keep;
        this.bias = (65536L - threshold) * BIT0_OF_32;
        this.table = new float[256 * 8];
        for (int i = 0; i < 256; i++)
            for (int b = 0; b < 8; b++) table[i * 8 + b] = ((i >>> b) & 1) != 0 ? keep : 0f;
    }

    boolean matches(int threshold, float keep) { return this.threshold == threshold && Float.compare(this.keep, keep) == 0; }

    /** Draw q's state offset {@code (q + 1) * STATE_STEP}, tabled so the draw loop has no long multiply by its index. */
    private static final long[] STEPS = new long[1024];

    static {
        for (int q = 0; q < STEPS.length; q++) STEPS[q] = (q + 1) * DropoutMask.STATE_STEP;
    }

    /** The scratch length {@link #fill} needs for rows of {@code w} units: one long per 64-bit draw. */
    static int draws(int w) { return (w + 3) >> 2; }

    /**
     * Units [0, w) of the row whose {@link DropoutMask#rowState} is {@code state}, into {@code m[at .. at+w)};
     * {@code scratch} holds at least {@link #draws}(w) longs. All of the row's draws are made first, in one loop
     * without a table access (C2 vectorises it), then expanded: measured in a training step, faster than drawing
     * and expanding two draws at a time.
     */
    void fill(float[] m, int at, int w, long state, long[] scratch) {
        int q = draws(w), tabled = Math.min(q, STEPS.length);
        long[] r = scratch, steps = STEPS;
        for (int k = 0; k < tabled; k++) {
            // DropoutMask.mix written out: calling it here measured 2-5% slower training (3 interleaved pairs)
            long z = state + steps[k];
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            r[k] = keptLanes(z ^ (z >>> 31));
        }
        for (int k = tabled; k < q; k++) r[k] = keptLanes(DropoutMask.mix(state + (k + 1) * DropoutMask.STATE_STEP));
        float[] t = table;
        int j = 0;
        for (; j + 8 <= w; j += 8) {
            int idx = (nibble(r[j >> 2]) | nibble(r[(j >> 2) + 1]) << 4) << 3;
            m[at + j] = t[idx]; m[at + j + 1] = t[idx + 1]; m[at + j + 2] = t[idx + 2]; m[at + j + 3] = t[idx + 3];
            m[at + j + 4] = t[idx + 4]; m[at + j + 5] = t[idx + 5]; m[at + j + 6] = t[idx + 6]; m[at + j + 7] = t[idx + 7];
        }
        for (; j < w; j += 4) {
            int bits = nibble(r[j >> 2]);
            for (int b = 0; b < 4 && j + b < w; b++) m[at + j + b] = t[(bits << 3) + b];
        }
    }

    /** Lanes 0..3 of draw {@code r} kept (at least the threshold) as bits 0, 1, 32, 33. */
    private long keptLanes(long r) {
        long even = ((((r & LOW16_OF_32) + bias) >>> 16) & BIT0_OF_32);           // lanes 0, 2 at bits 0, 32
        long odd = (((((r >>> 16) & LOW16_OF_32) + bias) >>> 16) & BIT0_OF_32);   // lanes 1, 3 at bits 0, 32
        return even | (odd << 1);
    }

    /** {@link #keptLanes}' four bits as bits 0..3. */
    private static int nibble(long kept) { return ((int) kept & 3) | (int) (kept >>> 30); }

}
