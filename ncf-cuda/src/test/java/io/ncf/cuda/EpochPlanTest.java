package io.ncf.cuda;

import org.junit.jupiter.api.Test;

import java.util.BitSet;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class EpochPlanTest {

    @Test void permutationIsABijectionForAwkwardSizes() {
        for (long positives : new long[]{1, 2, 3, 7, 200, 1023, 4097}) {
            EpochPlan plan = new EpochPlan(positives, 4, 9, 0);
            long n = plan.size();
            BitSet seen = new BitSet((int) n);
            for (long t = 0; t < n; t++) {
                long s = plan.permute(t);
                assertTrue(s >= 0 && s < n, "sample " + s + " outside [0," + n + ")");
                assertFalse(seen.get((int) s), "sample " + s + " drawn twice (n=" + n + ")");
                seen.set((int) s);
            }
            assertEquals(n, seen.cardinality());
        }
    }

    @Test void epochHoldsEachPositiveOnceAndFourNegativesEach() {
        int positives = 500, items = 97;
        Random r = new Random(1);
        int[] pu = new int[positives], pi = new int[positives];
        for (int k = 0; k < positives; k++) { pu[k] = r.nextInt(50); pi[k] = r.nextInt(items); }
        EpochPlan plan = new EpochPlan(positives, 4, 3, 2);
        int n = (int) plan.size();
        int[] u = new int[n], i = new int[n];
        float[] y = new float[n];
        plan.fill(0, n, pu, pi, items, u, i, y);
        int ones = 0;
        int[] perUser = new int[50], expected = new int[50];
        for (int k = 0; k < positives; k++) expected[pu[k]] += 5;
        for (int k = 0; k < n; k++) {
            assertTrue(i[k] >= 0 && i[k] < items);
            if (y[k] == 1f) ones++; else assertEquals(0f, y[k]);
            perUser[u[k]]++;
        }
        assertEquals(positives, ones);
        assertArrayEquals(expected, perUser, "every positive contributes itself and 4 negatives for its user");
    }

    @Test void shuffledNotInInputOrder() {
        EpochPlan plan = new EpochPlan(10_000, 4, 5, 0);
        int inOrder = 0;
        for (long t = 0; t + 1 < 1000; t++) if (plan.permute(t + 1) == plan.permute(t) + 1) inOrder++;
        assertTrue(inOrder < 10, "consecutive positions should not map to consecutive samples, got " + inOrder);
    }

    @Test void deterministicInSeedAndEpochAndDifferentAcrossEpochs() {
        EpochPlan a = new EpochPlan(1000, 4, 7, 1), b = new EpochPlan(1000, 4, 7, 1), c = new EpochPlan(1000, 4, 7, 2), d = new EpochPlan(1000, 4, 8, 1);
        int diffEpoch = 0, diffSeed = 0;
        for (long t = 0; t < 200; t++) {
            assertEquals(a.permute(t), b.permute(t));
            if (a.permute(t) != c.permute(t)) diffEpoch++;
            if (a.permute(t) != d.permute(t)) diffSeed++;
        }
        assertTrue(diffEpoch > 150 && diffSeed > 150, "epochs/seeds must give different orders: " + diffEpoch + ", " + diffSeed);
    }

    @Test void negativesAreRoughlyUniform() {
        int positives = 20_000, items = 10;
        int[] pu = new int[positives], pi = new int[positives];
        EpochPlan plan = new EpochPlan(positives, 4, 11, 0);
        int n = (int) plan.size();
        int[] u = new int[n], i = new int[n];
        float[] y = new float[n];
        plan.fill(0, n, pu, pi, items, u, i, y);
        int[] counts = new int[items];
        for (int k = 0; k < n; k++) if (y[k] == 0f) counts[i[k]]++;
        for (int c : counts) assertEquals(8000, c, 400, "negative item counts " + java.util.Arrays.toString(counts));
    }

    @Test void rejectsPositionsOutsideTheEpochAndBadSizes() {
        EpochPlan plan = new EpochPlan(3, 1, 0, 0);
        assertThrows(IndexOutOfBoundsException.class, () -> plan.permute(6));
        assertThrows(IllegalArgumentException.class, () -> new EpochPlan(0, 4, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new EpochPlan(5, -1, 0, 0));
    }
}
