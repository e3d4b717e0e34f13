package io.ncf.spark;

import io.ncf.data.DataFormatException;
import io.ncf.data.NcfDataset;
import io.ncf.data.Preprocessor;
import io.ncf.data.RatingsFormat;
import io.ncf.data.RatingsRecordReader;
import io.ncf.data.RawInteractions;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.date_from_unix_date;
import static org.apache.spark.sql.functions.timestamp_seconds;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link SparkPreparation} against the reference, ncf-data's {@link Preprocessor} on the same rows read the way
 * {@code ncf prepare} reads them: the whole {@link NcfDataset} must be equal, ids, order and candidates included.
 */
class SparkPreparationTest {

    private static final String ML_100K_SCHEMA = "user INT, item INT, rating DOUBLE, ts LONG";
    /** Everything as text, as ncf prepare reads it: string ids, timestamps parsed from strings. */
    private static final String ML_LATEST_SCHEMA = "userId STRING, movieId STRING, rating STRING, timestamp STRING";

    private static SparkSession spark() { return SparkTests.spark(); }

    // ------------------------------------------------------------------ MovieLens files vs ncf prepare

    @Test
    void ml100kEqualsNcfPrepareAcrossPartitionsAndSeeds() {
        Path file = movieLens("ml-100k", "u.data");
        RawInteractions raw = RatingsRecordReader.read(file, RatingsFormat.ML_100K);
        // ~2 MB in 512 KB splits: the input position must follow the file across partitions
        String key = "spark.sql.files.maxPartitionBytes";
        String before = spark().conf().get(key);
        spark().conf().set(key, String.valueOf(512 * 1024));
        try {
            Dataset<Row> ratings = spark().read().option("sep", "\t").schema(ML_100K_SCHEMA).csv(file.toString());
            assertTrue(ratings.javaRDD().getNumPartitions() > 1, "the test should read several partitions");
            for (long seed : new long[]{0, 42}) {
                SparkPreparation.Prepared p = new SparkPreparation(20, 100, seed).prepare(ratings, "user", "item", "ts");
                NcfDataset expected = reference(raw, 20, 100, seed);
                assertSameDataset(expected, p.toNcfDataset(raw.source()));
                assertCounts(expected, p);
                p.unpersist();
            }
        } finally {
            spark().conf().set(key, before);
        }
    }

    @Test
    void mlLatestSmallEqualsNcfPrepare() {
        Path file = movieLens("ml-latest-small", "ratings.csv");
        RawInteractions raw = RatingsRecordReader.read(file, RatingsFormat.ML_20M);
        Dataset<Row> ratings = spark().read().option("header", "true").schema(ML_LATEST_SCHEMA).csv(file.toString());
        SparkPreparation.Prepared p = new SparkPreparation(20, 100, 0).prepare(ratings, "userId", "movieId", "timestamp");
        NcfDataset expected = reference(raw, 20, 100, 0);
        assertSameDataset(expected, p.toNcfDataset(raw.source()));
        assertCounts(expected, p);
        // the distributed shapes promised by Prepared
        assertEquals("struct<id:string,user:int>", p.users().schema().simpleString());
        assertEquals("struct<id:string,item:int>", p.items().schema().simpleString());
        assertEquals("struct<user:int,item:int,pos:int>", p.train().schema().simpleString());
        assertEquals("struct<user:int,item:int>", p.test().schema().simpleString());
        assertEquals("struct<user:int,items:array<int>>", p.negatives().schema().simpleString());
        assertEquals(expected.trainSize(), p.train().count());
        p.unpersist();
    }

    // ------------------------------------------------------------------ small synthetic frames

