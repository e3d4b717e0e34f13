package io.ncf.eval;

import io.ncf.data.UserItemIndex;
import io.ncf.model.Scorer;

import java.util.Arrays;

/**
 * The full-ranking protocol (Krichene &amp; Rendle, KDD 2020): each user's held-out item is ranked against every
 * item the user did not interact with in training. Rank = the number of such other items scoring at least as
 * high (pessimistic ties, NaN counts against the held-out item; a NaN held-out score ranks last). Users are
 * scored in blocks of whole rows ({@code usersPerBlock × numItems} pairs) so memory stays bounded.
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
        long t0 = System.nanoTime();
        int numUsers = testItems.length;
        int[] evalUsers = new int[numUsers];
        int n = 0;
        for (int u = 0; u < numUsers; u++) if (testItems[u] >= 0) evalUsers[n++] = u;
        int[] ranks = new int[n];
        int cap = Math.min(usersPerBlock, Math.max(1, n)) * numItems;
        int[] userBuf = new int[cap], itemBuf = new int[cap];
        float[] scores = new float[cap];
        for (int j = 0; j < cap; j++) itemBuf[j] = j % numItems;
        boolean[] excluded = new boolean[numItems];
        int[] trainItems = train.itemsArray();
        for (int r0 = 0; r0 < n; r0 += usersPerBlock) {
            int rows = Math.min(usersPerBlock, n - r0);
            for (int r = 0; r < rows; r++) Arrays.fill(userBuf, r * numItems, (r + 1) * numItems, evalUsers[r0 + r]);
            scorer.score(userBuf, itemBuf, rows * numItems, scores);
            for (int r = 0; r < rows; r++) {
                int u = evalUsers[r0 + r];
                for (int k = train.start(u); k < train.end(u); k++) excluded[trainItems[k]] = true;
                ranks[r0 + r] = rank(scores, r * numItems, testItems[u], excluded);
                for (int k = train.start(u); k < train.end(u); k++) excluded[trainItems[k]] = false;
            }
            progress.update("evaluate full", r0 + rows, n);
        }
        return new RankingReport("full", ks, ranks, (long) n * numItems, (System.nanoTime() - t0) / 1e9);
    }

    private int rank(float[] s, int off, int target, boolean[] excluded) {
        float t = s[off + target];
        if (Float.isNaN(t)) {
            int others = 0;
            for (int i = 0; i < numItems; i++) if (i != target && !excluded[i]) others++;
            return others;
        }
        int rank = 0;
        for (int i = 0; i < numItems; i++) {
            if (i == target || excluded[i]) continue;
            float x = s[off + i];
            if (x >= t || Float.isNaN(x)) rank++;
        }
        return rank;
    }
}
