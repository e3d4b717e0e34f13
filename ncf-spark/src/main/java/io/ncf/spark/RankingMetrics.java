package io.ncf.spark;

import java.io.Serializable;

/**
 * HR@K and NDCG@K of held-out items, computed on the executors by {@link NcfModel#evaluate}: sampled (the held-out
 * item among its user's evaluation negatives, as {@code ncf train} reports; NaN without negatives) and full (the
 * held-out item among every item its user has not interacted with, Krichene &amp; Rendle's protocol). Ties count
 * against the held-out item in both.
 *
 * @param users   held-out rows evaluated
 * @param skipped rows whose user or item the model does not know (left out, as ALS's cold-start 'drop')
 */
public record RankingMetrics(int k, long users, long skipped, double hitRate, double ndcg, double fullHitRate, double fullNdcg)
        implements Serializable {

    @Override public String toString() {
        return String.format(java.util.Locale.ROOT, "HR@%d = %.4f NDCG@%d = %.4f full HR@%d = %.4f NDCG@%d = %.4f (%d users, %d skipped)",
                k, hitRate, k, ndcg, k, fullHitRate, k, fullNdcg, users, skipped);
    }
}