    /** PreprocessorTest's example: a user below the threshold, a duplicate, ties kept in input order. */
    @Test
    void stringIdsDuplicatesTiesAndThresholdAsNcfPrepare() {
        StructType schema = schema(DataTypes.StringType, DataTypes.StringType, DataTypes.LongType);
        Object[][] rows = {
                {"10", "100", 50L}, {"20", "200", 10L}, {"10", "101", 40L}, {"30", "300", 70L}, {"10", "100", 60L},
                {"20", "201", 11L}, {"30", "301", 70L}, {"10", "102", 45L}, {"30", "100", 5L}, {"30", "302", 70L}};
        SparkPreparation.Prepared p = new SparkPreparation(3, 2, 7).prepare(frame(schema, 3, rows), "u", "i", "t");
        NcfDataset ds = p.toNcfDataset("test");
        assertEquals(List.of("10", "30"), ds.userIds().ids());
        assertEquals(List.of("100", "101", "300", "301", "102", "302"), ds.itemIds().ids());
        assertArrayEquals(new int[]{0, 0, 1, 1, 1}, ds.trainUsers());
        assertArrayEquals(new int[]{1, 4, 0, 2, 3}, ds.trainItems());
        assertArrayEquals(new int[]{0, 5}, ds.testItems());
        assertEquals(1, p.droppedUsers());
        assertEquals(1, p.duplicates());
        assertEquals(10, p.rawRows());
        assertSameDataset(reference(raw(rows, true), 3, 2, 7), ds);
        // user 30 = dense 1: 100@5, then the ties 300, 301, 302@70 in input order (302, the last, is the test item)
        List<String> user30 = p.train().where("user = 1").orderBy("pos").collectAsList().stream()
                .map(r -> r.getInt(1) + "@" + r.getInt(2)).toList();
        assertEquals(List.of("0@0", "2@1", "3@2"), user30);
        p.unpersist();
    }

    @Test
    void longIdsWithoutTimestampsUseInputOrder() {
        StructType schema = new StructType().add("u", DataTypes.LongType).add("i", DataTypes.LongType);
        long big = 10_000_000_000L;
        Object[][] rows = {{big + 2, 7L}, {big + 1, 8L}, {big + 2, 9L}, {big + 2, 7L}, {big + 1, 7L}, {big + 2, 10L}, {big + 1, 9L}};
        SparkPreparation.Prepared p = new SparkPreparation(3, 1, 5).prepare(frame(schema, 2, rows), "u", "i", null);
        NcfDataset ds = p.toNcfDataset("test");
        assertEquals(List.of(String.valueOf(big + 2), String.valueOf(big + 1)), ds.userIds().ids());
        assertArrayEquals(new int[]{3, 2}, ds.testItems()); // user big+2: 7, 9, (7), 10; user big+1: 8, 7, 9
        assertSameDataset(reference(raw(rows, false), 3, 1, 5), ds);
        assertEquals("struct<id:bigint,user:int>", p.users().schema().simpleString());
        p.unpersist();
    }

    /** Many ties and duplicates over several partitions, ids of two types, against the reference. */
    @Test
    void randomFramesEqualTheReference() {
        Random rnd = new Random(3);
        Object[][] rows = new Object[4000][];
        for (int k = 0; k < rows.length; k++) {
            long user = (long) Math.floor(Math.pow(rnd.nextDouble(), 3) * 400); // skewed: many users stay below 8
            String item = "m" + rnd.nextInt(300);
            rows[k] = new Object[]{user, item, (long) rnd.nextInt(40)};
        }
        StructType schema = schema(DataTypes.LongType, DataTypes.StringType, DataTypes.LongType);
        SparkPreparation.Prepared p = new SparkPreparation(8, 30, 11).prepare(frame(schema, 4, rows), "u", "i", "t");
        NcfDataset expected = reference(raw(rows, true), 8, 30, 11);
        assertTrue(expected.info().droppedUsers() > 0 && expected.info().duplicatePairs() > 0, "the data should exercise both");
        assertSameDataset(expected, p.toNcfDataset("test"));
        assertCounts(expected, p);
        p.unpersist();
    }

