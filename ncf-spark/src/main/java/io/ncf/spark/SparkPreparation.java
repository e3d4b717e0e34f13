package io.ncf.spark;

import io.ncf.data.DataFormatException;
import io.ncf.data.NcfDataset;
import io.ncf.data.Preprocessor;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;

import static io.ncf.spark.PrepInput.POSITION;
import static io.ncf.spark.PrepInput.RAW_ITEM;
import static io.ncf.spark.PrepInput.RAW_USER;
import static io.ncf.spark.PrepInput.TIME;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

/**
 * {@code ncf prepare} as Spark jobs: the same dataset as {@link Preprocessor#run} (ncf-data) computes from the same
 * rows, exactly — the same dense user and item ids, training pairs in the same order, the same test items and the
 * same evaluation candidates — without bringing the ratings to the driver.
 * <ol>
 * <li>Every row gets its <b>input position</b>, its index in the DataFrame's order ({@code zipWithIndex}: partition
 *     by partition, in order, so a DataFrame read from files follows the files' order). Positions stand in for
 *     the line order of the file that ncf prepare reads.</li>
 * <li>Users with fewer than {@code minRatings} rows (raw rows, duplicates included) are dropped. The kept users
 *     are numbered in order of their first position: ncf prepare numbers raw ids in order of first appearance
 *     in the file and keeps that order when it filters, which is the same order.</li>
 * <li>Items are numbered in order of their first position among the kept users' rows (ncf prepare factorizes
 *     the kept rows in input order).</li>
 * <li>Per user the rows are ordered by (timestamp, position) — ncf prepare's stable sort — and only the first
 *     row of each item is kept; its rank is {@code pos}. The last one is the test item, the others are the
 *     training pairs.</li>
 * <li>Evaluation negatives are drawn per user on the executors by {@link Preprocessor#sampleNegatives}, the draw
 *     ncf prepare runs, from the user's own stream of {@code (seed, user)}; the dense ids being equal, so are
 *     the negatives.</li>
 * </ol>
 * Ids are grouped by their value in the column's type; {@link Prepared#toNcfDataset} stores them as Spark casts
 * them to strings. The result equals ncf prepare's wherever that string is the file's text, as with MovieLens
 * ids read as integers or any ids read as strings; an id column typed {@code int} makes "07" and "7" one user,
 * where ncf prepare (which compares text) sees two.
 * <p>
 * The DataFrame's order must be deterministic, as that of a DataFrame read from files is: positions are assigned
 * by a counting pass and then a reading pass, which must see the same partitions.
 * <p>
 * Differences on purpose: a negative timestamp is refused (ncf prepare accepts any long), as is a timestamp
 * before 1970 in a timestamp or date column, so that a sentinel such as -1 fails instead of ordering rows. And
 * like the library's {@link Preprocessor} (not the CLI, which turns on {@code requireEnoughUnseenItems}), more
 * negatives than a user has unseen items are drawn with repeats; only a user who has seen every item fails.
 * <p>
 * Bad input fails in {@link #prepare} with a {@link DataFormatException} naming the column, the 1-based row
 * (position + 1) and the value: a null or empty id, a timestamp that is null, not an integer or negative, no
 * user left after the filter, a user who has seen every item. A missing column or an unusable column type is an
 * {@link IllegalArgumentException}.
 */
public final class SparkPreparation {

    /** Cached results survive memory pressure by spilling instead of being recomputed from the input. */
    private static final StorageLevel CACHE = StorageLevel.MEMORY_AND_DISK();

    private final Preprocessor.Options options;

    /**
     * @param minRatings users with fewer raw rows are dropped (ncf prepare: 20)
     * @param negatives  evaluation negatives per user (ncf prepare: 100)
     * @param seed       seed of the evaluation negatives (ncf prepare: 0)
     */
    public SparkPreparation(int minRatings, int negatives, long seed) {
        this.options = new Preprocessor.Options(minRatings, negatives, seed);
    }

