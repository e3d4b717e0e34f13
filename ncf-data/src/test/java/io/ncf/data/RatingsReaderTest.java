package io.ncf.data;

import org.datavec.api.records.reader.impl.csv.CSVRecordReader;
import org.datavec.api.split.FileSplit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class RatingsReaderTest {

    @TempDir Path dir;

    /** Reads a file both ways through our reader: the bulk fast path and DataVec records via InteractionReader. */
    static RawInteractions bothWays(Path file, RatingsFormat format) throws Exception {
        RawInteractions fast = RatingsRecordReader.read(file, format);
        try (RatingsRecordReader rr = new RatingsRecordReader(format)) {
            rr.initialize(new FileSplit(file.toFile()));
            RawInteractions slow = InteractionReader.read(rr, format.spec(), file.toString());
            assertTrue(fast.sameContent(slow), "fast path " + fast + " differs from the record path " + slow);
        }
        return fast;
    }

    @Test
    void ml100kTabSeparated() throws Exception {
        Path f = TestFiles.write(dir, "u.data", "196\t242\t3\t881250949\n186\t302\t3\t891717742\n196\t377\t1\t878887116\n");
        RawInteractions r = bothWays(f, RatingsFormat.ML_100K);
        assertEquals(3, r.size());
        assertEquals(List.of("196", "186"), r.userIds().ids());
        assertEquals(List.of("242", "302", "377"), r.itemIds().ids());
        assertEquals(878887116L, r.timestamp(2));
        assertEquals(0, r.user(2));
        assertTrue(r.hasTimestamps());
    }

    @Test
    void ml1mDoubleColonWithCrlfAndNoFinalNewline() throws Exception {
        Path f = TestFiles.write(dir, "ratings.dat", "1::1193::5::978300760\r\n1::661::3::978302109\r\n2::1193::4::978298413");
        RawInteractions r = bothWays(f, RatingsFormat.ML_1M);
        assertEquals(3, r.size());
        assertEquals(List.of("1193", "661"), r.itemIds().ids());
        assertEquals(978298413L, r.timestamp(2));
    }

    @Test
    void ml20mHeaderBlankLinesAndBom() throws Exception {
        Path f = TestFiles.write(dir, "ratings.csv", "\uFEFFuserId,movieId,rating,timestamp\n1,2,3.5,1112486027\n\n1,29,3.5,1112484676\n2,2,4.0,1112484819\n\n");
        RawInteractions r = bothWays(f, RatingsFormat.ML_20M);
        assertEquals(3, r.size());
        assertEquals(List.of("1", "2"), r.userIds().ids());
        assertEquals(List.of("2", "29"), r.itemIds().ids());
    }

    @Test
    void ml20mHeaderColumnsMayComeInAnyOrder() throws Exception {
        Path f = TestFiles.write(dir, "ratings.csv", "timestamp,rating,movieId,userId\n100,3,m1,u1\n");
        RawInteractions r = bothWays(f, RatingsFormat.ML_20M);
        assertEquals("u1", r.userIds().id(0));
        assertEquals("m1", r.itemIds().id(0));
        assertEquals(100L, r.timestamp(0));
    }

    @Test
    void formatNamesAndAliases() {
        assertEquals(RatingsFormat.ML_20M, RatingsFormat.fromName("ml-25m"));
        assertEquals(RatingsFormat.ML_20M, RatingsFormat.fromName("ML-LATEST"));
        assertEquals(RatingsFormat.ML_1M, RatingsFormat.fromName("ml-10m"));
        assertEquals(RatingsFormat.ML_100K, RatingsFormat.fromName("ml-100k"));
        assertEquals(RatingsFormat.CSV, RatingsFormat.fromName("csv"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RatingsFormat.fromName("parquet"));
        assertTrue(e.getMessage().contains("ml-20m"), e.getMessage());
    }

    @Test
    void genericCsvByHeaderNameWithQuotes() throws Exception {
        String csv = "item,when,who,score\n\"The \"\"Movie\"\", 2\",5,\"alice\",1\nx,6,bob,2\n\"x\",7,\"alice, jr\",3\n";
        Path f = TestFiles.write(dir, "any.csv", csv);
        ColumnSpec spec = ColumnSpec.byName("who", "item", "when", ",");
        RawInteractions fast = RatingsRecordReader.read(f, spec, true);
        assertEquals(List.of("alice", "bob", "alice, jr"), fast.userIds().ids());
        assertEquals(List.of("The \"Movie\", 2", "x"), fast.itemIds().ids());
        assertEquals(7L, fast.timestamp(2));
        // DataVec's own CSV reader (header delivered as the first record) gives the same interactions
        try (CSVRecordReader csvReader = new CSVRecordReader(0, ',')) {
            csvReader.initialize(new FileSplit(f.toFile()));
            assertTrue(fast.sameContent(InteractionReader.read(csvReader, spec, f.toString())));
        }
    }

    @Test
    void dataVecCsvRecordReaderMatchesFastPath() throws Exception {
        StringBuilder b = new StringBuilder("userId,movieId,rating,timestamp\n");
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(1);
        for (int k = 0; k < 5000; k++) b.append(rnd.nextInt(300)).append(',').append(rnd.nextInt(900)).append(",4.0,").append(rnd.nextLong(2_000_000_000L)).append('\n');
        Path f = TestFiles.write(dir, "ratings.csv", b.toString());
        RawInteractions fast = RatingsRecordReader.read(f, RatingsFormat.ML_20M);
        try (CSVRecordReader csvReader = new CSVRecordReader(0, ',')) {
            csvReader.initialize(new FileSplit(f.toFile()));
            assertTrue(fast.sameContent(InteractionReader.read(csvReader, RatingsFormat.ML_20M.spec(), f.toString())));
        }
        assertEquals(5000, fast.size());
    }

    @Test
    void dataVecReaderErrorsCarryTheLineNumber() throws Exception {
        Path f = TestFiles.write(dir, "ratings.csv", "userId,movieId,rating,timestamp\n1,2,3,4\n1,3,3,abc\n");
        try (CSVRecordReader csvReader = new CSVRecordReader(0, ',')) {
            csvReader.initialize(new FileSplit(f.toFile()));
            DataFormatException e = assertThrows(DataFormatException.class,
                    () -> InteractionReader.read(csvReader, RatingsFormat.ML_20M.spec(), "x"));
            assertTrue(e.getMessage().endsWith("ratings.csv:3: field 4 (timestamp): 'abc' is not an integer"), e.getMessage());
        }
    }

    @Test
    void recordReaderBehavesLikeADataVecReader() throws Exception {
        Path f = TestFiles.write(dir, "ratings.csv", "userId,movieId,rating,timestamp\n1,2,3.5,10\n1,3,4,11\n");
        try (RatingsRecordReader rr = new RatingsRecordReader(RatingsFormat.ML_20M)) {
            rr.initialize(new FileSplit(f.toFile()));
            List<List<String>> all = InteractionReader.strings(rr);
            assertEquals(List.of(List.of("userId", "movieId", "rating", "timestamp"), List.of("1", "2", "3.5", "10"),
                    List.of("1", "3", "4", "11")), all);
            assertFalse(rr.hasNext());
            rr.reset();
            assertTrue(rr.hasNext());
            assertEquals(2, rr.next(2).size());
            org.datavec.api.records.Record rec = rr.nextRecord();
            assertEquals(2, ((org.datavec.api.records.metadata.RecordMetaDataLine) rec.getMetaData()).getLineNumber());
            assertEquals(rec.getRecord(), rr.loadFromMetaData(rec.getMetaData()).getRecord());
            assertNull(rr.getLabels());
        }
    }

    @Test
    void realMl100k() throws Exception {
        Path f = TestFiles.sharedFile("ml-100k/u.data");
        RawInteractions r = bothWays(f, RatingsFormat.ML_100K);
        assertEquals(100_000, r.size());
        assertEquals(943, r.userIds().size());
        assertEquals(1682, r.itemIds().size());
        NcfDataset ds = new Preprocessor().run(r);
        assertEquals(943, ds.numUsers()); // every ml-100k user has >= 20 ratings
        assertEquals(1682, ds.numItems());
        assertEquals(0, ds.info().duplicatePairs());
        assertEquals(100_000 - 943, ds.trainSize());
    }

    @Test
    void realMlLatestSmall() throws Exception {
        Path f = TestFiles.sharedFile("ml-latest-small/ratings.csv");
        RawInteractions r = bothWays(f, RatingsFormat.fromName("ml-latest-small"));
        assertEquals(100_836, r.size());
        assertEquals(610, r.userIds().size());
        try (CSVRecordReader csvReader = new CSVRecordReader(0, ',')) {
            csvReader.initialize(new FileSplit(f.toFile()));
            assertTrue(r.sameContent(InteractionReader.read(csvReader, RatingsFormat.ML_20M.spec(), f.toString())));
        }
        NcfDataset ds = new Preprocessor().run(r);
        assertEquals(610, ds.numUsers());
        assertEquals(9724, ds.numItems());
        assertEquals(100_836 - 610, ds.trainSize());
    }
}