    @Test
    void timestampAndDateColumnsOrderAsTheirInstants() {
        Object[][] rows = {{"a", "x", 30L}, {"a", "y", 10L}, {"a", "z", 20L}, {"b", "x", 5L}, {"b", "z", 1L}, {"b", "y", 2L}};
        Dataset<Row> seconds = frame(schema(DataTypes.StringType, DataTypes.StringType, DataTypes.LongType), 2, rows);
        NcfDataset expected = reference(raw(rows, true), 2, 0, 0); // both users saw every item: no negatives
        Dataset<Row> stamps = seconds.withColumn("t", timestamp_seconds(col("t")));
        assertSameDataset(expected, new SparkPreparation(2, 0, 0).prepare(stamps, "u", "i", "t").toNcfDataset("test"));
        Dataset<Row> days = seconds.withColumn("t", date_from_unix_date(col("t").cast("int")));
        assertSameDataset(expected, new SparkPreparation(2, 0, 0).prepare(days, "u", "i", "t").toNcfDataset("test"));
    }

    // ------------------------------------------------------------------ bad input

    @Test
    void nullEmptyAndMalformedValuesNameColumnRowAndValue() {
        StructType strings = schema(DataTypes.StringType, DataTypes.StringType, DataTypes.StringType);
        assertDataError(strings, new Object[][]{{"a", "x", "1"}, {null, "y", "2"}}, "DataFrame row 2: column 'u': null user id");
        assertDataError(strings, new Object[][]{{"a", "x", "1"}, {"a", null, "2"}}, "DataFrame row 2: column 'i': null item id");
        assertDataError(strings, new Object[][]{{"", "x", "1"}}, "DataFrame row 1: column 'u': empty user id");
        assertDataError(strings, new Object[][]{{"a", "x", "1"}, {"a", "y", null}}, "DataFrame row 2: column 't': null timestamp");
        assertDataError(strings, new Object[][]{{"a", "x", "1"}, {"a", "y", "12:30"}}, "DataFrame row 2: column 't': '12:30' is not an integer");
        assertDataError(schema(DataTypes.StringType, DataTypes.StringType, DataTypes.LongType),
                new Object[][]{{"a", "x", 1L}, {"a", "y", -5L}}, "DataFrame row 2: column 't': -5 is negative");
        assertDataError(schema(DataTypes.StringType, DataTypes.StringType, DataTypes.DoubleType),
                new Object[][]{{"a", "x", 1.0}, {"a", "y", 1.5}}, "DataFrame row 2: column 't': 1.5 is not a whole number");
    }

    @Test
    void emptyFilteredOutOrSaturatedDataFailsClearly() {
        StructType schema = schema(DataTypes.StringType, DataTypes.StringType, DataTypes.LongType);
        Object[][] few = {{"a", "x", 1L}, {"b", "y", 2L}};
        DataFormatException e = assertThrows(DataFormatException.class,
                () -> new SparkPreparation(3, 1, 0).prepare(frame(schema, 1, few), "u", "i", "t"));
        assertEquals("column 'u': no user has at least 3 interactions (2 users, 2 rows)", e.getMessage());
        e = assertThrows(DataFormatException.class,
                () -> new SparkPreparation(1, 1, 0).prepare(frame(schema, 1), "u", "i", "t"));
        assertEquals("the ratings DataFrame has no rows", e.getMessage());
        Object[][] all = {{"a", "x", 1L}, {"a", "y", 2L}, {"b", "x", 3L}, {"b", "y", 4L}};
        e = assertThrows(DataFormatException.class,
                () -> new SparkPreparation(1, 1, 0).prepare(frame(schema, 2, all), "u", "i", "t"));
        assertTrue(e.getMessage().contains("interacted with all 2 items"), e.getMessage());
    }

