package io.ncf.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class ValidationSplitTest {

    @TempDir Path dir;

    @Test
    void holdsOutEachUsersLatestTrainingItemAndNeverTheTestItem() {
        // PreprocessorTest's small file: user "10" trains on 101, 102 (time order) and is tested on 100;
        // user "30" trains on 100, 300, 301 and is tested on 302
        NcfDataset ds = PreprocessorTest.small(dir, 2, 7);
        NcfDataset v = ValidationSplit.of(ds, 11);
        assertArrayEquals(new int[]{ds.trainItems()[1], ds.trainItems()[4]}, v.testItems(), "validation item = latest training item");
        assertArrayEquals(new int[]{0, 1, 1}, v.trainUsers());
        assertArrayEquals(new int[]{ds.trainItems()[0], ds.trainItems()[2], ds.trainItems()[3]}, v.trainItems());
        assertEquals(ds.trainSize() - ds.numUsers(), v.trainSize());
        assertSame(ds.seen(), v.seen(), "the test items stay known interactions");
        for (int u = 0; u < v.numUsers(); u++) {
            assertEquals(v.testItems()[u], v.candidates().heldOut(u));
            for (int k = 0; k < v.trainSize(); k++)
                if (v.trainUsers()[k] == u) assertNotEquals(ds.testItems()[u], v.trainItems()[k], "a test item leaked into validation training");
        }
        assertTrue(v.info().source().endsWith("(validation split)"));
    }

    @Test
    void negativesAreVerifiedAgainstEverythingTheUserSawAndDeterministic() {
        NcfDataset ds = TestDemo.dataset(3);
        NcfDataset a = ValidationSplit.of(ds, 5), b = ValidationSplit.of(ds, 5), c = ValidationSplit.of(ds, 6);
        assertArrayEquals(a.candidates().items(), b.candidates().items());
        assertFalse(java.util.Arrays.equals(a.candidates().items(), c.candidates().items()), "another seed draws other negatives");
        int w = a.candidates().width();
        Set<Integer> testAmongNegatives = new HashSet<>();
        for (int u = 0; u < a.numUsers(); u++) {
            for (int j = 1; j < w; j++) {
                int item = a.candidates().items()[u * w + j];
                assertFalse(ds.seen().contains(u, item), "negative " + item + " of user " + u + " was seen (training or test)");
                if (item == ds.testItems()[u]) testAmongNegatives.add(u);
            }
        }
        assertTrue(testAmongNegatives.isEmpty());
        assertEquals(ds.candidates().negativesPerUser(), a.candidates().negativesPerUser());
    }

    @Test
    void refusesAUserWithOneTrainingItem() {
        RawInteractions raw = new RawInteractions("tiny", true);
        raw.add("a", "x", 1);
        raw.add("a", "y", 2);
        raw.add("b", "x", 1);
        raw.add("b", "y", 2);
        raw.add("b", "z", 3);
        NcfDataset ds = new Preprocessor(new Preprocessor.Options(2, 0, 1)).run(raw);
        DatasetException e = assertThrows(DatasetException.class, () -> ValidationSplit.of(ds, 1));
        assertTrue(e.getMessage().contains("user a has 1 training positive"), e.getMessage());
    }

    /** The built-in demo data, prepared. */
    static final class TestDemo {
        static NcfDataset dataset(long seed) {
            return new Preprocessor(new Preprocessor.Options(20, 100, seed)).run(DemoData.raw(seed));
        }
    }
}