    /**
     * Prepares {@code ratings}. Runs the Spark jobs now (bad input fails here); the returned datasets are cached
     * ({@link Prepared#unpersist} releases them).
     *
     * @param ratings      any DataFrame; only its order and three columns matter
     * @param userCol      user id column, of any atomic type (int, long, string, …)
     * @param itemCol      item id column, of any atomic type
     * @param timestampCol time column (integers or integer strings ≥ 0, timestamps, dates), or null: then the
     *                     input position is the time
     */
    public Prepared prepare(Dataset<Row> ratings, String userCol, String itemCol, String timestampCol) {
        if (ratings == null || userCol == null || itemCol == null)
            throw new IllegalArgumentException("ratings, userCol and itemCol are required");
        PrepInput input = PrepInput.of(ratings, userCol, itemCol, timestampCol);
        return unwrapDataErrors(() -> run(ratings, input, userCol));
    }

    private Prepared run(Dataset<Row> ratings, PrepInput input, String userCol) {
        SparkSession spark = ratings.sparkSession();
        int minRatings = options.minRatings();

        // 1. (raw_user, raw_item, time, position), checked row by row
        PrepInput.Reader reader = input.reader();
        JavaRDD<Row> positioned = input.select(ratings).javaRDD().zipWithIndex().map(t -> reader.read(t._1(), t._2()));
        Dataset<Row> rows = spark.createDataFrame(positioned, input.rowSchema()).persist(CACHE);

        // 2. users: raw rows and first position of each; the kept ones numbered by first position
        Dataset<Row> userStats = rows.groupBy(RAW_USER).agg(count(lit(1)).as("rows"), min(POSITION).as("first")).persist(CACHE);
        Row totals = userStats.agg(count(lit(1)), sum("rows"),
                count(when(col("rows").geq(minRatings), 1)), sum(when(col("rows").geq(minRatings), col("rows")))).first();
        long rawUsers = totals.getLong(0);
        long rawRows = totals.isNullAt(1) ? 0 : totals.getLong(1);
        long keptUsers = totals.getLong(2);
        long keptRows = totals.isNullAt(3) ? 0 : totals.getLong(3);
        if (rawRows == 0) throw new DataFormatException("the ratings DataFrame has no rows");
        if (keptUsers == 0) throw new DataFormatException("column '" + userCol + "': no user has at least " + minRatings
                + " interactions (" + rawUsers + " users, " + rawRows + " rows)");
        Dataset<Row> users = denseIds(spark, userStats.where(col("rows").geq(minRatings)), RAW_USER, "user");
        Dataset<Row> kept = rows.join(users, rows.col(RAW_USER).equalTo(users.col("id")))
                .select(col("user"), col(RAW_ITEM), col(TIME), col(POSITION));

        // 3. items numbered by first position among the kept rows
        Dataset<Row> items = denseIds(spark, kept.groupBy(RAW_ITEM).agg(min(POSITION).as("first")), RAW_ITEM, "item");
        Dataset<Row> events = kept.join(items, kept.col(RAW_ITEM).equalTo(items.col("id")))
                .select(col("user"), col("item"), col(TIME), col(POSITION));

        // 4. per user: an item's first row in (time, position) order, ranked in that order; the last rank is the test
        // partitioned by user once: both the (user, item) aggregation and the per-user window keep that partitioning
        Dataset<Row> ordered = events.repartition(col("user")).groupBy("user", "item").agg(min(struct(col(TIME), col(POSITION))).as("first"))
                .select(col("user"), col("item"),
                        row_number().over(Window.partitionBy("user").orderBy("first")).minus(1).as("pos"),
                        count(lit(1)).over(Window.partitionBy("user")).cast("int").as("n"))
                .persist(CACHE);
        Dataset<Row> train = ordered.where(col("pos").lt(col("n").minus(1))).select("user", "item", "pos").persist(CACHE);
        long distinctPairs = train.count() + keptUsers; // every user has exactly one test item
        Dataset<Row> test = cached(ordered.where(col("pos").equalTo(col("n").minus(1))).select("user", "item"));

        // 5. evaluation negatives, drawn per user on the executors
        int numItems = Math.toIntExact(items.count()); // cached
        StructType negativesSchema = new StructType().add("user", DataTypes.IntegerType, false)
                .add("items", DataTypes.createArrayType(DataTypes.IntegerType, false), false);
        Dataset<Row> negatives = cached(ordered.groupBy("user").agg(collect_list("item").as("seen"))
                .map(new PrepNegatives(options.seed(), numItems, options.validNegative()), Encoders.row(negativesSchema)));

        ordered.unpersist(false);
        userStats.unpersist(false);
        rows.unpersist(false);
        return new Prepared(users, items, train, test, negatives, Math.toIntExact(keptUsers), numItems,
                rawRows, rawUsers - keptUsers, keptRows - distinctPairs, options);
    }

