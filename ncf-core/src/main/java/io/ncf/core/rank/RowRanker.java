package io.ncf.core.rank;

import io.ncf.core.UserItemIndex;

/**
 * A {@link BatchRanker} over a {@link RowScorer}: each user's row is scored, then selected with {@link TopK} on the
 * thread that scored it, with the user's excluded items marked in that thread's mask (set from the user's CSR row
 * and cleared after, so the cost is the row's length, not the item count). Memory: one row and one mask per thread.
 */
public final class RowRanker implements BatchRanker {

    private final RowScorer scorer;
    private final boolean[][] skip;
    private final int[][] heap;
    private final AutoCloseable owned;

    public RowRanker(RowScorer scorer) { this(scorer, null); }

    /** A ranker that closes {@code owned} (the scorer's resources) when it is closed. */
    public RowRanker(RowScorer scorer, AutoCloseable owned) {
        this.scorer = scorer;
        this.owned = owned;
        this.skip = new boolean[scorer.parallelism()][scorer.numItems()];
        this.heap = new int[scorer.parallelism()][];
    }

    public RowScorer scorer() { return scorer; }

    @Override public int numItems() { return scorer.numItems(); }

    @Override public long flopsPerPair() { return scorer.flopsPerPair(); }

    @Override
    public void topK(int[] users, int from, int count, int k, UserItemIndex exclude, int[] items, float[] scores, int[] found) {
        if (k <= 0) throw new IllegalArgumentException("k must be positive, got " + k);
        int n = scorer.numItems();
        scorer.scoreRows(users, from, count, (w, j, u, row) -> {
            boolean[] m = mark(w, u, exclude, true);
            int[] h = heap[w] == null || heap[w].length < k ? (heap[w] = new int[k]) : heap[w];
            found[j] = TopK.select(row, n, m, k, h, items, scores, j * k);
            mark(w, u, exclude, false);
        });
    }

    @Override
    public void ranks(int[] users, int from, int count, int[] targets, UserItemIndex exclude, int[] out) {
        int n = scorer.numItems();
        scorer.scoreRows(users, from, count, (w, j, u, row) -> {
            int t = targets[j];
            if (t < 0) { out[j] = -1; return; }
            boolean[] m = mark(w, u, exclude, true);
            out[j] = TopK.rank(row, n, m, t);
            mark(w, u, exclude, false);
        });
    }

    @Override public void close() {
        if (owned == null) return;
        try {
            owned.close();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("closing the ranker's scorer failed", e);
        }
    }

    private boolean[] mark(int w, int u, UserItemIndex exclude, boolean value) { return TopK.mark(skip[w], exclude, u, value); }
}
