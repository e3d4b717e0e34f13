package io.ncf.eval;

import java.util.Arrays;

/**
 * Ranking metrics at several cut-offs, from the 0-based rank of each user's one held-out item.
 *
 * <p>With a single relevant item per user: HR@K = Recall@K = share of users whose item ranks in the top K;
 * NDCG@K = mean of 1/log2(rank + 2) inside the top K; MRR@K = mean of 1/(rank + 1) inside the top K.
 *
 * @param protocol "sampled" or "full"
 * @param ks       the cut-offs, ascending
 * @param ranks    0-based rank of every evaluated user's held-out item, in evaluation order
 * @param pairs    (user, item) pairs scored
 */
public record RankingReport(String protocol, int[] ks, int[] ranks, long pairs, double seconds) {

    public RankingReport {
        ks = ks.clone();
        for (int k : ks) if (k <= 0) throw new IllegalArgumentException("every K must be positive, got " + Arrays.toString(ks));
    }

    public int users() { return ranks.length; }

    public double hitRate(int k) { return mean(k, r -> 1.0); }

    public double recall(int k) { return hitRate(k); }

    public double ndcg(int k) { return mean(k, r -> 1.0 / (Math.log(r + 2) / Math.log(2))); }

    public double mrr(int k) { return mean(k, r -> 1.0 / (r + 1)); }

    public double pairsPerSecond() { return seconds > 0 ? pairs / seconds : Double.POSITIVE_INFINITY; }

    private double mean(int k, java.util.function.IntToDoubleFunction gain) {
        if (ranks.length == 0) return 0;
        double s = 0;
        for (int r : ranks) if (r < k) s += gain.applyAsDouble(r);
        return s / ranks.length;
    }

    /** One line per K: "protocol K HR Recall NDCG MRR". */
    public String table() {
        StringBuilder b = new StringBuilder();
        for (int k : ks)
            b.append(String.format("%-8s %5d  %.4f  %.4f  %.4f  %.4f%n", protocol, k, hitRate(k), recall(k), ndcg(k), mrr(k)));
        return b.toString();
    }
}
