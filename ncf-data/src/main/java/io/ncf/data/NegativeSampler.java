package io.ncf.data;

import io.ncf.core.UserItemIndex;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * One epoch of training samples: every training positive (label 1) and {@code negatives} negatives per positive
 * (label 0, same user, item uniform in {@code [0, numItems)}), the whole epoch shuffled.
 * <ul>
 * <li>shortcut ({@code verify=false}, NVIDIA's default): negatives are not checked, so a few are in fact
 *     positives (about 0.5% on ml-20m);</li>
 * <li>verified: a negative is redrawn while it is one of the user's <em>training</em> positives.</li>
 * </ul>
 * Deterministic in (seed, epoch) and independent of the thread count. The shuffle is a bucket shuffle: each
 * sample goes to a uniformly random bucket (about 128k samples, cache-sized), then every bucket is Fisher–Yates
 * shuffled; the concatenation is a uniformly random permutation, and both passes run in parallel over
 * fixed-size chunks with their own random streams.
 */
public final class NegativeSampler {

    private static final int POSITIVES_PER_CHUNK = 1 << 15;
    private static final int SAMPLES_PER_BUCKET = 1 << 17;
    private static final long STREAM_BUCKET = 1, STREAM_ITEM = 2, STREAM_SHUFFLE = 3;

    private final int numItems;
    private final int[] trainUsers;
    private final int[] trainItems;
    private final int negatives;
    private final boolean verify;
    private final long seed;
    private final UserItemIndex trainIndex;
    private final int epochSize;

    public NegativeSampler(NcfDataset ds, int negatives, boolean verify, long seed) {
        this(ds.numUsers(), ds.numItems(), ds.trainUsers(), ds.trainItems(), negatives, verify, seed);
    }

    public NegativeSampler(int numUsers, int numItems, int[] trainUsers, int[] trainItems, int negatives, boolean verify, long seed) {
        if (negatives < 0) throw new IllegalArgumentException("negatives must be >= 0, got " + negatives);
        if (numItems <= 0) throw new IllegalArgumentException("numItems must be > 0");
        if (trainUsers.length != trainItems.length) throw new IllegalArgumentException("train arrays differ in length");
        long size = (long) trainUsers.length * (1 + negatives);
        if (size > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("epoch of " + size + " samples exceeds int indexing");
        this.numItems = numItems;
        this.trainUsers = trainUsers;
        this.trainItems = trainItems;
        this.negatives = negatives;
        this.verify = verify;
        this.seed = seed;
        this.epochSize = (int) size;
        if (verify) {
            trainIndex = trainIndex(numUsers, trainUsers, trainItems);
            for (int u = 0; u < numUsers; u++)
                if (trainIndex.count(u) >= numItems && negatives > 0)
                    throw new IllegalArgumentException("user " + u + " has every item as a training positive: no verified negative exists");
        } else {
            trainIndex = null;
        }
    }

    /** Training positives per user; parallel when the pairs are grouped by user (as {@link NcfDataset} keeps them). */
    static UserItemIndex trainIndex(int numUsers, int[] users, int[] items) {
        int n = users.length;
        boolean grouped = true;
        for (int k = 1; k < n && grouped; k++) grouped = users[k] >= users[k - 1];
        if (!grouped) return UserItemIndex.build(numUsers, users, items, n);
        int[] offsets = new int[numUsers + 1];
        for (int k = 0; k < n; k++) offsets[users[k] + 1]++;
        for (int u = 0; u < numUsers; u++) offsets[u + 1] += offsets[u];
        int[] sorted = items.clone();
        Preprocessor.forEachUserBlock(numUsers, (from, to) -> {
            for (int u = from; u < to; u++) Arrays.sort(sorted, offsets[u], offsets[u + 1]);
        });
        // duplicates would be harmless for lookups, but UserItemIndex promises none
        for (int u = 0; u < numUsers; u++)
            for (int k = offsets[u] + 1; k < offsets[u + 1]; k++)
                if (sorted[k] == sorted[k - 1]) return UserItemIndex.build(numUsers, users, items, n);
        return new UserItemIndex(offsets, sorted);
    }

    /** Samples per epoch: positives × (1 + negatives). */
    public int epochSize() { return epochSize; }

    public int negatives() { return negatives; }

    public boolean verify() { return verify; }

    /** Arrays sized for one epoch, to pass to {@link #sample} every epoch. */
    public TrainingSamples newSamples() { return new TrainingSamples(epochSize); }

    /** Fills {@code out} (null: allocate) with the shuffled samples of {@code epoch}; returns it. */
    public TrainingSamples sample(int epoch, TrainingSamples out) {
        if (out == null) out = newSamples();
        if (out.capacity() < epochSize) throw new IllegalArgumentException("samples hold " + out.capacity() + ", epoch needs " + epochSize);
        final int[] su = out.users(), si = out.items();
        final float[] sl = out.labels();
        final int positives = trainUsers.length;
        final int perPositive = 1 + negatives;
        final int chunks = (positives + POSITIVES_PER_CHUNK - 1) / POSITIVES_PER_CHUNK;
        final int buckets = Math.max(1, (int) ((epochSize + (long) SAMPLES_PER_BUCKET - 1) / SAMPLES_PER_BUCKET));

        // pass 1: how many samples each chunk sends to each bucket
        int[][] counts = new int[chunks][];
        IntStream.range(0, chunks).parallel().forEach(c -> {
            int[] h = new int[buckets];
            SplittableRandom rb = Seeds.random(seed, epoch, (long) c * 4 + STREAM_BUCKET);
            int n = (Math.min(positives, (c + 1) * POSITIVES_PER_CHUNK) - c * POSITIVES_PER_CHUNK) * perPositive;
            for (int k = 0; k < n; k++) h[below(rb, buckets)]++;
            counts[c] = h;
        });
        // where each (bucket, chunk) run starts: buckets in order, chunks in order within a bucket
        int[] bucketStart = new int[buckets + 1];
        int pos = 0;
        for (int b = 0; b < buckets; b++) {
            bucketStart[b] = pos;
            for (int c = 0; c < chunks; c++) {
                int cnt = counts[c][b];
                counts[c][b] = pos;
                pos += cnt;
            }
        }
        bucketStart[buckets] = pos;

        // pass 2: generate, replaying the same bucket stream. Samples are packed in a long and staged per
        // bucket, so the scatter into ~1,500 buckets writes whole cache lines instead of single ints.
        ThreadLocal<long[]> stagingPool = ThreadLocal.withInitial(() -> new long[buckets * STAGE]);
        ThreadLocal<long[]> bitmapPool = ThreadLocal.withInitial(() -> new long[(numItems + 63) >>> 6]);
        IntStream.range(0, chunks).parallel().forEach(c -> {
            int[] cursor = counts[c];
            long[] stage = stagingPool.get();
            int[] fill = new int[buckets];
            SplittableRandom rb = Seeds.random(seed, epoch, (long) c * 4 + STREAM_BUCKET);
            SplittableRandom ri = Seeds.random(seed, epoch, (long) c * 4 + STREAM_ITEM);
            int from = c * POSITIVES_PER_CHUNK, to = Math.min(positives, from + POSITIVES_PER_CHUNK);
            int[] idx = verify ? trainIndex.itemsArray() : null;
            // verified: the current user's training items as a bitmap, rebuilt when the user changes (positives
            // are grouped by user, so about once per 140 positives on ml-20m): a rejection test is one bit test
            long[] bits = verify ? bitmapPool.get() : null;
            int bitsUser = -1;
            for (int p = from; p < to; p++) {
                int u = trainUsers[p];
                long hi = (long) u << 32;
                stage(stage, fill, cursor, su, si, sl, below(rb, buckets), hi | ((long) trainItems[p] << 1) | 1L);
                if (verify && u != bitsUser) {
                    if (bitsUser >= 0) for (int k = trainIndex.start(bitsUser); k < trainIndex.end(bitsUser); k++) bits[idx[k] >>> 6] = 0L;
                    for (int k = trainIndex.start(u); k < trainIndex.end(u); k++) bits[idx[k] >>> 6] |= 1L << idx[k];
                    bitsUser = u;
                }
                for (int j = 0; j < negatives; j++) {
                    int item = below(ri, numItems);
                    if (verify) while ((bits[item >>> 6] & (1L << item)) != 0) item = below(ri, numItems);
                    stage(stage, fill, cursor, su, si, sl, below(rb, buckets), hi | ((long) item << 1));
                }
            }
            if (verify && bitsUser >= 0) for (int k = trainIndex.start(bitsUser); k < trainIndex.end(bitsUser); k++) bits[idx[k] >>> 6] = 0L;
            for (int b = 0; b < buckets; b++) if (fill[b] > 0) flush(stage, b, fill[b], cursor, su, si, sl);
        });

        // pass 3: Fisher–Yates inside each bucket, on packed samples
        ThreadLocal<long[]> shufflePool = ThreadLocal.withInitial(() -> new long[0]);
        IntStream.range(0, buckets).parallel().forEach(b -> {
            SplittableRandom rs = Seeds.random(seed, epoch, (long) b * 4 + STREAM_SHUFFLE);
            int s = bucketStart[b], n = bucketStart[b + 1] - s;
            long[] a = shufflePool.get();
            if (a.length < n) shufflePool.set(a = new long[n + (n >> 3)]);
            for (int k = 0; k < n; k++) a[k] = ((long) su[s + k] << 32) | ((long) si[s + k] << 1) | (sl[s + k] != 0f ? 1L : 0L);
            for (int k = n - 1; k > 0; k--) {
                int j = below(rs, k + 1);
                long t = a[k]; a[k] = a[j]; a[j] = t;
            }
            for (int k = 0; k < n; k++) {
                long v = a[k];
                su[s + k] = (int) (v >>> 32);
                si[s + k] = (int) v >>> 1;
                sl[s + k] = (v & 1L) != 0 ? 1f : 0f;
            }
        });
        out.setSize(epochSize);
        return out;
    }

    private static final int STAGE = 32;

    private static void stage(long[] stage, int[] fill, int[] cursor, int[] su, int[] si, float[] sl, int b, long packed) {
        int f = fill[b];
        stage[b * STAGE + f] = packed;
        if (++f == STAGE) {
            flush(stage, b, f, cursor, su, si, sl);
            f = 0;
        }
        fill[b] = f;
    }

    private static void flush(long[] stage, int b, int n, int[] cursor, int[] su, int[] si, float[] sl) {
        int w = cursor[b];
        int base = b * STAGE;
        for (int k = 0; k < n; k++) {
            long v = stage[base + k];
            su[w + k] = (int) (v >>> 32);
            si[w + k] = (int) v >>> 1;
            sl[w + k] = (v & 1L) != 0 ? 1f : 0f;
        }
        cursor[b] = w + n;
    }

    static int below(SplittableRandom r, int bound) { return Seeds.below(r, bound); }
}
