package io.ncf.data;

import io.ncf.core.UserItemIndex;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.concurrent.ForkJoinPool;

import static org.junit.jupiter.api.Assertions.*;

class NegativeSamplerTest {

    static final NcfDataset DEMO = DemoData.generate(4);

    private static long pair(int u, int i) { return ((long) u << 32) | i; }

    @Test
    void countsLabelsAndEveryPositiveExactlyOnce() {
        NegativeSampler s = new NegativeSampler(DEMO, 4, false, 1);
        TrainingSamples t = s.sample(0, null);
        int p = DEMO.trainSize();
        assertEquals(p * 5, t.size());
        assertEquals(p * 5, s.epochSize());
        long[] positives = new long[p];
        int np = 0;
        int[] negativesPerUser = new int[DEMO.numUsers()];
        int[] positivesPerUser = new int[DEMO.numUsers()];
        for (int k = 0; k < t.size(); k++) {
            float l = t.labels()[k];
            assertTrue(l == 0f || l == 1f);
            assertTrue(t.items()[k] >= 0 && t.items()[k] < DEMO.numItems());
            if (l == 1f) {
                positives[np++] = pair(t.users()[k], t.items()[k]);
                positivesPerUser[t.users()[k]]++;
            } else {
                negativesPerUser[t.users()[k]]++;
            }
        }
        assertEquals(p, np);
        long[] expected = new long[p];
        for (int k = 0; k < p; k++) expected[k] = pair(DEMO.trainUsers()[k], DEMO.trainItems()[k]);
        Arrays.sort(expected);
        Arrays.sort(positives);
        assertArrayEquals(expected, positives);
        for (int u = 0; u < DEMO.numUsers(); u++) assertEquals(4 * positivesPerUser[u], negativesPerUser[u], "user " + u);
    }

    @Test
    void shortcutHitsSomePositivesVerifiedNever() {
        UserItemIndex train = NegativeSampler.trainIndex(DEMO.numUsers(), DEMO.trainUsers(), DEMO.trainItems());
        TrainingSamples shortcut = new NegativeSampler(DEMO, 4, false, 1).sample(0, null);
        TrainingSamples verified = new NegativeSampler(DEMO, 4, true, 1).sample(0, null);
        int falseNegShortcut = 0, falseNegVerified = 0;
        for (int k = 0; k < shortcut.size(); k++) {
            if (shortcut.labels()[k] == 0f && train.contains(shortcut.users()[k], shortcut.items()[k])) falseNegShortcut++;
            if (verified.labels()[k] == 0f && train.contains(verified.users()[k], verified.items()[k])) falseNegVerified++;
        }
        // demo users hold ~45 of ~800 items: ~5% of shortcut negatives are really positives
        assertTrue(falseNegShortcut > shortcut.size() / 100, "shortcut false negatives: " + falseNegShortcut);
        assertEquals(0, falseNegVerified);
    }

    @Test
    void deterministicUnderSeedAndEpochRegardlessOfThreads() throws Exception {
        NegativeSampler s = new NegativeSampler(DEMO, 4, false, 7);
        TrainingSamples a = s.sample(3, null);
        TrainingSamples b = new ForkJoinPool(1).submit(() -> s.sample(3, null)).get();
        assertArrayEquals(a.users(), b.users());
        assertArrayEquals(a.items(), b.items());
        assertArrayEquals(a.labels(), b.labels());
        TrainingSamples otherEpoch = s.sample(4, null);
        TrainingSamples otherSeed = new NegativeSampler(DEMO, 4, false, 8).sample(3, null);
        assertFalse(Arrays.equals(a.items(), otherEpoch.items()));
        assertFalse(Arrays.equals(a.items(), otherSeed.items()));
    }

    @Test
    void reusesTheArraysAcrossEpochs() {
        NegativeSampler s = new NegativeSampler(DEMO, 4, false, 7);
        TrainingSamples t = s.newSamples();
        int[] users = t.users();
        assertSame(t, s.sample(0, t));
        assertSame(t, s.sample(1, t));
        assertSame(users, t.users());
        TrainingSamples fresh = s.sample(1, null);
        assertArrayEquals(fresh.items(), t.items());
    }

    @Test
    void wholeEpochIsShuffled() {
        TrainingSamples t = new NegativeSampler(DEMO, 4, false, 7).sample(0, null);
        int n = t.size();
        // in generation order every 5th sample is a positive and users ascend; a shuffle breaks both
        int positivesAtMultiplesOf5 = 0, ascendingUsers = 0;
        for (int k = 0; k < n; k++) {
            if (k % 5 == 0 && t.labels()[k] == 1f) positivesAtMultiplesOf5++;
            if (k > 0 && t.users()[k] >= t.users()[k - 1]) ascendingUsers++;
        }
        double fracPos = positivesAtMultiplesOf5 / (n / 5.0);
        assertEquals(0.2, fracPos, 0.02, "positives at generation slots");
        assertEquals(0.5, ascendingUsers / (double) n, 0.02, "adjacent users in ascending order");
        // the first and last tenth have the same mix of users as the whole
        assertEquals(meanUser(t, 0, n / 10), meanUser(t, 0, n), DEMO.numUsers() * 0.03);
        assertEquals(meanUser(t, n - n / 10, n), meanUser(t, 0, n), DEMO.numUsers() * 0.03);
    }

    @Test
    void largeEpochUsesManyBucketsAndStaysExact() {
        // > 64k samples per bucket forces several shuffle buckets; check the multiset again
        int users = 3000, items = 500, per = 30;
        int[] tu = new int[users * per], ti = new int[users * per];
        for (int u = 0, k = 0; u < users; u++) for (int j = 0; j < per; j++, k++) { tu[k] = u; ti[k] = (u * 7 + j * 13) % items; }
        NegativeSampler s = new NegativeSampler(users, items, tu, ti, 4, true, 3);
        TrainingSamples t = s.sample(0, null);
        assertEquals(users * per * 5, t.size());
        long sumUsersPos = 0, sumUsersAll = 0, expectedPos = 0;
        for (int k = 0; k < t.size(); k++) {
            sumUsersAll += t.users()[k];
            if (t.labels()[k] == 1f) sumUsersPos += t.users()[k];
        }
        for (int u : tu) expectedPos += u;
        assertEquals(expectedPos, sumUsersPos);
        assertEquals(expectedPos * 5, sumUsersAll);
        assertEquals(0.2, meanLabelFirstHalf(t), 0.01);
    }

    private static double meanUser(TrainingSamples t, int from, int to) {
        double s = 0;
        for (int k = from; k < to; k++) s += t.users()[k];
        return s / (to - from);
    }

    private static double meanLabelFirstHalf(TrainingSamples t) {
        double s = 0;
        for (int k = 0; k < t.size() / 2; k++) s += t.labels()[k];
        return s / (t.size() / 2.0);
    }

    @Test
    void verifiedFailsWhenAUserHasEveryItem() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new NegativeSampler(1, 2, new int[]{0, 0}, new int[]{0, 1}, 1, true, 0));
        assertTrue(e.getMessage().contains("every item"), e.getMessage());
    }
}
