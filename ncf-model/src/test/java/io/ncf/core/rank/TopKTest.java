package io.ncf.core.rank;

import io.ncf.core.UserItemIndex;
import io.ncf.core.Scorer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** Selection and ranks against brute force, with ties, NaN and exclusions, through RowRanker over a plain scorer. */
class TopKTest {

    /** Scores with many ties and some NaN: item i of user u scores (u * 7 + i * 13) % 11, NaN where that is 3. */
    private static final Scorer TIES = (users, items, count, out) -> {
        for (int k = 0; k < count; k++) {
            int v = (users[k] * 7 + items[k] * 13) % 11;
            out[k] = v == 3 ? Float.NaN : v;
        }
    };

    private static List<Integer> bruteForce(float[] row, boolean[] skip) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < row.length; i++) if (skip == null || !skip[i]) order.add(i);
        order.sort(Comparator.<Integer>comparingInt(i -> Float.isNaN(row[i]) ? 1 : 0)
                .thenComparingDouble(i -> Float.isNaN(row[i]) ? 0 : -row[i]).thenComparingInt(i -> i));
        return order;
    }

    @Test void selectEqualsTheSortedOrderWithTiesToTheLowerIndexAndNaNLast() {
        SplittableRandom r = new SplittableRandom(3);
        for (int trial = 0; trial < 200; trial++) {
            int n = 1 + r.nextInt(300), k = 1 + r.nextInt(40);
            float[] row = new float[n];
            boolean[] skip = new boolean[n];
            for (int i = 0; i < n; i++) {
                int v = r.nextInt(12);
                row[i] = v == 11 ? Float.NaN : v - 5;
                skip[i] = r.nextInt(5) == 0;
            }
            List<Integer> want = bruteForce(row, skip);
            int[] items = new int[k], heap = new int[k];
            float[] scores = new float[k];
            int got = TopK.select(row, n, skip, k, heap, items, scores, 0);
            assertEquals(Math.min(k, want.size()), got);
            for (int j = 0; j < got; j++) {
                assertEquals(want.get(j), items[j], "trial " + trial + " position " + j);
                assertEquals(Float.floatToRawIntBits(row[items[j]]), Float.floatToRawIntBits(scores[j]));
            }
        }
    }

    @Test void selectSetHasTheSameItemsAsSelectInItemOrder() {
        SplittableRandom r = new SplittableRandom(5);
        for (int trial = 0; trial < 300; trial++) {
            int n = 1 + r.nextInt(500), k = 1 + r.nextInt(120);
            float[] row = new float[n];
            boolean[] skip = new boolean[n];
            boolean nan = trial % 10 == 0;
            for (int i = 0; i < n; i++) {
                row[i] = nan && r.nextInt(20) == 0 ? Float.NaN : r.nextInt(1 + trial % 30) - 3;
                skip[i] = r.nextInt(6) == 0;
            }
            int[] heap = new int[k], want = new int[k], got = new int[k + 3];
            float[] scores = new float[k], scratch = new float[n];
            int w = TopK.select(row, n, skip, k, heap, want, scores, 0);
            int g = TopK.selectSet(row, n, skip, k, scratch, got, 3);
            assertEquals(w, g, "trial " + trial);
            int[] sorted = java.util.Arrays.copyOf(want, w);
            java.util.Arrays.sort(sorted);
            assertArrayEquals(sorted, java.util.Arrays.copyOfRange(got, 3, 3 + g), "trial " + trial);
        }
    }

    @Test void rankCountsItemsAtLeastAsGoodAndNaNAgainstTheTarget() {
        float[] row = {1f, 3f, Float.NaN, 3f, 0f, 2f};
        boolean[] skip = {false, false, false, false, false, true};
        assertEquals(2, TopK.rank(row, 6, skip, 1));       // items 2 (NaN) and 3 (tie); 1 itself and 5 (skipped) do not count
        assertEquals(4, TopK.rank(row, 6, null, 0));       // 3, NaN, 3, 2
        assertEquals(4, TopK.rank(row, 6, skip, 2));       // a NaN target: every other allowed item
    }

    @Test void rowRankerTopKAndRanksMatchBruteForceUnderExclusions() {
        int users = 9, items = 40;
        int[] su = new int[users * 6], si = new int[users * 6];
        SplittableRandom r = new SplittableRandom(8);
        for (int k = 0; k < su.length; k++) { su[k] = k / 6; si[k] = r.nextInt(items); }
        UserItemIndex seen = UserItemIndex.build(users, su, si, su.length);
        RowRanker ranker = new RowRanker(RowScorer.of(TIES, items, 4));
        int[] us = {8, 0, 3, 3, 5};
        int k = 7;
        int[] top = new int[us.length * k], found = new int[us.length], ranks = new int[us.length], targets = {0, 39, 5, -1, 17};
        float[] scores = new float[us.length * k];
        ranker.topK(us, 0, us.length, k, seen, top, scores, found);
        ranker.ranks(us, 0, us.length, targets, seen, ranks);
        for (int j = 0; j < us.length; j++) {
            float[] row = new float[items];
            int[] uu = new int[items], ii = new int[items];
            for (int i = 0; i < items; i++) { uu[i] = us[j]; ii[i] = i; }
            TIES.score(uu, ii, items, row);
            boolean[] skip = new boolean[items];
            for (int i = 0; i < items; i++) skip[i] = seen.contains(us[j], i);
            List<Integer> want = bruteForce(row, skip);
            assertEquals(Math.min(k, want.size()), found[j]);
            for (int q = 0; q < found[j]; q++) assertEquals(want.get(q), top[j * k + q], "user " + us[j] + " rank " + (q + 1));
            assertEquals(targets[j] < 0 ? -1 : TopK.rank(row, items, skip, targets[j]), ranks[j]);
        }
    }
}
