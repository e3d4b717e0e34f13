package io.ncf.data;

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
 * sample goes to a uniformly random bucket (about 64k samples, cache-sized), then every bucket is Fisher–Yates
 * shuffled; the concatenation is a uniformly random permutation, and both passes run in parallel over
 * fixed-size chunks with their own random streams.
 */
public final class NegativeSampler {

    private static final int POSITIVES_PER_CHUNK = 1 << 15;
    private static final int SAMPLES_PER_BUCKET = 1 << 16;
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
            if (buckets > 1) for (int k = 0; k < n; k++) h[rb.nextInt(buckets)]++;
            else h[0] = n;
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

        // pass 2: generate, replaying the same bucket stream
        IntStream.range(0, chunks).parallel().forEach(c -> {
            int[] cursor = counts[c];
            SplittableRandom rb = Seeds.random(seed, epoch, (long) c * 4 + STREAM_BUCKET);
            SplittableRandom ri = Seeds.random(seed, epoch, (long) c * 4 + STREAM_ITEM);
            int from = c * POSITIVES_PER_CHUNK, to = Math.min(positives, from + POSITIVES_PER_CHUNK);
            boolean many = buckets > 1;
            for (int p = from; p < to; p++) {
                int u = trainUsers[p];
                int w = many ? cursor[rb.nextInt(buckets)]++ : cursor[0]++;
                su[w] = u;
                si[w] = trainItems[p];
                sl[w] = 1f;
                for (int j = 0; j < negatives; j++) {
                    int item = ri.nextInt(numItems);
                    if (verify) {
                        int[] idx = trainIndex.itemsArray();
                        int s = trainIndex.start(u), e = trainIndex.end(u);
                        while (Arrays.binarySearch(idx, s, e, item) >= 0) item = ri.nextInt(numItems);
                    }
                    w = many ? cursor[rb.nextInt(buckets)]++ : cursor[0]++;
                    su[w] = u;
                    si[w] = item;
                    sl[w] = 0f;
                }
            }
        });

        // pass 3: Fisher–Yates inside each bucket
        IntStream.range(0, buckets).parallel().forEach(b -> {
            SplittableRandom rs = Seeds.random(seed, epoch, (long) b * 4 + STREAM_SHUFFLE);
            int s = bucketStart[b];
            for (int k = bucketStart[b + 1] - 1; k > s; k--) {
                int j = s + rs.nextInt(k - s + 1);
                int tu = su[k]; su[k] = su[j]; su[j] = tu;
                int ti = si[k]; si[k] = si[j]; si[j] = ti;
                float tl = sl[k]; sl[k] = sl[j]; sl[j] = tl;
            }
        });
        out.setSize(epochSize);
        return out;
    }
}
