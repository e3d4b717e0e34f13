package io.ncf.eval;

import io.ncf.data.EvalCandidates;
import io.ncf.core.Scorer;

import java.util.Arrays;

/**
 * The seed's sampled protocol (the same rules as {@link Evaluator}: duplicates masked, pessimistic ties) reported
 * at several K with HR, Recall, NDCG and MRR.
 */
public final class SampledRankingEvaluator {

    private final EvalCandidates candidates;
    private final boolean[] masked;
    private final int[] ks;
    private final int usersPerBatch;

    public SampledRankingEvaluator(EvalCandidates candidates, int numItems, int[] ks, int usersPerBatch) {
        if (ks.length == 0) throw new IllegalArgumentException("need at least one K");
        if (usersPerBatch <= 0) throw new IllegalArgumentException("users per batch must be positive, got " + usersPerBatch);
        this.candidates = candidates;
        this.masked = DuplicateMask.of(candidates, numItems);
        this.ks = ks.clone();
        Arrays.sort(this.ks);
        this.usersPerBatch = usersPerBatch;
    }

    public RankingReport evaluate(Scorer scorer) { return evaluate(scorer, io.ncf.data.Progress.NONE); }

    /** Also reports users scored (per block) to {@code progress} as task "evaluate sampled". */
    public RankingReport evaluate(Scorer scorer, io.ncf.data.Progress progress) {
        long t0 = System.nanoTime();
        int w = candidates.width(), n = candidates.numUsers();
        int block = Math.min(usersPerBatch, Math.max(1, n));
        int[] userBuf = new int[block * w], itemBuf = new int[block * w];
        float[] scores = new float[block * w];
        int[] ranks = new int[n];
        for (int r0 = 0; r0 < n; r0 += block) {
            int rows = Math.min(block, n - r0);
            System.arraycopy(candidates.items(), r0 * w, itemBuf, 0, rows * w);
            for (int r = 0; r < rows; r++) Arrays.fill(userBuf, r * w, (r + 1) * w, candidates.users()[r0 + r]);
            scorer.score(userBuf, itemBuf, rows * w, scores);
            for (int r = 0; r < rows; r++) ranks[r0 + r] = RankingMetrics.rankOfHeldOut(scores, r * w, masked, (r0 + r) * w, w);
            progress.update("evaluate sampled", r0 + rows, n);
        }
        return new RankingReport("sampled", ks, ranks, (long) n * w, (System.nanoTime() - t0) / 1e9);
    }
}
