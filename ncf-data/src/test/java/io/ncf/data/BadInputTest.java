package io.ncf.data;

import org.datavec.api.split.FileSplit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** The ingest checks added for hostile files, and the skip policy, on the sequential and the parallel path. */
class BadInputTest {

    @TempDir Path dir;

    private static RawInteractions read(Path f, RatingsFormat fmt, BadRows bad, boolean intIds, int threads) {
        try (RatingsRecordReader rr = new RatingsRecordReader(fmt).onBadRows(bad).integerIds(intIds)) {
            rr.initialize(new FileSplit(f.toFile()));
            return rr.readAll(f.toString(), threads, threads > 1 ? 0 : Long.MAX_VALUE);
        }
    }

    private static String error(Path f, RatingsFormat fmt, boolean intIds) {
        String seq = assertThrows(DataFormatException.class, () -> read(f, fmt, BadRows.fail(), intIds, 1)).getMessage();
        String par = assertThrows(DataFormatException.class, () -> read(f, fmt, BadRows.fail(), intIds, 3)).getMessage();
        assertEquals(seq, par, "both paths name the same line");
        return seq;
    }

    private Path bytes(String name, byte[]... parts) throws Exception {
        Path p = dir.resolve(name);
        try (var out = Files.newOutputStream(p)) {
            for (byte[] b : parts) out.write(b);
        }
        return p;
    }

    private static byte[] ascii(String s) { return s.getBytes(StandardCharsets.UTF_8); }

    @Test void invalidUtf8InAnIdNamesLineAndField() throws Exception {
        Path f = bytes("u.data", ascii("1\t2\t5\t10\n3\t"), new byte[]{(byte) 0xc3, (byte) 0x28}, ascii("\t5\t11\n"));
        assertEquals(f + ":2: field 2 (item): item id is not valid UTF-8", error(f, RatingsFormat.ML_100K, false));
        // valid multi-byte ids are fine
        Path ok = TestFiles.write(dir, "ok.data", "Zoë\tcafé\t5\t1\n北京\t🎬\t4\t2\n");
        RawInteractions r = read(ok, RatingsFormat.ML_100K, BadRows.fail(), false, 1);
        assertEquals("🎬", r.itemIds().id(1));
    }

    @Test void aLineOverOneMebibyteIsRefused() throws Exception {
        Path f = TestFiles.write(dir, "ratings.csv", "userId,movieId,rating,timestamp\n1,2,3,4\n1," + "7".repeat(1_100_000) + ",3,4\n");
        String m = error(f, RatingsFormat.ML_20M, false);
        assertTrue(m.startsWith(f + ":3: line is 1100006 bytes long, over the 1048576-byte limit"), m);
    }

    @Test void aHugeLineIsRefusedWithoutReadingItAllIntoMemory() throws Exception {
        byte[] huge = new byte[LineSource.MAX_BUFFER + 1000];
        java.util.Arrays.fill(huge, (byte) '7');
        Path f = bytes("ratings.csv", ascii("userId,movieId,rating,timestamp\n1,2,3,4\n1,2,3,4\n"), huge, ascii("\n5,6,7,8\n"));
        String m = error(f, RatingsFormat.ML_20M, false);
        assertEquals(f + ":4: line is over 16777216 bytes long, over the 1048576-byte limit (is this a ratings file?)", m);
        String skip = assertThrows(DataFormatException.class, () -> read(f, RatingsFormat.ML_20M, BadRows.skip(), false, 1)).getMessage();
        assertEquals(m, skip, "fatal even when skipping");
        Path header = bytes("h.csv", huge);
        String h = assertThrows(DataFormatException.class, () -> read(header, RatingsFormat.ML_20M, BadRows.fail(), false, 1)).getMessage();
        assertTrue(h.startsWith(header + ":1: line is over"), h);
    }

    @Test void integerIdsMustFitIn32Bits() throws Exception {
        Path f = TestFiles.write(dir, "ratings.csv", "userId,movieId,rating,timestamp\n1,2,3,4\n2147483648,2,3,4\n");
        assertEquals(f + ":3: field 1 (userId): user id '2147483648' is not an integer that fits in 32 bits", error(f, RatingsFormat.ML_20M, true));
        Path q = TestFiles.write(dir, "q.csv", "userId,movieId,rating,timestamp\n1,\"2,3,4\n");
        assertEquals(q + ":2: field 2 (movieId): item id '\"2' is not an integer that fits in 32 bits", error(q, RatingsFormat.ML_20M, true));
        // the same files read with text ids (the default)
        assertEquals(2, read(f, RatingsFormat.ML_20M, BadRows.fail(), false, 1).size());
    }

    @Test void skipPolicyCountsAndReportsTheFirstBadLinesInFileOrder() throws Exception {
        StringBuilder sb = new StringBuilder("userId,movieId,rating,timestamp\n");
        int bad = 0;
        for (int r = 0; r < 3000; r++) {
            if (r % 250 == 7) {
                sb.append(r % 500 == 7 ? "1,2,3\n" : "1,2,3,notatime\n");
                bad++;
            } else sb.append(r % 40).append(',').append(r % 97).append(",3,").append(r).append('\n');
        }
        Path f = TestFiles.write(dir, "ratings.csv", sb.toString());
        RawInteractions expected = null;
        for (int threads : new int[]{1, 2, 4}) {
            BadRows b = BadRows.skip();
            RawInteractions r = read(f, RatingsFormat.ML_20M, b, false, threads);
            assertEquals(bad, b.count());
            assertEquals(3000 - bad, r.size());
            assertEquals(BadRows.EXAMPLES, b.examples().size());
            assertEquals(f + ":9: expected 4 fields, found 3", b.examples().get(0));
            assertEquals(f + ":259: field 4 (timestamp): 'notatime' is not an integer", b.examples().get(1));
            assertTrue(b.summary().startsWith("skipped " + bad + " bad rows (first 5 shown): " + f + ":9:"), b.summary());
            if (expected == null) expected = r;
            else assertTrue(expected.sameContent(r), "threads " + threads);
        }
        assertThrows(DataFormatException.class, () -> read(f, RatingsFormat.ML_20M, BadRows.fail(), false, 2));
    }

    @Test void aFileOfOnlyBadRowsStillFailsWhenSkipping() {
        Path f = TestFiles.write(dir, "u.data", "1\t2\n3\t4\n");
        DataFormatException e = assertThrows(DataFormatException.class, () -> read(f, RatingsFormat.ML_100K, BadRows.skip(), false, 1));
        assertTrue(e.getMessage().contains("no valid data rows; skipped 2 bad rows: " + f + ":1: expected 4 fields, found 2"), e.getMessage());
    }

    @Test void utf8Validator() {
        assertTrue(Utf8.valid(ascii("abc é € 😀"), 0, ascii("abc é € 😀").length));
        assertFalse(Utf8.valid(new byte[]{(byte) 0xc0, (byte) 0x80}, 0, 2), "overlong");
        assertFalse(Utf8.valid(new byte[]{(byte) 0xed, (byte) 0xa0, (byte) 0x80}, 0, 3), "surrogate");
        assertFalse(Utf8.valid(new byte[]{(byte) 0xe2, (byte) 0x82}, 0, 2), "truncated");
        assertFalse(Utf8.valid(new byte[]{(byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, 0, 4), "above U+10FFFF");
    }
}
