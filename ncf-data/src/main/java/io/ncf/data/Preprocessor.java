package io.ncf.data;

import io.ncf.core.IdVocabulary;
import io.ncf.core.UserItemIndex;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * NVIDIA's {@code convert.py} preprocessing on primitive arrays:
 * <ol>
 * <li>drop users with fewer than {@code minRatings} rows (raw rows, duplicates included, like pandas'
 *     {@code groupby(...).filter(len >= 20)});</li>
 * <li>dense ids in order of first appearance among the kept rows ({@code pd.factorize});</li>
 * <li>order by timestamp. <b>Tie rule:</b> a stable sort, so rows with equal timestamps keep their input order
 *     (pandas' default quicksort is not stable; we pin the order down);</li>
 * <li>drop duplicate (user, item) pairs, keeping the earliest;</li>
 * <li>each user's last remaining row is the held-out test item, the rest is training (grouped by user, time
 *     order within a user).</li>
 * </ol>
 * Then evaluation candidates: per user, {@code validNegative} items drawn uniformly with replacement from
 * {@code [0, numItems)}, redrawn while the user interacted with the item (train or test). Each user draws from
 * its own stream seeded by (seed, user), so the result does not depend on the number of threads.
 * <p>
 * Implementation: counting sort by user (stable), then each user's slice is sorted by (time, input position)
 * and deduplicated independently, in parallel over users.
 */
public final class Preprocessor {

    /**
     * @param minRatings    users with fewer raw rows are dropped (NVIDIA: 20)
     * @param validNegative evaluation negatives per user (NVIDIA: 100; the paper: 99)
     * @param seed          seed of the evaluation negatives
     */
    public record Options(int minRatings, int validNegative, long seed) {
        public Options {
            if (minRatings < 0) throw new IllegalArgumentException("minRatings must be >= 0, got " + minRatings);
            if (validNegative < 0) throw new IllegalArgumentException("validNegative must be >= 0, got " + validNegative);
        }

        public static Options defaults() { return new Options(20, 100, 0L); }

        public Options withSeed(long s) { return new Options(minRatings, validNegative, s); }
    }

    private static final int USERS_PER_TASK = 512;

    private final Options options;

    private boolean requireEnoughUnseen;

    public Preprocessor(Options options) { this.options = options; }

    /**
     * Refuse a {@code validNegative} larger than the number of items some user has not seen. Sampling with
     * replacement would still terminate, but such a user's candidates would be mostly repeats of a few items and
     * HR@K meaningless; the CLI turns this on, the library default keeps the seed's plain behaviour.
     */
    public Preprocessor requireEnoughUnseenItems() {
        this.requireEnoughUnseen = true;
        return this;
    }

    public Preprocessor() { this(Options.defaults()); }

    public static final String PROGRESS_TASK = "preprocess";
    private static final int STAGES = 5;
    private Progress progress = Progress.NONE;

    /** Reports the five stages of {@link #run} (filter, factorize, sort and dedupe, split, candidates) as task {@link #PROGRESS_TASK}. */
    public Preprocessor progress(Progress p) {
        this.progress = Progress.orNone(p);
        return this;
    }

    public Options options() { return options; }

