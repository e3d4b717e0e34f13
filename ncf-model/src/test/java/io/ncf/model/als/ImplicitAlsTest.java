package io.ncf.model.als;

import io.ncf.data.DemoData;
import io.ncf.data.NcfDataset;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class ImplicitAlsTest {

    @Test
    void choleskySolvesAPositiveDefiniteSystem() {
        int k = 37;
        SplittableRandom r = new SplittableRandom(1);
        double[] m = new double[k * k], a = new double[k * k], x = new double[k], b = new double[k];
        for (int i = 0; i < k * k; i++) m[i] = r.nextDouble(-1, 1);
        for (int i = 0; i < k; i++) // A = MᵀM + I
            for (int j = 0; j < k; j++) {
                double s = i == j ? 1 : 0;
                for (int t = 0; t < k; t++) s += m[t * k + i] * m[t * k + j];
                a[i * k + j] = s;
            }
        for (int i = 0; i < k; i++) x[i] = r.nextDouble(-3, 3);
        for (int i = 0; i < k; i++) for (int j = 0; j < k; j++) b[i] += a[i * k + j] * x[j];
        ImplicitAls.choleskySolve(a.clone(), b, k);
        assertArrayEquals(x, b, 1e-8);
    }

    @Test
    void itemFactorsSolveTheirNormalEquationsAgainstTheFinalUserFactors() {
        NcfDataset ds = DemoData.generate(5);
        ImplicitAls.Params p = new ImplicitAls.Params(16, 0.1f, 8f, 3, 5);
        AlsModel m = ImplicitAls.train(ds.numUsers(), ds.numItems(), ds.trainUsers(), ds.trainItems(), p, 2, null);
        int k = p.rank();
        double[] xtx = new double[k * k];
        for (int u = 0; u < ds.numUsers(); u++) {
            float[] x = m.userFactors(u);
            for (int i = 0; i < k; i++) for (int j = 0; j < k; j++) xtx[i * k + j] += (double) x[i] * x[j];
        }
        int checked = 0;
        for (int item = 0; item < ds.numItems() && checked < 20; item += 7) {
            java.util.Set<Integer> users = new java.util.TreeSet<>();
            for (int t = 0; t < ds.trainSize(); t++) if (ds.trainItems()[t] == item) users.add(ds.trainUsers()[t]);
            if (users.isEmpty()) continue;
            double[] a = xtx.clone(), b = new double[k];
            for (int u : users) {
                float[] x = m.userFactors(u);
                for (int i = 0; i < k; i++) {
                    b[i] += (1 + p.alpha()) * x[i];
                    for (int j = 0; j < k; j++) a[i * k + j] += p.alpha() * (double) x[i] * x[j];
                }
            }
            for (int i = 0; i < k; i++) a[i * k + i] += p.regParam() * users.size();
            float[] y = m.itemFactors(item);
            for (int i = 0; i < k; i++) {
                double lhs = 0;
                for (int j = 0; j < k; j++) lhs += a[i * k + j] * y[j];
                assertEquals(b[i], lhs, 2e-3 * (1 + Math.abs(b[i])), "item " + item + " equation " + i);
            }
            checked++;
        }
        assertTrue(checked > 5);
    }

    @Test
    void beatsPopularityOnHeldOutItems() {
        NcfDataset ds = DemoData.generate(6);
        AlsModel m = ImplicitAls.train(ds.numUsers(), ds.numItems(), ds.trainUsers(), ds.trainItems(), new ImplicitAls.Params(32, 0.05f, 10f, 8, 6), 2, null);
        int[] count = new int[ds.numItems()];
        for (int i : ds.trainItems()) count[i]++;
        double als = hitRate(ds, (u, i) -> {
            float[] out = new float[1];
            m.score(new int[]{u}, new int[]{i}, 1, out);
            return out[0];
        }), pop = hitRate(ds, (u, i) -> count[i]);
        assertTrue(als > pop + 0.05, "ALS HR@10 " + als + " vs popularity " + pop);
        assertTrue(m.rank() == 32 && m.numUsers() == ds.numUsers() && m.numItems() == ds.numItems());
    }

    @Test
    void refusesBadParameters() {
        assertThrows(IllegalArgumentException.class, () -> new ImplicitAls.Params(0, 1, 1, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new ImplicitAls.Params(8, -1, 1, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new ImplicitAls.Params(8, 1, Float.NaN, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new ImplicitAls.Params(8, 1, 1, 0, 0));
    }

    interface PairScore { double score(int user, int item); }

    /** HR@10 under the sampled protocol (ties count against the held-out item). */
    static double hitRate(NcfDataset ds, PairScore s) {
        int w = ds.candidates().width(), hits = 0;
        int[] c = ds.candidates().items();
        for (int u = 0; u < ds.numUsers(); u++) {
            double pos = s.score(u, c[u * w]);
            int better = 0;
            for (int j = 1; j < w; j++) if (s.score(u, c[u * w + j]) >= pos) better++;
            if (better < 10) hits++;
        }
        return (double) hits / ds.numUsers();
    }
}
