package io.ncf.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** Bad input gives one clear line naming file, 1-based line and field, through both read paths. */
class ErrorMessagesTest {

    @TempDir Path dir;

    private String fastError(String name, String content, RatingsFormat format) {
        Path f = TestFiles.write(dir, name, content);
        return assertThrows(DataFormatException.class, () -> RatingsRecordReader.read(f, format)).getMessage();
    }

    private String recordPathError(String name, String content, RatingsFormat format) throws Exception {
        Path f = TestFiles.write(dir, name, content);
        try (RatingsRecordReader rr = new RatingsRecordReader(format)) {
            rr.initialize(new org.datavec.api.split.FileSplit(f.toFile()));
            return assertThrows(DataFormatException.class, () -> InteractionReader.read(rr, format.spec(), f.toString())).getMessage();
        }
    }

    private void both(String name, String content, RatingsFormat format, String expectedSuffix) throws Exception {
        Path f = dir.resolve(name);
        String fast = fastError(name, content, format);
        assertEquals(f + expectedSuffix, fast);
        assertEquals(f + expectedSuffix, recordPathError(name, content, format));
    }

    @Test
    void nonNumericTimestamp() throws Exception {
        both("ratings.csv", "userId,movieId,rating,timestamp\n1,2,3,4\n1,3,3,abc\n", RatingsFormat.ML_20M,
                ":3: field 4 (timestamp): 'abc' is not an integer");
    }

    @Test
    void wrongFieldCount() throws Exception {
        both("ratings.csv", "userId,movieId,rating,timestamp\n1,2,3,4\n1,3,3\n", RatingsFormat.ML_20M, ":3: expected 4 fields, found 3");
        both("u.data", "1\t2\t3\t4\n1\t2\t3\t4\t5\n", RatingsFormat.ML_100K, ":2: expected 4 fields, found 5");
    }

    @Test
    void emptyIds() throws Exception {
        both("ratings.csv", "userId,movieId,rating,timestamp\n,2,3,4\n", RatingsFormat.ML_20M, ":2: field 1 (userId): empty user id");
        both("ratings.dat", "1::2::3::4\n1::::3::4\n", RatingsFormat.ML_1M, ":2: field 2 (item): empty item id");
    }

    @Test
    void crlfDoesNotLeakIntoTheLastField() throws Exception {
        both("ratings.dat", "1::2::3::4\r\n1::3::3::x5\r\n", RatingsFormat.ML_1M, ":2: field 4 (timestamp): 'x5' is not an integer");
    }

    @Test
    void emptyFileAndHeaderOnly() {
        assertEquals(dir.resolve("u.data") + ": no data rows (empty file)", fastError("u.data", "", RatingsFormat.ML_100K));
        assertEquals(dir.resolve("ratings.csv") + ": no data rows (only a header)",
                fastError("ratings.csv", "userId,movieId,rating,timestamp\n", RatingsFormat.ML_20M));
    }

    @Test
    void missingFileAndDirectory() {
        Path missing = dir.resolve("nope.csv");
        assertEquals(missing + ": no such file",
                assertThrows(DataFormatException.class, () -> RatingsRecordReader.read(missing, RatingsFormat.ML_20M)).getMessage());
        assertEquals(dir + ": is a directory, not a ratings file",
                assertThrows(DataFormatException.class, () -> RatingsRecordReader.read(dir, RatingsFormat.ML_20M)).getMessage());
    }

    @Test
    void ml20mHeaderMustNameUserAndItemColumns() {
        String m = fastError("ratings.csv", "user,item,rating,timestamp\n1,2,3,4\n", RatingsFormat.ML_20M);
        assertEquals(dir.resolve("ratings.csv") + ":1: header has no user column 'userId' (header: user,item,rating,timestamp)", m);
        String noHeader = fastError("ratings.csv", "1,2,3,4\n", RatingsFormat.ML_20M);
        assertTrue(noHeader.contains("header has no user column 'userId'"), noHeader);
    }

    @Test
    void unterminatedQuote() {
        Path f = TestFiles.write(dir, "q.csv", "u,i,t\n\"a,b,1\n");
        String m = assertThrows(DataFormatException.class, () -> RatingsRecordReader.read(f, new ColumnSpec(0, 1, 2, ",", true), true)).getMessage();
        assertTrue(m.startsWith(f + ":2: unterminated quoted field"), m);
    }

    @Test
    void tooFewColumnsForTheSpec() {
        Path f = TestFiles.write(dir, "g.csv", "1,2\n");
        String m = assertThrows(DataFormatException.class, () -> RatingsRecordReader.read(f, new ColumnSpec(0, 1, 2, ",", false), false)).getMessage();
        assertTrue(m.startsWith(f + ":1: expected at least 3 fields"), m);
    }
}