    /**
     * {@code (id, name int)}: the ids of {@code stats} numbered 0.. in order of their {@code first} position. A
     * global sort, then {@code zipWithIndex} (partitions of a sort are in order), so no single partition holds
     * every id.
     */
    private static Dataset<Row> denseIds(SparkSession spark, Dataset<Row> stats, String idCol, String name) {
        Dataset<Row> ids = stats.orderBy("first").select(idCol);
        StructType schema = new StructType().add("id", ids.schema().fields()[0].dataType(), false)
                .add(name, DataTypes.IntegerType, false);
        JavaRDD<Row> numbered = ids.javaRDD().zipWithIndex().map(t -> RowFactory.create(t._1().get(0), Math.toIntExact(t._2())));
        // computed now: a cached relation knows its size, so the joins below broadcast a small dictionary
        return cached(spark.createDataFrame(numbered, schema));
    }

    /** Persists and computes now, so that the input's errors surface in prepare and later reads hit the cache. */
    private static Dataset<Row> cached(Dataset<Row> ds) {
        Dataset<Row> c = ds.persist(CACHE);
        c.count();
        return c;
    }

    /**
     * Runs Spark jobs, rethrowing a {@link DataFormatException} raised on an executor as itself (Spark reports it as
     * the cause of a job failure, behind a stage and task preamble) so the caller sees the message about the data.
     */
    private static <T> T unwrapDataErrors(java.util.function.Supplier<T> jobs) {
        try {
            return jobs.get();
        } catch (Exception e) { // SparkException is checked, but Scala does not declare it
            for (Throwable c = e; c != null; c = c.getCause()) {
                if (c instanceof DataFormatException d && c != e) throw new DataFormatException(d.getMessage(), e);
            }
            throw e;
        }
    }

    /**
     * The prepared dataset, distributed and cached: dense ids as ncf prepare gives them.
     *
     * @param users        {@code (id <original type>, user int)}, {@code user} in [0, numUsers)
     * @param items        {@code (id <original type>, item int)}, {@code item} in [0, numItems)
     * @param train        {@code (user int, item int, pos int)}: the training pairs, {@code pos} the rank in the
     *                     user's time order (0-based; the test item has the rank after the last training pair)
     * @param test         {@code (user int, item int)}: each user's held-out item
     * @param negatives    {@code (user int, items array<int>)}: each user's evaluation negatives, in draw order
     * @param rawRows      rows of the input
     * @param droppedUsers users with fewer than {@code options.minRatings()} rows
     * @param duplicates   (user, item) rows dropped as repeats of an earlier one
     * @param options      what it was prepared with (min ratings, negatives per user, seed)
     */
    public record Prepared(Dataset<Row> users, Dataset<Row> items, Dataset<Row> train, Dataset<Row> test,
                           Dataset<Row> negatives, int numUsers, int numItems, long rawRows, long droppedUsers,
                           long duplicates, Preprocessor.Options options) {

        /**
         * Collects the dense result into the driver's {@link NcfDataset} (the training loop's input): the user and
         * item vocabularies as {@link io.ncf.core.IdVocabulary} (original ids as strings, as ncf prepare stores
         * them), training pairs grouped by user in time order, test items, candidates, seen index. Each partition
         * of pairs, test items and negatives comes over packed into one int array, never as a Row per pair.
         *
         * @param source where the data came from, kept in the dataset's info (as ncf prepare keeps the file name)
         */
        public NcfDataset toNcfDataset(String source) { return PrepAssembly.collect(this, source); }

        /** Releases the cached datasets. */
        public void unpersist() {
            for (Dataset<Row> d : java.util.List.of(users, items, train, test, negatives)) d.unpersist(false);
        }
    }
}