    @Test
    void missingColumnsAndUnusableTypesAreRefusedBeforeAnyJob() {
        StructType schema = schema(DataTypes.StringType, DataTypes.StringType, DataTypes.LongType)
                .add("tags", DataTypes.createArrayType(DataTypes.StringType));
        Dataset<Row> df = frame(schema, 1, new Object[][]{{"a", "x", 1L, List.of("t")}});
        SparkPreparation prep = new SparkPreparation(1, 1, 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> prep.prepare(df, "user", "i", "t"));
        assertEquals("no column 'user' in the ratings (columns: u, i, t, tags)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> prep.prepare(df, "u", "tags", "t"));
        assertTrue(e.getMessage().startsWith("column 'tags' has type array<string>; item ids must be"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> prep.prepare(df, "u", "i", "tags"));
        assertTrue(e.getMessage().startsWith("timestamp column 'tags' has type array<string>"), e.getMessage());
    }

    // ------------------------------------------------------------------ helpers

    private static Path movieLens(String dir, String file) {
        Path d = SparkTests.sharedData(dir);
        assumeTrue(d != null && d.resolve(file).toFile().isFile(),
                dir + "/" + file + " not found under ncf.shared.data=" + System.getProperty("ncf.shared.data", "(unset: ../../shared/data)")
                        + ": skipping the comparison with ncf prepare on it (run from the repository root, or pass -Dncf.shared.data=DIR)");
        return d.resolve(file);
    }

    private static NcfDataset reference(RawInteractions raw, int minRatings, int negatives, long seed) {
        return new Preprocessor(new Preprocessor.Options(minRatings, negatives, seed)).run(raw);
    }

    /** The rows as ncf prepare's reader would have interned them: ids as text, in row order. */
    private static RawInteractions raw(Object[][] rows, boolean withTime) {
        RawInteractions raw = new RawInteractions("test", withTime);
        for (Object[] r : rows) raw.add(String.valueOf(r[0]), String.valueOf(r[1]), withTime ? (Long) r[2] : 0L);
        return raw;
    }

    private static StructType schema(org.apache.spark.sql.types.DataType user, org.apache.spark.sql.types.DataType item,
                                     org.apache.spark.sql.types.DataType time) {
        return new StructType().add("u", user).add("i", item).add("t", time);
    }

    /** A DataFrame of {@code rows} in this order over {@code partitions} partitions. */
    private static Dataset<Row> frame(StructType schema, int partitions, Object[]... rows) {
        List<Row> list = new ArrayList<>();
        for (Object[] r : rows) list.add(RowFactory.create(r));
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark().sparkContext());
        return spark().createDataFrame(jsc.parallelize(list, partitions), schema);
    }

    private static void assertDataError(StructType schema, Object[][] rows, String message) {
        Executable prepare = () -> new SparkPreparation(1, 0, 0).prepare(frame(schema, 2, rows), "u", "i", "t");
        DataFormatException e = assertThrows(DataFormatException.class, prepare);
        assertTrue(e.getMessage().startsWith(message), "expected '" + message + "…', got: " + e.getMessage());
    }

    private static void assertCounts(NcfDataset expected, SparkPreparation.Prepared p) {
        assertEquals(expected.numUsers(), p.numUsers());
        assertEquals(expected.numItems(), p.numItems());
        assertEquals(expected.info().rawRows(), p.rawRows());
        assertEquals(expected.info().droppedUsers(), p.droppedUsers());
        assertEquals(expected.info().duplicatePairs(), p.duplicates());
    }

    static void assertSameDataset(NcfDataset expected, NcfDataset actual) {
        assertEquals(expected.numUsers(), actual.numUsers(), "numUsers");
        assertEquals(expected.numItems(), actual.numItems(), "numItems");
        assertEquals(expected.userIds().ids(), actual.userIds().ids(), "user vocabulary");
        assertEquals(expected.itemIds().ids(), actual.itemIds().ids(), "item vocabulary");
        assertArrayEquals(expected.trainUsers(), actual.trainUsers(), "training users");
        assertArrayEquals(expected.trainItems(), actual.trainItems(), "training items");
        assertArrayEquals(expected.testItems(), actual.testItems(), "test items");
        assertEquals(expected.candidates().negativesPerUser(), actual.candidates().negativesPerUser());
        assertArrayEquals(expected.candidates().users(), actual.candidates().users(), "candidate rows");
        assertArrayEquals(expected.candidates().items(), actual.candidates().items(), "candidates");
        assertArrayEquals(expected.seen().offsetsArray(), actual.seen().offsetsArray(), "seen offsets");
        assertArrayEquals(expected.seen().itemsArray(), actual.seen().itemsArray(), "seen items");
        assertEquals(expected.info(), actual.info(), "info");
    }
}
