package io.ncf.core.rank;

import io.ncf.core.Scorer;

/**
 * A {@link Scorer} that can also score whole rows: one user against every item. Ranking every item for many users
 * (top-K for all users, full-ranking evaluation) is rows, and a row kernel needs no per-pair id arrays and can
 * stream the item tables in order.
 */
public interface RowScorer extends Scorer {

    /** Items per row. */
    int numItems();

    /** Threads that may call a {@link RowSink} at once: sinks index their scratch by {@code worker < parallelism()}. */
    int parallelism();

    /** Multiply-adds times two per (user, item) pair: what a pairs/s figure is worth in FLOP/s (0 if unknown). */
    default long flopsPerPair() { return 0; }

    /**
     * Scores every item for {@code users[from .. from+count)} and hands each row to {@code sink}, possibly from
     * several threads at once (each with its own {@code worker} index) and in any order. The row array belongs to
     * the scorer and is reused once {@code row} returns. A row holds exactly the scores {@link #score} gives the
     * same pairs, bit for bit.
     */
    void scoreRows(int[] users, int from, int count, RowSink sink);

    /** Receives rows from {@link #scoreRows}. */
    @FunctionalInterface
    interface RowSink {
        /** @param index j in [0, count): the user is {@code users[from + j]}; {@code row[i]} is item i's score */
        void row(int worker, int index, int user, float[] row);
    }

    /**
     * Rows from any pair scorer, {@code usersPerBlock} users per call (for baselines such as popularity); one
     * worker, the caller's thread.
     */
    static RowScorer of(Scorer scorer, int numItems, int usersPerBlock) {
        if (scorer instanceof RowScorer r) return r;
        return new RowScorer() {
            @Override public int numItems() { return numItems; }
            @Override public int parallelism() { return 1; }
            @Override public void score(int[] users, int[] items, int count, float[] out) { scorer.score(users, items, count, out); }
            @Override public void scoreRows(int[] users, int from, int count, RowSink sink) {
                int block = Math.max(1, Math.min(usersPerBlock, Math.max(1, (1 << 24) / Math.max(1, numItems))));
                int cap = Math.min(block, Math.max(1, count)) * numItems;
                int[] us = new int[cap], is = new int[cap];
                float[] s = new float[cap], row = new float[numItems];
                for (int j = 0; j < cap; j++) is[j] = j % numItems;
                for (int r0 = 0; r0 < count; r0 += block) {
                    int rows = Math.min(block, count - r0);
                    for (int r = 0; r < rows; r++) java.util.Arrays.fill(us, r * numItems, (r + 1) * numItems, users[from + r0 + r]);
                    scorer.score(us, is, rows * numItems, s);
                    for (int r = 0; r < rows; r++) {
                        System.arraycopy(s, r * numItems, row, 0, numItems);
                        sink.row(0, r0 + r, users[from + r0 + r], row);
                    }
                }
            }
        };
    }
}
