package io.ncf.eval;

/**
 * HR@K and NDCG@K of one candidate row whose column 0 is the held-out item.
 *
 * <p>Rules that decide the numbers (DESIGN.md §2): a negative that repeats an earlier candidate of the same
 * row is masked (it does not push the held-out item down twice; the held-out item wins over a duplicate of
 * itself), and a negative whose score equals the held-out item's counts against it (pessimistic ties), so a
 * model that scores everything equal gets HR 0, never an inflated one.
 */
public final class RankingMetrics {

    private RankingMetrics() {}

    /**
     * 0-based rank of the held-out item among the row's unmasked candidates: the number of unmasked
     * negatives scoring at least as high as it. NaN scores of the held-out item rank it last.
     *
     * @param scores     the row's scores at {@code scores[scoreOffset + j]}, held-out item at j = 0
     * @param masked     {@code masked[maskOffset + j]} true if candidate j is a duplicate to ignore (may be null)
     */
    public static int rankOfHeldOut(float[] scores, int scoreOffset, boolean[] masked, int maskOffset, int width) {
        float target = scores[scoreOffset];
        int rank = 0;
        if (Float.isNaN(target)) return width - 1;
        for (int j = 1; j < width; j++) {
            if (masked != null && masked[maskOffset + j]) continue;
            float s = scores[scoreOffset + j];
            if (s >= target || Float.isNaN(s)) rank++;
        }
        return rank;
    }

    public static boolean hit(int rank, int k) { return rank < k; }

    /** NDCG@K with one relevant item: 1/log2(rank + 2) inside the top K, else 0. */
    public static double ndcg(int rank, int k) { return rank < k ? 1.0 / (Math.log(rank + 2) / Math.log(2)) : 0.0; }
}
