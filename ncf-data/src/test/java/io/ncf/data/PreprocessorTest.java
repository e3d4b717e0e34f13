package io.ncf.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ForkJoinPool;

import static org.junit.jupiter.api.Assertions.*;

class PreprocessorTest {

    @TempDir Path dir;

    /*
     * user 20 has 2 rows (< 3): dropped. User 10 rates 100 twice (ts 50 and 60): the earliest stays, so after
     * the time sort 101@40, 102@45, 100@50 remain and 100 is held out although its duplicate was the latest row.
     * User 30 has three rows at ts 70: ties keep input order, so 302 (last in the file) is held out.
     */
    static final String SMALL = """
            userId,movieId,rating,timestamp
            10,100,5,50
            20,200,3,10
            10,101,4,40
            30,300,4,70
            10,100,2,60
            20,201,1,11
            30,301,4,70
            10,102,5,45
            30,100,1,5
            30,302,1,70
            """;

    static NcfDataset small(Path dir, int validNegative, long seed) {
        RawInteractions raw = RatingsRecordReader.read(TestFiles.write(dir, "ratings.csv", SMALL), RatingsFormat.ML_20M);
        return new Preprocessor(new Preprocessor.Options(3, validNegative, seed)).run(raw);
    }

    @Test
    void exactSplitWithDuplicatesTiesAndThreshold() {
        NcfDataset ds = small(dir, 2, 7);
        assertEquals(2, ds.numUsers());
        assertEquals(6, ds.numItems());
        assertEquals(List.of("10", "30"), ds.userIds().ids());
        // first appearance among kept rows, in input order (user 20's items 200 and 201 are gone)
        assertEquals(List.of("100", "101", "300", "301", "102", "302"), ds.itemIds().ids());
        assertArrayEquals(new int[]{0, 0, 1, 1, 1}, ds.trainUsers());
        assertArrayEquals(new int[]{1, 4, 0, 2, 3}, ds.trainItems()); // time order within each user
        assertArrayEquals(new int[]{0, 5}, ds.testItems());
        assertArrayEquals(new int[]{0, 1, 4}, ds.seen().items(0));
        assertArrayEquals(new int[]{0, 2, 3, 5}, ds.seen().items(1));
        NcfDataset.DatasetInfo info = ds.info();
        assertEquals(10, info.rawRows());
        assertEquals(1, info.droppedUsers());
        assertEquals(1, info.duplicatePairs());
        assertEquals(3, info.minRatings());
        assertTrue(info.source().endsWith("ratings.csv"));
    }

    @Test
    void withoutTimestampsInputOrderIsTimeOrder() {
        Path f = TestFiles.write(dir, "plain.csv", "u,i\na,x\na,y\nb,x\na,z\nb,y\na,x\n");
        RawInteractions raw = RatingsRecordReader.read(f, new ColumnSpec(0, 1, -1, ",", true), false);
        assertFalse(raw.hasTimestamps());
        NcfDataset ds = new Preprocessor(new Preprocessor.Options(2, 0, 1)).run(raw);
        // a: x, y, z, (x dup) -> test z; b: x, y -> test y
        assertEquals(List.of("x", "y", "z"), ds.itemIds().ids());
        assertArrayEquals(new int[]{2, 1}, ds.testItems());
        assertArrayEquals(new int[]{0, 0, 1}, ds.trainUsers());
        assertArrayEquals(new int[]{0, 1, 0}, ds.trainItems());
    }

    @Test
    void candidatesHaveHeldOutFirstAndOnlyUnseenNegatives() {
        NcfDataset ds = small(dir, 50, 11);
        EvalCandidates c = ds.candidates();
        assertEquals(51, c.width());
        assertEquals(2, c.numUsers());
        for (int u = 0; u < 2; u++) {
            assertEquals(u, c.users()[u]);
            assertEquals(ds.testItems()[u], c.heldOut(u));
            for (int j = 1; j < c.width(); j++) {
                int item = c.items()[u * c.width() + j];
                assertTrue(item >= 0 && item < ds.numItems());
                assertFalse(ds.seen().contains(u, item), "negative " + item + " of user " + u + " was seen");
            }
        }
        // user 1 saw 4 of 6 items: with 50 draws both unseen items (1 and 4) must show up
        java.util.Set<Integer> drawn = new java.util.HashSet<>();
        for (int j = 1; j < 51; j++) drawn.add(c.items()[51 + j]);
        assertEquals(java.util.Set.of(1, 4), drawn);
    }

    @Test
    void candidatesAreDeterministicDifferAcrossSeedsAndIgnoreThreadCount() throws Exception {
        NcfDataset ds = DemoData.generate(3);
        EvalCandidates a = Preprocessor.sampleCandidates(ds.testItems(), ds.seen(), ds.numItems(), 100, 42);
        EvalCandidates b = new ForkJoinPool(1).submit(
                () -> Preprocessor.sampleCandidates(ds.testItems(), ds.seen(), ds.numItems(), 100, 42)).get();
        EvalCandidates c = Preprocessor.sampleCandidates(ds.testItems(), ds.seen(), ds.numItems(), 100, 43);
        assertArrayEquals(a.items(), b.items());
        assertFalse(java.util.Arrays.equals(a.items(), c.items()));
        for (int u = 0; u < ds.numUsers(); u++) assertEquals(a.heldOut(u), c.heldOut(u));
    }

    @Test
    void wholePipelineIsDeterministic() {
        NcfDataset a = small(dir, 5, 3), b = small(dir, 5, 3);
        assertArrayEquals(a.candidates().items(), b.candidates().items());
        assertArrayEquals(a.trainItems(), b.trainItems());
    }

    @Test
    void userWhoSawEveryItemFailsClearly() {
        Path f = TestFiles.write(dir, "all.csv", "u,i,t\na,x,1\na,y,2\nb,x,3\nb,y,4\nb,x,5\n");
        RawInteractions raw = RatingsRecordReader.read(f, new ColumnSpec(0, 1, 2, ",", true), false);
        DataFormatException e = assertThrows(DataFormatException.class,
                () -> new Preprocessor(new Preprocessor.Options(1, 1, 0)).run(raw));
        assertTrue(e.getMessage().contains("interacted with all 2 items"), e.getMessage());
    }

    @Test
    void noUserAboveThresholdFailsClearly() {
        Path f = TestFiles.write(dir, "few.csv", "u,i,t\na,x,1\nb,y,2\n");
        RawInteractions raw = RatingsRecordReader.read(f, new ColumnSpec(0, 1, 2, ",", true), false);
        DataFormatException e = assertThrows(DataFormatException.class, () -> new Preprocessor().run(raw));
        assertTrue(e.getMessage().contains("no user has at least 20 interactions"), e.getMessage());
    }

    @Test
    void unsortedTimestampsWithWideRangeUseTheStableFallback() {
        // a range too wide to pack (time, position) into one long exercises the boxed stable sort
        Path f = TestFiles.write(dir, "wide.csv", "u,i,t\na,x,9000000000000000000\na,y,-9000000000000000000\na,z,5\na,w,-9000000000000000000\n");
        RawInteractions raw = RatingsRecordReader.read(f, new ColumnSpec(0, 1, 2, ",", true), false);
        NcfDataset ds = new Preprocessor(new Preprocessor.Options(1, 0, 0)).run(raw);
        // order: y, w (tie, input order), z, x
        assertEquals(List.of("x", "y", "z", "w"), ds.itemIds().ids());
        assertArrayEquals(new int[]{1, 3, 2}, ds.trainItems());
        assertArrayEquals(new int[]{0}, ds.testItems());
    }
}
