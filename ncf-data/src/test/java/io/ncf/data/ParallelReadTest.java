package io.ncf.data;

import org.datavec.api.split.FileSplit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** The multi-threaded bulk read (file cut at line boundaries, ranges merged) equals the sequential one. */
class ParallelReadTest {

    @TempDir Path dir;

    private static RawInteractions read(Path f, RatingsFormat format, int threads) {
        try (RatingsRecordReader rr = new RatingsRecordReader(format)) {
            rr.initialize(new FileSplit(f.toFile()));
            return rr.readAll(f.toString(), threads, threads > 1 ? 0 : Long.MAX_VALUE);
        }
    }

    private static String error(Path f, RatingsFormat format, int threads) {
        return assertThrows(DataFormatException.class, () -> read(f, format, threads)).getMessage();
    }

    static String randomRatings(boolean header, String sep, int rows, long seed) {
        StringBuilder b = new StringBuilder(header ? "userId,movieId,rating,timestamp\n" : "");
        SplittableRandom r = new SplittableRandom(seed);
        for (int k = 0; k < rows; k++) {
            b.append("u").append(r.nextInt(400)).append(sep).append(r.nextInt(3000)).append(sep).append("3").append(sep)
                    .append(r.nextInt(1_000_000)).append(r.nextInt(10) == 0 ? "\r\n" : "\n");
            if (r.nextInt(50) == 0) b.append('\n');
        }
        return b.toString();
    }

    @Test
    void sameResultForAnyThreadCount() {
        Path csv = TestFiles.write(dir, "ratings.csv", randomRatings(true, ",", 20_000, 1));
        Path dat = TestFiles.write(dir, "ratings.dat", randomRatings(false, "::", 20_000, 2));
        for (Path f : new Path[]{csv, dat}) {
            RatingsFormat fmt = f == csv ? RatingsFormat.ML_20M : RatingsFormat.ML_1M;
            RawInteractions seq = read(f, fmt, 1);
            assertEquals(20_000, seq.size());
            for (int threads : new int[]{2, 3, 7}) assertTrue(seq.sameContent(read(f, fmt, threads)), f + " with " + threads + " threads");
        }
    }

    @Test
    void errorLineNumbersAreGlobal() {
        String good = randomRatings(true, ",", 5_000, 3);
        String[] lines = good.split("\n", -1);
        int bad = lines.length - 100; // well inside the last range
        lines[bad] = "u1,2,3,notatime";
        Path f = TestFiles.write(dir, "ratings.csv", String.join("\n", lines));
        String expected = f + ":" + (bad + 1) + ": field 4 (timestamp): 'notatime' is not an integer";
        assertEquals(expected, error(f, RatingsFormat.ML_20M, 1));
        assertEquals(expected, error(f, RatingsFormat.ML_20M, 3));
    }

    @Test
    void earliestErrorWins() {
        String good = randomRatings(false, "\t", 5_000, 4);
        String[] lines = good.split("\n", -1);
        lines[10] = "1\t2\t3";
        lines[4000] = "1\t2\t3\tx";
        Path f = TestFiles.write(dir, "u.data", String.join("\n", lines));
        assertEquals(f + ":11: expected 4 fields, found 3", error(f, RatingsFormat.ML_100K, 4));
    }

    @Test
    void headerOnlyAndEmptyFiles() {
        Path h = TestFiles.write(dir, "ratings.csv", "userId,movieId,rating,timestamp\n");
        assertTrue(error(h, RatingsFormat.ML_20M, 2).endsWith("no data rows (only a header)"));
        Path e = TestFiles.write(dir, "u.data", "");
        assertTrue(error(e, RatingsFormat.ML_100K, 2).endsWith("no data rows (empty file)"));
    }
}
