package io.ncf.eval;

import io.ncf.data.EvalCandidates;
import io.ncf.data.Progress;
import io.ncf.core.Scorer;

/**
 * The seed's sampled evaluation: score each user's candidates (held-out item + sampled negatives), rank the
 * held-out item with duplicates masked and pessimistic ties, average HR@K and NDCG@K. Users are scored in
 * blocks of {@code usersPerBatch} so memory stays bounded; buffers are allocated once per evaluator.
 */
public final class Evaluator {

    private final EvalCandidates candidates;
    private final boolean[] masked;
    private final int k;
    private final int usersPerBatch;
    private final int[] userBuf;
    private final int[] itemBuf;
    private final float[] scoreBuf;

    public Evaluator(EvalCandidates candidates, int numItems, int k, int usersPerBatch) {
        if (k <= 0) throw new IllegalArgumentException("--topk must be positive, got " + k);
        if (k > candidates.width())
            throw new IllegalArgumentException("--topk " + k + " is larger than the " + candidates.width()
                    + " candidates per user (held-out item + --valid-negative " + candidates.negativesPerUser() + ")");
        if (usersPerBatch <= 0) throw new IllegalArgumentException("--valid-users-per-batch must be positive, got " + usersPerBatch);
        this.candidates = candidates;
        this.masked = DuplicateMask.of(candidates, numItems);
        this.k = k;
        this.usersPerBatch = Math.min(usersPerBatch, Math.max(1, candidates.numUsers()));
        int cap = this.usersPerBatch * candidates.width();
        this.userBuf = new int[cap];
        this.itemBuf = new int[cap];
        this.scoreBuf = new float[cap];
    }

    public int k() { return k; }

    public static final String PROGRESS_TASK = "evaluate";

    public EvalResult evaluate(Scorer scorer) { return evaluate(scorer, Progress.NONE); }

    /** Also reports users scored (per block) to {@code progress} as task {@link #PROGRESS_TASK}. */
    public EvalResult evaluate(Scorer scorer, Progress progress) {
        long t0 = System.nanoTime();
        int w = candidates.width();
        int n = candidates.numUsers();
        int[] users = candidates.users();
        int[] items = candidates.items();
        long hits = 0;
        double ndcgSum = 0;
        for (int r0 = 0; r0 < n; r0 += usersPerBatch) {
            int rows = Math.min(usersPerBatch, n - r0);
            int count = rows * w;
            System.arraycopy(items, r0 * w, itemBuf, 0, count);
            for (int r = 0; r < rows; r++) java.util.Arrays.fill(userBuf, r * w, (r + 1) * w, users[r0 + r]);
            scorer.score(userBuf, itemBuf, count, scoreBuf);
            for (int r = 0; r < rows; r++) {
                // the mask is indexed by global row, the score buffer by row within the block
                int rank = RankingMetrics.rankOfHeldOut(scoreBuf, r * w, masked, (r0 + r) * w, w);
                if (RankingMetrics.hit(rank, k)) hits++;
                ndcgSum += RankingMetrics.ndcg(rank, k);
            }
            progress.update(PROGRESS_TASK, r0 + rows, n);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        return new EvalResult(n == 0 ? 0 : (double) hits / n, n == 0 ? 0 : ndcgSum / n, k, n, (long) n * w, seconds);
    }
}
