package io.ncf.eval;

import io.ncf.data.NcfDataset;
import io.ncf.data.Progress;
import io.ncf.core.UserItemIndex;
import io.ncf.core.Scorer;

/**
 * Both ranking protocols on a prepared dataset, so that {@code ncf evaluate}, {@code ncf train --model pop} and
 * {@code ncf compare} evaluate every model the same way.
 */
public final class RankingProtocols {

    /** Users per block of the full protocol unless told otherwise. */
    public static final int DEFAULT_FULL_USERS_PER_BLOCK = 64;

    private RankingProtocols() {}

    /** The held-out item among the dataset's candidates (duplicates masked, pessimistic ties). */
    public static RankingReport sampled(NcfDataset ds, Scorer scorer, int[] ks) {
        return sampled(ds, scorer, ks, Progress.NONE);
    }

    /** As above, reporting users done to {@code progress}. */
    public static RankingReport sampled(NcfDataset ds, Scorer scorer, int[] ks, Progress progress) {
        int width = ds.candidates().width();
        return new SampledRankingEvaluator(ds.candidates(), ds.numItems(), ks, Math.max(1, (1 << 20) / width)).evaluate(scorer, progress);
    }

    /** The held-out item against every item the user did not interact with in training. */
    public static RankingReport full(NcfDataset ds, Scorer scorer, int[] ks, int usersPerBlock) {
        return full(ds, scorer, ks, usersPerBlock, Progress.NONE);
    }

    /** As above, reporting users done to {@code progress}. */
    public static RankingReport full(NcfDataset ds, Scorer scorer, int[] ks, int usersPerBlock, Progress progress) {
        return fullEvaluator(ds, ks, usersPerBlock).evaluate(scorer, progress);
    }

    /** The full protocol on a ranker (the CPU kernel's rows or a device's), reporting users done to {@code progress}. */
    public static RankingReport full(NcfDataset ds, io.ncf.core.rank.BatchRanker ranker, int[] ks, int usersPerBlock, Progress progress) {
        return fullEvaluator(ds, ks, usersPerBlock).evaluate(ranker, progress);
    }

    /** The full protocol's evaluator for a dataset: its held-out items against everything not in its training rows. */
    private static FullRankingEvaluator fullEvaluator(NcfDataset ds, int[] ks, int usersPerBlock) {
        UserItemIndex train = UserItemIndex.build(ds.numUsers(), ds.trainUsers(), ds.trainItems(), ds.trainSize());
        return new FullRankingEvaluator(ds.numItems(), train, ds.testItems(), ks, usersPerBlock);
    }

    /** The popularity baseline of a dataset: training interactions per item. */
    public static PopularityScorer popularity(NcfDataset ds) {
        return new PopularityScorer(ds.numItems(), ds.trainItems());
    }
}
