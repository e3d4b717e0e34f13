package io.ncf.eval;

import io.ncf.core.UserItemIndex;
import io.ncf.core.Scorer;
import io.ncf.core.rank.BatchRanker;
import io.ncf.core.rank.RowRanker;
import io.ncf.core.rank.RowScorer;

import java.util.Arrays;

/**
 * The full-ranking protocol (Krichene &amp; Rendle, KDD 2020): each user's held-out item is ranked against every
 * item the user did not interact with in training. Rank = the number of such other items scoring at least as
 * high (pessimistic ties, NaN counts against the held-out item; a NaN held-out score ranks last; see
 * {@link io.ncf.core.rank.TopK#rank}). Users are ranked in blocks of {@code usersPerBlock}, each user's row scored
 * and counted on one thread, so memory is a row per thread.
 */
public final class FullRankingEvaluator {

    private final int numItems;
    private final UserItemIndex train;
    private final int[] testItems;
    private final int[] ks;
    private final int usersPerBlock;

    /**
     * @param train     each user's training items (excluded from the ranking)
     * @param testItems held-out item of each user, {@code testItems[u]}; a negative value skips the user
     */
    public FullRankingEvaluator(int numItems, UserItemIndex train, int[] testItems, int[] ks, int usersPerBlock) {
        if (ks.length == 0) throw new IllegalArgumentException("need at least one K");
        if (usersPerBlock <= 0) throw new IllegalArgumentException("users per block must be positive, got " + usersPerBlock);
        if (testItems.length != train.numUsers())
            throw new IllegalArgumentException(testItems.length + " test items for " + train.numUsers() + " users");
        this.numItems = numItems;
        this.train = train;
        this.testItems = testItems;
        this.ks = ks.clone();
        Arrays.sort(this.ks);
        this.usersPerBlock = Math.max(1, Math.min(usersPerBlock, (1 << 24) / numItems));
    }

    public RankingReport evaluate(Scorer scorer) { return evaluate(scorer, io.ncf.data.Progress.NONE); }

    /** Also reports users ranked (per block) to {@code progress} as task "evaluate full". */
    public RankingReport evaluate(Scorer scorer, io.ncf.data.Progress progress) {
        return evaluate(new RowRanker(RowScorer.of(scorer, numItems, usersPerBlock)), progress);
    }

    /**
     * The protocol on any ranker (the CPU kernel's rows, or a device's): ranks are computed where the scores are,
     * {@code usersPerBlock} users per call.
     */
    public RankingReport evaluate(BatchRanker ranker, io.ncf.data.Progress progress) {
        if (ranker.numItems() != numItems) throw new IllegalArgumentException("ranker has " + ranker.numItems() + " items, the data " + numItems);
        long t0 = System.nanoTime();
        int numUsers = testItems.length;
        int[] evalUsers = new int[numUsers];
        int n = 0;
        for (int u = 0; u < numUsers; u++) if (testItems[u] >= 0) evalUsers[n++] = u;
        int[] ranks = new int[n];
        int block = Math.max(1, Math.min(usersPerBlock, n));
        int[] targets = new int[block], out = new int[block];
        for (int r0 = 0; r0 < n; r0 += block) {
            int rows = Math.min(block, n - r0);
            for (int r = 0; r < rows; r++) targets[r] = testItems[evalUsers[r0 + r]];
            ranker.ranks(evalUsers, r0, rows, targets, train, out);
            System.arraycopy(out, 0, ranks, r0, rows);
            progress.update("evaluate full", r0 + rows, n);
        }
        return new RankingReport("full", ks, ranks, (long) n * numItems, (System.nanoTime() - t0) / 1e9);
    }
}
