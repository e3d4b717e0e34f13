package io.ncf.model.fused;

import io.ncf.core.rank.ScoringKernel;
import io.ncf.core.rank.TwoStageRanker;

import io.ncf.core.UserItemIndex;
import io.ncf.core.NeuMFConfig;
import io.ncf.model.ParamSet;
import io.ncf.core.rank.RowRanker;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static io.ncf.model.fused.FusedCpuEngineTest.randomParams;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Two-stage top-K: with every item a candidate it is exact ranking, bit for bit; with fewer, it returns exact
 * scores of unseen items in rank order, and how much it finds is a property of the model (measured in the
 * benchmark and in ncf recommend's recall line, on trained models).
 */
class TwoStageRankerTest {

    @Test void allItemsAsCandidatesIsExactAndFewerGiveExactScoresOfUnseenItemsInOrder() {
        NeuMFConfig c = new NeuMFConfig(40, 600, 8, new int[]{32, 16, 8}, 0.5f);
        ParamSet p = randomParams(c, 9, 0.5f);
        int[] su = new int[40 * 30], si = new int[40 * 30];
        SplittableRandom r = new SplittableRandom(4);
        for (int k = 0; k < su.length; k++) { su[k] = k / 30; si[k] = r.nextInt(600); }
        UserItemIndex seen = UserItemIndex.build(40, su, si, su.length);
        int[] users = {3, 39, 0, 17, 17, 22};
        int k = 10;
        try (ScoringKernel kernel = new ScoringKernel(p.config(), p.toFlat(), 2)) {
            int[] ei = new int[users.length * k], ef = new int[users.length];
            float[] es = new float[users.length * k];
            new RowRanker(kernel).topK(users, 0, users.length, k, seen, ei, es, ef);
            try (TwoStageRanker all = new TwoStageRanker(kernel, 600)) {
                int[] ti = new int[users.length * k], tf = new int[users.length];
                float[] ts = new float[users.length * k];
                all.topK(users, 0, users.length, k, seen, ti, ts, tf);
                assertArrayEquals(ef, tf);
                assertArrayEquals(ei, ti);
                for (int j = 0; j < ts.length; j++) assertEquals(Float.floatToRawIntBits(es[j]), Float.floatToRawIntBits(ts[j]));
            }
            try (TwoStageRanker few = new TwoStageRanker(kernel, 50)) {
                int[] ti = new int[users.length * k], tf = new int[users.length];
                float[] ts = new float[users.length * k];
                few.topK(users, 0, users.length, k, seen, ti, ts, tf);
                for (int j = 0; j < users.length; j++) {
                    assertEquals(k, tf[j]);
                    for (int q = 0; q < k; q++) {
                        int item = ti[j * k + q];
                        assertFalse(seen.contains(users[j], item), "seen item returned");
                        float[] one = new float[1];
                        kernel.score(new int[]{users[j]}, new int[]{item}, 1, one);
                        assertEquals(Float.floatToRawIntBits(one[0]), Float.floatToRawIntBits(ts[j * k + q]), "the exact score");
                        if (q > 0) assertTrue(ts[j * k + q - 1] >= ts[j * k + q], "rank order");
                    }
                }
            }
        }
    }
}
