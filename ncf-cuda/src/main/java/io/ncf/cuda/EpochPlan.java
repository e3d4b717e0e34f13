package io.ncf.cuda;

import io.ncf.model.DropoutMask;

/**
 * One training epoch as the GPU generates it, with no stored shuffle: the epoch has
 * {@code n = positives × (1 + negatives)} samples; epoch position t holds sample {@code s = permute(t)}, a keyed
 * bijection of [0, n) (a 4-round Feistel network over the next power of four, cycle-walked into range), and
 * sample s is slot {@code s % (1+neg)} of positive {@code s / (1+neg)}: slot 0 the positive itself (label 1),
 * the others uniform random items (label 0, unverified, as NVIDIA's shortcut sampler). Everything is a pure
 * function of (seed, epoch, t), so batches can be built on any device in any order and runs repeat under
 * {@code --seed}. This class is the Java reference of kernel {@code make_batch}; both must stay bit-identical.
 */
public final class EpochPlan {

    private static final long GOLD = 0x9E3779B97F4A7C15L;

    private final long n;
    private final int negatives;
    private final int halfBits;
    private final long permKey;
    private final long negKey;

    public EpochPlan(long positives, int negatives, long seed, int epoch) {
        if (positives <= 0) throw new IllegalArgumentException("an epoch needs at least one positive, got " + positives);
        if (negatives < 0) throw new IllegalArgumentException("--negative-samples must be >= 0, got " + negatives);
        this.n = positives * (1L + negatives);
        this.negatives = negatives;
        int h = 1;
        while (h < 31 && (1L << (2 * h)) < n) h++;
        this.halfBits = h;
        this.permKey = DropoutMask.mix(seed * 0xD6E8FEB86659FD93L + epoch + 1);
        this.negKey = DropoutMask.mix(seed * 0xA0761D6478BD642FL + epoch + 1);
    }

    public long size() { return n; }

    public int negatives() { return negatives; }

    public int halfBits() { return halfBits; }

    public long permKey() { return permKey; }

    public long negKey() { return negKey; }

    static long feistel(long x, int h, long key) {
        long mask = (1L << h) - 1;
        long l = x >>> h, r = x & mask;
        for (int round = 0; round < 4; round++) {
            long f = DropoutMask.mix(r ^ (key + GOLD * (round + 1))) & mask;
            long nl = r;
            r = l ^ f;
            l = nl;
        }
        return (l << h) | r;
    }

    /** The sample index at epoch position t in [0, n). */
    public long permute(long t) {
        if (t < 0 || t >= n) throw new IndexOutOfBoundsException("epoch position " + t + " outside [0, " + n + ")");
        long x = feistel(t, halfBits, permKey);
        while (Long.compareUnsigned(x, n) >= 0) x = feistel(x, halfBits, permKey);
        return x;
    }

    /**
     * {@link #fill} with checked negatives ({@code --no-neg-trick}): a negative that is in fact one of the user's
     * training positives is redrawn, attempt a = 1, 2, ... from {@code mix(negKey ^ mix(s) + a·GOLD)}, until it is not
     * (a user who has rated every item keeps the last draw). Still a pure function of (seed, epoch, position), so
     * resumed runs and any split over GPUs draw the same samples. The GPU engine builds such batches on the host and
     * uploads them: the device sampler itself stays unchecked, as NVIDIA's.
     */
    public void fillChecked(long t0, int count, int[] posUsers, int[] posItems, int numItems, io.ncf.core.UserItemIndex positives,
                            int[] users, int[] items, float[] labels) {
        fill(t0, count, posUsers, posItems, numItems, users, items, labels);
        for (int b = 0; b < count; b++) {
            if (labels[b] != 0f || !positives.contains(users[b], items[b])) continue;
            int u = users[b];
            if (positives.count(u) >= numItems) continue;
            long s = permute(t0 + b);
            for (long a = 1; positives.contains(u, items[b]); a++) {
                long r = DropoutMask.mix((negKey ^ DropoutMask.mix(s)) + a * GOLD);
                items[b] = (int) (((r >>> 32) * (long) numItems) >>> 32);
            }
        }
    }

    /**
     * Fills users/items/labels for epoch positions {@code [t0, t0+count)} from the training positives, as the
     * kernel does.
     */
    public void fill(long t0, int count, int[] posUsers, int[] posItems, int numItems, int[] users, int[] items, float[] labels) {
        for (int b = 0; b < count; b++) {
            long s = permute(t0 + b);
            long p = s / (negatives + 1);
            int slot = (int) (s - p * (negatives + 1));
            users[b] = posUsers[(int) p];
            if (slot == 0) {
                items[b] = posItems[(int) p];
                labels[b] = 1f;
            } else {
                long r = DropoutMask.mix(negKey ^ DropoutMask.mix(s));
                items[b] = (int) (((r >>> 32) * (long) numItems) >>> 32);
                labels[b] = 0f;
            }
        }
    }
}
