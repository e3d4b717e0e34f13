package io.ncf.data;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

class DemoDataTest {

    @Test
    void deterministicAndWellFormed() {
        NcfDataset a = DemoData.generate(5), b = DemoData.generate(5), c = DemoData.generate(6);
        assertArrayEquals(a.trainItems(), b.trainItems());
        assertArrayEquals(a.candidates().items(), b.candidates().items());
        assertEquals(a.userIds(), b.userIds());
        assertFalse(Arrays.equals(a.trainItems(), c.trainItems()));
        assertEquals("demo", a.info().source());
        assertEquals(DemoData.USERS, a.numUsers());
        assertTrue(a.numItems() > 700 && a.numItems() <= DemoData.ITEMS, "items: " + a.numItems());
        assertTrue(a.trainSize() > 50_000 && a.trainSize() < 100_000, "train size " + a.trainSize());
        assertEquals(0, a.info().droppedUsers());
        assertEquals(101, a.candidates().width());
        for (int u = 0; u < a.numUsers(); u++) {
            assertTrue(a.seen().count(u) >= 20);
            assertEquals(a.testItems()[u], a.candidates().heldOut(u));
        }
    }

    /** The planted structure: knowing a user's group predicts the held-out item far better than popularity does. */
    @Test
    void heldOutItemFollowsGroupsNotPopularity() {
        long seed = 5;
        NcfDataset ds = DemoData.generate(seed);
        int[] group = DemoData.itemGroups(seed, ds.itemIds());
        int[] popularity = new int[ds.numItems()];
        for (int i : ds.trainItems()) popularity[i]++;
        EvalCandidates c = ds.candidates();
        int hitsPop = 0, hitsGroup = 0;
        for (int u = 0; u < ds.numUsers(); u++) {
            // the user's group = the most common group among its training items
            int[] votes = new int[DemoData.GROUPS];
            for (int k = 0; k < ds.trainSize(); k++) if (ds.trainUsers()[k] == u) votes[group[ds.trainItems()[k]]]++;
            int g = 0;
            for (int k = 1; k < votes.length; k++) if (votes[k] > votes[g]) g = k;
            double[] popScore = new double[c.width()], groupScore = new double[c.width()];
            for (int j = 0; j < c.width(); j++) {
                int item = c.items()[u * c.width() + j];
                popScore[j] = popularity[item];
                groupScore[j] = (group[item] == g ? 1e6 : 0) + popularity[item];
            }
            if (hit(popScore)) hitsPop++;
            if (hit(groupScore)) hitsGroup++;
        }
        double hrPop = hitsPop / (double) ds.numUsers(), hrGroup = hitsGroup / (double) ds.numUsers();
        System.out.printf("demo data: group-oracle HR@10 %.3f, popularity HR@10 %.3f%n", hrGroup, hrPop);
        assertTrue(hrGroup > 0.75, "group oracle HR@10 " + hrGroup);
        assertTrue(hrPop < 0.6, "popularity HR@10 " + hrPop);
        assertTrue(hrGroup - hrPop > 0.25, "group " + hrGroup + " vs popularity " + hrPop);
    }

    /** HR@10 with the pessimistic tie rule: column 0 is the held-out item. */
    private static boolean hit(double[] s) {
        int better = 0;
        for (int j = 1; j < s.length; j++) if (s[j] >= s[0]) better++;
        return better < 10;
    }
}
