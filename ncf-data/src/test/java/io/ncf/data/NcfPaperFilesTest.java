package io.ncf.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class NcfPaperFilesTest {

    @TempDir Path dir;

    private Path files(String train, String test, String negative) {
        TestFiles.write(dir, "tiny.train.rating", train);
        TestFiles.write(dir, "tiny.test.rating", test);
        TestFiles.write(dir, "tiny.test.negative", negative);
        return dir.resolve("tiny");
    }

    private Path good() {
        return files("0\t0\t5\t100\n0\t2\t3\t101\n1\t1\t4\t100\n1\t3\t4\t102\n2\t0\t1\t50\n",
                "0\t3\t4\t200\n1\t0\t5\t201\n2\t4\t2\t202\n",
                "(0,3)\t1\t4\n(1,0)\t2\t5\n(2,4)\t1\t3\n");
    }

    @Test void readsTheFilesAsGivenAndEvaluatesOnTheGivenNegatives() {
        NcfDataset ds = NcfPaperFiles.read(good());
        assertEquals(3, ds.numUsers());
        assertEquals(6, ds.numItems()); // item 5 occurs only as a negative
        assertArrayEquals(new int[]{0, 0, 1, 1, 2}, ds.trainUsers());
        assertArrayEquals(new int[]{0, 2, 1, 3, 0}, ds.trainItems());
        assertArrayEquals(new int[]{3, 0, 4}, ds.testItems());
        assertEquals(2, ds.candidates().negativesPerUser());
        assertArrayEquals(new int[]{0, 1, 2}, ds.candidates().users());
        assertArrayEquals(new int[]{3, 1, 4, 0, 2, 5, 4, 1, 3}, ds.candidates().items());
        assertTrue(ds.seen().contains(0, 3) && ds.seen().contains(0, 2) && !ds.seen().contains(0, 1));
        assertEquals("4", ds.itemIds().id(4));
        assertEquals(2, ds.userIds().indexOf("2"));
    }

    @Test void survivesTheDatasetStore() {
        NcfDataset ds = NcfPaperFiles.read(good());
        Path out = dir.resolve("ds");
        DatasetStore.save(ds, out);
        NcfDataset back = DatasetStore.load(out);
        assertArrayEquals(ds.candidates().items(), back.candidates().items());
        assertArrayEquals(ds.testItems(), back.testItems());
        assertArrayEquals(ds.trainItems(), back.trainItems());
    }

    @Test void trainingLinesOutOfUserOrderAreGroupedByUserKeepingFileOrder() {
        Path p = files("1\t1\t4\t1\n0\t2\t3\t1\n1\t3\t4\t1\n0\t0\t5\t1\n", "0\t3\t4\t2\n1\t0\t5\t2\n", "(0,3)\t1\n(1,0)\t2\n");
        NcfDataset ds = NcfPaperFiles.read(p);
        assertArrayEquals(new int[]{0, 0, 1, 1}, ds.trainUsers());
        assertArrayEquals(new int[]{2, 0, 1, 3}, ds.trainItems());
    }

    @Test void errorsNameFileAndLine() {
        String train = "0\t0\t5\t100\n1\t1\t4\t100\n";
        String test = "0\t3\t4\t200\n1\t0\t5\t201\n";
        assertMessage(files(train, test, "(0,3)\t1\t4\n(1,2)\t2\t5\n"), "tiny.test.negative:2:", "holds out item 0");
        assertMessage(files(train, test, "(0,3)\t1\t4\n(1,0)\t2\n"), "tiny.test.negative:2:", "1 negatives, but the first line has 2");
        assertMessage(files(train, test, "(0,3)\t1\t4\n1,0\t2\t5\n"), "tiny.test.negative:2:", "(user,item)");
        assertMessage(files(train, test, "(0,3)\t1\tx\n(1,0)\t2\t5\n"), "tiny.test.negative:1:", "field 3");
        assertMessage(files("0\t0\t5\t100\n1\tabc\t4\t100\n", test, "(0,3)\t1\n(1,0)\t2\n"), "tiny.train.rating:2:", "field 2 (item): 'abc' is not an integer");
        assertMessage(files(train, "0\t3\t4\t200\n0\t1\t4\t200\n1\t0\t5\t201\n", "(0,3)\t1\n(1,0)\t2\n"), "tiny.test.rating:2:", "second test item");
        assertMessage(files(train, "0\t3\t4\t200\n", "(0,3)\t1\n"), "tiny.test.rating", "user 1");
        assertMessage(files(train, test, "(0,3)\t1\n"), "tiny.test.negative", "user 1 has no negatives line");
        DataFormatException e = assertThrows(DataFormatException.class, () -> NcfPaperFiles.read(dir.resolve("missing")));
        assertTrue(e.getMessage().contains("missing.train.rating") && e.getMessage().contains("no such file"), e.getMessage());
    }

    private static void assertMessage(Path prefix, String where, String what) {
        DataFormatException e = assertThrows(DataFormatException.class, () -> NcfPaperFiles.read(prefix));
        assertTrue(e.getMessage().contains(where) && e.getMessage().contains(what), e.getMessage());
    }
}
