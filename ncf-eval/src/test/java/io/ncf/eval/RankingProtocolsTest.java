package io.ncf.eval;

import io.ncf.data.EvalCandidates;
import io.ncf.core.UserItemIndex;
import io.ncf.core.Scorer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class RankingProtocolsTest {

    /** Scores from a table: score(u, i) = table[u][i]. */
    private static Scorer table(float[][] t) {
        return (users, items, count, out) -> { for (int k = 0; k < count; k++) out[k] = t[users[k]][items[k]]; };
    }

    @Test void fullRankingHandComputed() {
        // 2 users, 6 items.
        // user 0: trained on items 1 and 4; held out item 2 (score .5).
        //   others not trained: 0 (.9), 3 (.5, a tie: counts against), 5 (.1)  -> rank 2 (0-based)
        //   item 1 (.95) and 4 (.99) score higher but are training items: excluded
        // user 1: trained on item 0; held out item 5 (score .8); others 1..4 score below -> rank 0
        float[][] t = {
                {.9f, .95f, .5f, .5f, .99f, .1f},
                {.99f, .1f, .2f, .3f, .4f, .8f}};
        UserItemIndex train = UserItemIndex.build(2, new int[]{0, 0, 1}, new int[]{1, 4, 0}, 3);
        RankingReport r = new FullRankingEvaluator(6, train, new int[]{2, 5}, new int[]{1, 3, 5}, 1).evaluate(table(t));
        assertArrayEquals(new int[]{2, 0}, r.ranks());
        assertEquals(0.5, r.hitRate(1), 1e-12);
        assertEquals(1.0, r.hitRate(3), 1e-12);
        assertEquals(r.hitRate(3), r.recall(3), 0);
        assertEquals((1.0 + 1.0 / 2.0) / 2, r.ndcg(3), 1e-12); // 1/log2(2) and 1/log2(4)
        assertEquals(0.5, r.ndcg(1), 1e-12);
        assertEquals((1.0 + 1.0 / 3) / 2, r.mrr(5), 1e-12);
        assertEquals(0.5, r.mrr(2), 1e-12);
        assertEquals(12, r.pairs());
    }

    @Test void allEqualScoresNeverHit() {
        float[][] t = new float[3][10];
        UserItemIndex train = UserItemIndex.build(3, new int[0], new int[0], 0);
        RankingReport r = new FullRankingEvaluator(10, train, new int[]{0, 4, 9}, new int[]{1, 10}, 2).evaluate(table(t));
        assertArrayEquals(new int[]{9, 9, 9}, r.ranks());
        assertEquals(0, r.hitRate(1));
        assertEquals(1, r.hitRate(10));
    }

    @Test void negativeTestItemSkipsTheUser() {
        float[][] t = {{1, 2, 3}, {3, 2, 1}};
        UserItemIndex train = UserItemIndex.build(2, new int[0], new int[0], 0);
        RankingReport r = new FullRankingEvaluator(3, train, new int[]{-1, 0}, new int[]{1}, 8).evaluate(table(t));
        assertEquals(1, r.users());
        assertEquals(1.0, r.hitRate(1));
    }

    /** Both protocols against an independent brute force: sort each user's list, find the held-out item's place. */
    @Test void bothProtocolsAgreeWithBruteForceOnARandomModel() {
        SplittableRandom rnd = new SplittableRandom(42);
        int users = 40, items = 30, negs = 12;
        float[][] t = new float[users][items];
        // scores on a coarse grid so ties happen
        for (float[] row : t) for (int i = 0; i < items; i++) row[i] = rnd.nextInt(8) / 8f;
        int[] us = new int[users * 5], is = new int[users * 5];
        int n = 0;
        int[] test = new int[users];
        for (int u = 0; u < users; u++) {
            test[u] = rnd.nextInt(items);
            for (int j = 0; j < 5; j++) { int it = rnd.nextInt(items); if (it != test[u]) { us[n] = u; is[n++] = it; } }
        }
        UserItemIndex train = UserItemIndex.build(users, us, is, n);
        int[] candUsers = new int[users], cand = new int[users * (1 + negs)];
        for (int u = 0; u < users; u++) {
            candUsers[u] = u;
            cand[u * (1 + negs)] = test[u];
            for (int j = 1; j <= negs; j++) {
                int it;
                do it = rnd.nextInt(items); while (it == test[u] || train.contains(u, it));
                cand[u * (1 + negs) + j] = it;
            }
        }
        int[] ks = {1, 3, 10};
        RankingReport full = new FullRankingEvaluator(items, train, test, ks, 7).evaluate(table(t));
        RankingReport sampled = new SampledRankingEvaluator(new EvalCandidates(candUsers, cand, negs), items, ks, 9).evaluate(table(t));
        for (int u = 0; u < users; u++) {
            List<Integer> fullList = new ArrayList<>();
            for (int i = 0; i < items; i++) if (!train.contains(u, i)) fullList.add(i);
            assertEquals(bruteRank(t[u], test[u], fullList), full.ranks()[u], "full, user " + u);
            LinkedHashSet<Integer> distinct = new LinkedHashSet<>();
            for (int j = 0; j <= negs; j++) distinct.add(cand[u * (1 + negs) + j]);
            assertEquals(bruteRank(t[u], test[u], new ArrayList<>(distinct)), sampled.ranks()[u], "sampled, user " + u);
        }
        // the sampled list is a subset of the full list, so the held-out item can only rank higher there
        for (int u = 0; u < users; u++) assertTrue(sampled.ranks()[u] <= full.ranks()[u]);
        // and the old single-K evaluator agrees with the sampled protocol
        EvalResult old = new Evaluator(new EvalCandidates(candUsers, cand, negs), items, 3, 5).evaluate(table(t));
        assertEquals(old.hitRate(), sampled.hitRate(3), 1e-12);
        assertEquals(old.ndcg(), sampled.ndcg(3), 1e-12);
    }

    /** Sorts the list by score descending with the held-out item placed after every equal score; its index is the rank. */
    private static int bruteRank(float[] scores, int target, List<Integer> list) {
        List<Integer> sorted = new ArrayList<>(list);
        sorted.sort((a, b) -> {
            int c = Float.compare(scores[b], scores[a]);
            if (c != 0) return c;
            return Boolean.compare(a == target, b == target);
        });
        return sorted.indexOf(target);
    }
}
