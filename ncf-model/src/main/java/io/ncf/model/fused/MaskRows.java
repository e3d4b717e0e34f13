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

    /** Units [0, w) of the row whose {@link DropoutMask#rowState} is {@code state}, into {@code m[at .. at+w)}. */
    void fill(float[] m, int at, int w, long state) {
        int j = 0;
        for (; j + 8 <= w; j += 8) {
            state += DropoutMask.STATE_STEP;
            long r0 = DropoutMask.mix(state);
            state += DropoutMask.STATE_STEP;
            long r1 = DropoutMask.mix(state);
            System.arraycopy(table, (keptBits(r0) | keptBits(r1) << 4) << 3, m, at + j, 8);
        }
        for (; j < w; j += 4) {
            state += DropoutMask.STATE_STEP;
            int bits = keptBits(DropoutMask.mix(state));
            for (int b = 0; b < 4 && j + b < w; b++) m[at + j + b] = table[(bits << 3) + b];
        }
    }

    /** Bit b set iff 16-bit lane b of {@code r} is at least the threshold (lane b is unit b of the draw). */
    private int keptBits(long r) {
        long even = ((((r & LOW16_OF_32) + bias) >>> 16) & BIT0_OF_32);           // lanes 0, 2 at bits 0, 32
        long odd = (((((r >>> 16) & LOW16_OF_32) + bias) >>> 16) & BIT0_OF_32);   // lanes 1, 3 at bits 0, 32
        long ge = even | (odd << 1);                                               // lanes 0..3 at bits 0, 1, 32, 33
        return ((int) ge & 3) | (int) (ge >>> 30);
    }
}