    public NcfDataset run(RawInteractions raw) {
        final int n = raw.size();
        final int[] ru = raw.usersArray();
        final int[] ri = raw.itemsArray();
        final long[] ts = raw.timestampsArray();
        final int rawUsers = raw.userIds().size();
        final int rawItems = raw.itemIds().size();

        // 1. min-count filter on raw rows
        int[] rowsOfRawUser = new int[rawUsers];
        for (int k = 0; k < n; k++) rowsOfRawUser[ru[k]]++;
        int[] newUserOfRaw = new int[rawUsers];
        int numUsers = 0;
        for (int r = 0; r < rawUsers; r++) newUserOfRaw[r] = rowsOfRawUser[r] >= options.minRatings() ? numUsers++ : -1;
        if (numUsers == 0) throw new DataFormatException(raw.source() + ": no user has at least " + options.minRatings()
                + " interactions (" + rawUsers + " users, " + n + " rows)");
        int[] rawUserOfNew = new int[numUsers];
        for (int r = 0; r < rawUsers; r++) if (newUserOfRaw[r] >= 0) rawUserOfNew[newUserOfRaw[r]] = r;

        progress.update(PROGRESS_TASK, 1, STAGES);
        // 2. items factorized over kept rows in input order; 3a. stable counting sort of kept rows by user
        int[] newItemOfRaw = new int[rawItems];
        Arrays.fill(newItemOfRaw, -1);
        int[] rawItemOfNewTmp = new int[rawItems];
        int numItems = 0;
        int[] offsets = new int[numUsers + 1];
        for (int u = 0; u < numUsers; u++) offsets[u + 1] = offsets[u] + rowsOfRawUser[rawUserOfNew[u]];
        final int keptRows = offsets[numUsers];
        int[] fill = Arrays.copyOf(offsets, numUsers);
        final int[] perm = new int[keptRows];
        for (int k = 0; k < n; k++) {
            int u = newUserOfRaw[ru[k]];
            if (u < 0) continue;
            int it = ri[k];
            if (newItemOfRaw[it] < 0) {
                rawItemOfNewTmp[numItems] = it;
                newItemOfRaw[it] = numItems++;
            }
            perm[fill[u]++] = k;
        }
        final int items = numItems;
        final int users = numUsers;

        progress.update(PROGRESS_TASK, 2, STAGES);
        // 3b-5. per user: sort by (time, input position), drop duplicate items, keep the first occurrences
        int[] itemsByUser = new int[keptRows];
        int[] keptCount = new int[users];
        ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(() -> new Scratch(items));
        forEachUserBlock(users, (from, to) -> {
            Scratch sc = scratch.get();
            for (int u = from; u < to; u++) {
                int s = offsets[u], e = offsets[u + 1];
                if (ts != null) sortByTime(perm, s, e, ts, sc);
                int w = s;
                int stamp = u + 1;
                for (int k = s; k < e; k++) {
                    int item = newItemOfRaw[ri[perm[k]]];
                    if (sc.mark[item] == stamp) continue;
                    sc.mark[item] = stamp;
                    itemsByUser[w++] = item;
                }
                keptCount[u] = w - s;
            }
        });

        progress.update(PROGRESS_TASK, 3, STAGES);
        int[] trainOffsets = new int[users + 1];
        int[] seenOffsets = new int[users + 1];
        for (int u = 0; u < users; u++) {
            trainOffsets[u + 1] = trainOffsets[u] + keptCount[u] - 1;
            seenOffsets[u + 1] = seenOffsets[u] + keptCount[u];
        }
        int trainSize = trainOffsets[users];
        int[] trainUsers = new int[trainSize];
        int[] trainItems = new int[trainSize];
        int[] testItems = new int[users];
        int[] seenItems = new int[seenOffsets[users]];
        forEachUserBlock(users, (from, to) -> {
            for (int u = from; u < to; u++) {
                int s = offsets[u], c = keptCount[u];
                int t = trainOffsets[u];
                System.arraycopy(itemsByUser, s, trainItems, t, c - 1);
                Arrays.fill(trainUsers, t, t + c - 1, u);
                testItems[u] = itemsByUser[s + c - 1];
                System.arraycopy(itemsByUser, s, seenItems, seenOffsets[u], c);
                Arrays.sort(seenItems, seenOffsets[u], seenOffsets[u] + c);
            }
        });
        UserItemIndex seen = new UserItemIndex(seenOffsets, seenItems);
        progress.update(PROGRESS_TASK, 4, STAGES);
        if (requireEnoughUnseen) requireEnoughUnseen(seen, items, options.validNegative());
        EvalCandidates candidates = sampleCandidates(testItems, seen, items, options.validNegative(), options.seed());
        progress.update(PROGRESS_TASK, STAGES, STAGES);

        IdVocabulary userIds = raw.userIds().select(rawUserOfNew);
        IdVocabulary itemIds = raw.itemIds().select(Arrays.copyOf(rawItemOfNewTmp, items));
        long duplicates = keptRows - (long) seenOffsets[users];
        NcfDataset.DatasetInfo info = new NcfDataset.DatasetInfo(raw.source(), options.minRatings(), options.validNegative(),
                options.seed(), n, rawUsers - users, duplicates);
        return new NcfDataset(users, items, trainUsers, trainItems, testItems, candidates, seen, userIds, itemIds, info);
    }

    private static void requireEnoughUnseen(UserItemIndex seen, int numItems, int negatives) {
        int fewest = Integer.MAX_VALUE, who = -1;
        for (int u = 0; u < seen.numUsers(); u++) {
            int unseen = numItems - seen.count(u);
            if (unseen < fewest) {
                fewest = unseen;
                who = u;
            }
        }
        if (negatives > fewest)
            throw new IllegalArgumentException("--valid-negative " + negatives + " is larger than the " + fewest + " items user " + who
                    + " (0-based, after filtering) has not seen; use --valid-negative " + fewest + " or less");
    }

