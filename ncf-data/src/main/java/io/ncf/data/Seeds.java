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
}
