package io.ncf.cuda;

import io.ncf.core.UserItemIndex;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** The GPU engine's checked negatives (--no-neg-trick), drawn on the host from the device's epoch plan. */
class CheckedNegativesTest {

    @Test void checkedNegativesAreNeverPositivesAndOtherwiseEqualThePlan() {
        int users = 30, items = 12; // dense: many unchecked draws hit positives
        SplittableRandom rnd = new SplittableRandom(3);
        int n = 200;
        int[] pu = new int[n], pi = new int[n];
        for (int k = 0; k < n; k++) { pu[k] = rnd.nextInt(users); pi[k] = rnd.nextInt(items); }
        UserItemIndex idx = UserItemIndex.build(users, pu, pi, n);
        EpochPlan plan = new EpochPlan(n, 4, 9, 2);
        int count = (int) plan.size();
        int[] u = new int[count], i = new int[count], cu = new int[count], ci = new int[count];
        float[] y = new float[count], cy = new float[count];
        plan.fill(0, count, pu, pi, items, u, i, y);
        plan.fillChecked(0, count, pu, pi, items, idx, cu, ci, cy);
        int unchecked = 0, redrawn = 0;
        for (int b = 0; b < count; b++) {
            assertEquals(u[b], cu[b], "users are the plan's");
            assertEquals(y[b], cy[b], "labels are the plan's");
            if (y[b] == 1f) { assertEquals(i[b], ci[b], "positives are the plan's"); continue; }
            boolean full = idx.count(u[b]) >= items;
            if (!full) assertFalse(idx.contains(cu[b], ci[b]), "negative " + b + " is a positive of user " + cu[b]);
            if (idx.contains(u[b], i[b])) unchecked++;
            if (i[b] != ci[b]) redrawn++;
            else assertFalse(idx.contains(u[b], i[b]) && !full, "a good draw is kept");
        }
        assertTrue(unchecked > 20, "the data makes the shortcut draw positives (" + unchecked + ")");
        assertEquals(unchecked, redrawn, "exactly the bad draws are redrawn");
        // a pure function of (seed, epoch, position): any sub-range draws the same samples
        int[] su = new int[50], si = new int[50];
        float[] sy = new float[50];
        plan.fillChecked(100, 50, pu, pi, items, idx, su, si, sy);
        for (int b = 0; b < 50; b++) assertEquals(ci[100 + b], si[b]);
    }
}