    /**
     * Evaluation candidates: row u = test item of u, then {@code negatives} items uniform in [0, numItems) with
     * replacement, each redrawn while {@code seen} contains it. Deterministic in (seed, user).
     */
    public static EvalCandidates sampleCandidates(int[] testItems, UserItemIndex seen, int numItems, int negatives, long seed) {
        int users = testItems.length;
        int width = 1 + negatives;
        int[] rowUsers = new int[users];
        int[] cand = new int[Math.multiplyExact(users, width)];
        // checked up front so that the error is thrown here, not from inside a parallel block
        for (int u = 0; u < users; u++) {
            if (negatives > 0 && seen.count(u) >= numItems) throw allItemsSeen(u, numItems);
        }
        int[] seenItems = seen.itemsArray();
        forEachUserBlock(users, (from, to) -> {
            for (int u = from; u < to; u++) {
                rowUsers[u] = u;
                int base = u * width;
                cand[base] = testItems[u];
                sampleNegatives(seed, u, seenItems, seen.start(u), seen.end(u), numItems, cand, base + 1, negatives);
            }
        });
        return new EvalCandidates(rowUsers, cand, negatives);
    }

    /**
     * One user's evaluation negatives, the single definition of the draw (used by {@link #sampleCandidates} and by
     * ncf-spark's distributed preparation, so both give the same candidates): {@code count} items uniform in
     * {@code [0, numItems)} with replacement from the user's own stream {@link Seeds#random(long, long)
     * Seeds.random(seed, user)}, each redrawn while the user's seen items contain it; written to
     * {@code out[off .. off + count)}.
     *
     * @param seen  ascending, distinct item ids in {@code seen[from .. to)}: everything the user interacted with
     * @throws DataFormatException if the user has seen every item (and {@code count > 0}), when no negative exists
     */
    public static void sampleNegatives(long seed, int user, int[] seen, int from, int to, int numItems,
                                       int[] out, int off, int count) {
        if (count == 0) return;
        if (to - from >= numItems) throw allItemsSeen(user, numItems);
        SplittableRandom rnd = Seeds.random(seed, user);
        for (int j = 0; j < count; j++) {
            int item;
            do {
                item = Seeds.below(rnd, numItems);
            } while (Arrays.binarySearch(seen, from, to, item) >= 0);
            out[off + j] = item;
        }
    }

    private static DataFormatException allItemsSeen(int user, int numItems) {
        return new DataFormatException("user " + user + " interacted with all " + numItems
                + " items: no evaluation negatives can be drawn for it");
    }

    /** Stable sort of row indices {@code perm[s..e)} (ascending on entry) by {@code ts[row]}. */
    private static void sortByTime(int[] perm, int s, int e, long[] ts, Scratch sc) {
        int len = e - s;
        if (len < 2) return;
        long min = ts[perm[s]], max = min;
        boolean sorted = true;
        long prev = min;
        for (int k = s + 1; k < e; k++) {
            long t = ts[perm[k]];
            if (t < prev) sorted = false;
            prev = t;
            if (t < min) min = t;
            if (t > max) max = t;
        }
        if (sorted) return;
        int bits = 32 - Integer.numberOfLeadingZeros(len - 1);
        long range = max - min;
        if (range >= 0 && (range >>> (63 - bits)) == 0) {
            // (time - min, position) packed in one long: a plain primitive sort is then stable
            long[] keys = sc.keys(len);
            int[] tmp = sc.rows(len);
            for (int k = 0; k < len; k++) {
                keys[k] = ((ts[perm[s + k]] - min) << bits) | k;
                tmp[k] = perm[s + k];
            }
            Arrays.sort(keys, 0, len);
            long mask = (1L << bits) - 1;
            for (int k = 0; k < len; k++) perm[s + k] = tmp[(int) (keys[k] & mask)];
        } else {
            Integer[] boxed = new Integer[len];
            for (int k = 0; k < len; k++) boxed[k] = perm[s + k];
            Arrays.sort(boxed, (a, b) -> Long.compare(ts[a], ts[b])); // TimSort: stable
            for (int k = 0; k < len; k++) perm[s + k] = boxed[k];
        }
    }

    interface UserBlock { void run(int from, int to); }

    /** Runs blocks of users in parallel; results must depend only on the block, never on the thread. */
    static void forEachUserBlock(int users, UserBlock body) {
        int blocks = (users + USERS_PER_TASK - 1) / USERS_PER_TASK;
        if (blocks <= 1) {
            body.run(0, users);
            return;
        }
        IntStream.range(0, blocks).parallel().forEach(b -> body.run(b * USERS_PER_TASK, Math.min(users, (b + 1) * USERS_PER_TASK)));
    }

    private static final class Scratch {
        final int[] mark;
        long[] keys = new long[256];
        int[] rows = new int[256];

        Scratch(int items) { mark = new int[items]; }

        long[] keys(int n) {
            if (keys.length < n) keys = new long[Math.max(n, keys.length * 2)];
            return keys;
        }

        int[] rows(int n) {
            if (rows.length < n) rows = new int[Math.max(n, rows.length * 2)];
            return rows;
        }
    }
}
