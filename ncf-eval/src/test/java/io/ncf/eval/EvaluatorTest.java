package io.ncf.eval;

import io.ncf.data.EvalCandidates;
import io.ncf.core.Scorer;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class EvaluatorTest {

    /** Scores from a fixed (user, item) → score table. */
    private static Scorer table(Map<Long, Float> s) {
        return (users, items, count, out) -> {
            for (int k = 0; k < count; k++) out[k] = s.getOrDefault(((long) users[k] << 32) | items[k], 0f);
        };
    }

    private static long key(int u, int i) { return ((long) u << 32) | i; }

    @Test void handComputedRanksWithDuplicatesAndTies() {
        // user 0: held-out 5 (score 0.9); negatives 1 (0.95), 1 again (duplicate, masked), 2 (0.1), 3 (0.2) → rank 1
        // user 1: held-out 7 (0.5); negatives 8 (0.5 tie → counts against), 9 (0.4), 9, 9 → rank 1
        // user 2: held-out 4 (0.3); negatives 6 (0.8), 8 (0.9), 1 (0.7), 2 (0.6) → rank 4
        EvalCandidates c = new EvalCandidates(new int[]{0, 1, 2},
                new int[]{5, 1, 1, 2, 3, 7, 8, 9, 9, 9, 4, 6, 8, 1, 2}, 4);
        Map<Long, Float> s = new HashMap<>();
        s.put(key(0, 5), 0.9f); s.put(key(0, 1), 0.95f); s.put(key(0, 2), 0.1f); s.put(key(0, 3), 0.2f);
        s.put(key(1, 7), 0.5f); s.put(key(1, 8), 0.5f); s.put(key(1, 9), 0.4f);
        s.put(key(2, 4), 0.3f); s.put(key(2, 6), 0.8f); s.put(key(2, 8), 0.9f); s.put(key(2, 1), 0.7f); s.put(key(2, 2), 0.6f);
        Scorer scorer = table(s);

        EvalResult k2 = new Evaluator(c, 10, 2, 2).evaluate(scorer);   // 2 users per block: exercises block offsets
        assertEquals(2.0 / 3, k2.hitRate(), 1e-12);
        double expectedNdcg = (1 / log2(3) + 1 / log2(3) + 0) / 3;
        assertEquals(expectedNdcg, k2.ndcg(), 1e-12);
        assertEquals(15, k2.samples());

        EvalResult k1 = new Evaluator(c, 10, 1, 100).evaluate(scorer);
        assertEquals(0.0, k1.hitRate(), 1e-12, "every held-out item has one better-or-equal negative");

        EvalResult k5 = new Evaluator(c, 10, 5, 1).evaluate(scorer);
        assertEquals(1.0, k5.hitRate(), 1e-12);
        assertEquals((2 / log2(3) + 1 / log2(6)) / 3, k5.ndcg(), 1e-12);
    }

    @Test void duplicateOfHeldOutIsMaskedAndUnmaskedDuplicatesWouldCount() {
        // held-out 3 with score 1; negatives 3 (duplicate of the held-out item), 4 twice with score 2
        EvalCandidates c = new EvalCandidates(new int[]{0}, new int[]{3, 3, 4, 4}, 3);
        Scorer scorer = (users, items, count, out) -> { for (int k = 0; k < count; k++) out[k] = items[k] == 3 ? 1f : 2f; };
        EvalResult r = new Evaluator(c, 5, 2, 10).evaluate(scorer);
        assertEquals(1.0, r.hitRate(), "rank 1: one distinct better negative; the held-out's own duplicate and the second 4 are masked");
        assertEquals(1 / log2(3), r.ndcg(), 1e-12);
        boolean[] mask = DuplicateMask.of(c, 5);
        assertArrayEquals(new boolean[]{false, true, false, true}, mask);
    }

    @Test void constantScorerNeverHits() {
        EvalCandidates c = new EvalCandidates(new int[]{0, 1}, new int[]{1, 2, 3, 4, 2, 3, 4, 5}, 3);
        EvalResult r = new Evaluator(c, 6, 3, 10).evaluate((u, i, n, out) -> java.util.Arrays.fill(out, 0, n, 0.5f));
        assertEquals(0.0, r.hitRate(), "all ties count against the held-out item: rank 3 is outside the top 3");
        assertEquals(0.0, r.ndcg());
    }

    @Test void nanScoreOfHeldOutRanksLast() {
        assertEquals(3, RankingMetrics.rankOfHeldOut(new float[]{Float.NaN, 0f, 1f, 2f}, 0, null, 0, 4));
        assertEquals(1, RankingMetrics.rankOfHeldOut(new float[]{1f, Float.NaN, 0f, 0.5f}, 0, null, 0, 4));
    }

    @Test void rejectsTopKLargerThanCandidates() {
        EvalCandidates c = new EvalCandidates(new int[]{0}, new int[]{1, 2, 3}, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Evaluator(c, 4, 4, 1));
        assertTrue(e.getMessage().contains("--topk 4"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DuplicateMask.of(new EvalCandidates(new int[]{0}, new int[]{1, 9, 3}, 2), 4));
    }

    @Test void popularityScoresByTrainCount() {
        PopularityScorer p = new PopularityScorer(4, new int[]{0, 2, 2, 3, 2});
        float[] out = new float[4];
        p.score(new int[]{9, 9, 9, 9}, new int[]{0, 1, 2, 3}, 4, out);
        assertArrayEquals(new float[]{1, 0, 3, 1}, out);
    }

    private static double log2(double x) { return Math.log(x) / Math.log(2); }
}
