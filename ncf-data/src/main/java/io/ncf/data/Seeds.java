package io.ncf.data;

import java.util.SplittableRandom;

/**
 * Independent random streams from (seed, key…) tuples. {@code new SplittableRandom(seed + k)} would give
 * overlapping, shifted streams for nearby keys; hashing the tuple through a 64-bit finalizer (Stafford's mix13)
 * does not, and makes every stream depend only on its key, never on thread count or scheduling.
 */
public final class Seeds {

    private Seeds() {}

    public static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    public static long mix(long seed, long key) {
        return mix(mix(seed) + 0x9E3779B97F4A7C15L * (key + 1));
    }

    public static long mix(long seed, long key1, long key2) {
        return mix(mix(seed, key1), key2);
    }

    public static SplittableRandom random(long seed, long key) { return new SplittableRandom(mix(seed, key)); }

    public static SplittableRandom random(long seed, long key1, long key2) { return new SplittableRandom(mix(seed, key1, key2)); }

    /**
     * Uniform int in [0, bound) by Lemire's multiply-shift with rejection: exact like
     * {@code SplittableRandom.nextInt(bound)} but without its integer division in the common case.
     */
    public static int below(SplittableRandom r, int bound) {
        long m = (r.nextInt() & 0xFFFFFFFFL) * bound;
        int low = (int) m;
        if (Integer.compareUnsigned(low, bound) < 0) {
            int threshold = Integer.remainderUnsigned(-bound, bound);
            while (Integer.compareUnsigned(low, threshold) < 0) {
                m = (r.nextInt() & 0xFFFFFFFFL) * bound;
                low = (int) m;
            }
        }
        return (int) (m >>> 32);
    }
}
