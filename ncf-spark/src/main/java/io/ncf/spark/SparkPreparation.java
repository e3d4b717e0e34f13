package io.ncf.spark;

import io.ncf.data.DataFormatException;
import io.ncf.data.NcfDataset;
import io.ncf.data.Preprocessor;

import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;

import scala.Tuple2;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code ncf prepare} as Spark jobs: the same dataset as {@link Preprocessor#run} (ncf-data) computes from the same
 * rows, exactly — the same dense user and item ids, training pairs in the same order, the same test items and the
 * same evaluation candidates — without bringing the ratings to the driver.
 * <ol>
 * <li>Every row gets its <b>input position</b>, {@code (partition, index in it)}: ordered as the DataFrame's rows,
 *     so a DataFrame read from files follows the files' order. Positions stand in for the line order of the file
 *     that ncf prepare reads.</li>
 * <li>Rows are grouped by user (one shuffle). Users with fewer than {@code minRatings} rows (raw rows, duplicates
 *     included) are dropped. Per kept user the rows are ordered by (timestamp, position) — ncf prepare's stable
 *     sort — and only the first row of each item is kept; its rank is {@code pos}. The last one is the test item,
 *     the others are the training pairs.</li>
 * <li>The kept users are numbered in order of their first position: ncf prepare numbers raw ids in order of first
 *     appearance in the file and keeps that order when it filters, which is the same order. Items are numbered in
 *     order of their first position among the kept users' rows (ncf prepare factorizes the kept rows in input
 *     order). Ids go to buckets of consecutive positions, sorted there and numbered from the counts of the buckets
 *     before (counts per bucket, O(partitions) numbers, are all the driver collects), so no single partition holds
 *     every id.</li>
 * <li>Evaluation negatives are drawn per user on the executors by {@link Preprocessor#sampleNegatives}, the draw
 *     ncf prepare runs, from the user's own stream of {@code (seed, user)}; the dense ids being equal, so are
 *     the negatives.</li>
 * </ol>
 * It runs two jobs (the counts, then the result datasets, computed and cached together) on RDDs with explicit
 * partitioners: a SQL plan for the same steps ran dozens of small jobs and took seconds where this takes a fraction.
 * Shuffles use {@code spark.sql.shuffle.partitions} where it is set, otherwise the larger of the default
 * parallelism and the input's partition count.
 * <p>
 * Ids are grouped by their value in the column's type (Java equality; -0.0 is 0.0); {@link Prepared#toNcfDataset}
 * stores them as Spark casts them to strings. The result equals ncf prepare's wherever that string is the file's
 * text, as with MovieLens ids read as integers or any ids read as strings; an id column typed {@code int} makes
 * "07" and "7" one user, where ncf prepare (which compares text) sees two.
 * <p>
 * The DataFrame's order must be deterministic, as that of a DataFrame read from files is: a recomputed partition
 * must give the same positions, and an error's row number counts the rows of the partitions before it.
 * <p>
 * Differences on purpose: a negative timestamp is refused (ncf prepare accepts any long), as is a timestamp
 * before 1970 in a timestamp or date column, so that a sentinel such as -1 fails instead of ordering rows. And
 * like the library's {@link Preprocessor} (not the CLI, which turns on {@code requireEnoughUnseenItems}), more
 * negatives than a user has unseen items are drawn with repeats; only a user who has seen every item fails.
 * <p>
 * Bad input fails in {@link #prepare} with a {@link DataFormatException} naming the column, the 1-based row
 * and the value: a null or empty id, a timestamp that is null, not an integer or negative, no user left after
 * the filter, a user who has seen every item. A missing column or an unusable column type is an
 * {@link IllegalArgumentException}.
 */
public final class SparkPreparation {

    /** Cached results survive memory pressure by spilling instead of being recomputed from the input. */
    private static final StorageLevel CACHE = StorageLevel.MEMORY_AND_DISK();

    private static final String SHUFFLE_PARTITIONS = "spark.sql.shuffle.partitions";

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
        JavaRDD<Row> selected = input.select(ratings).javaRDD();
        List<Object> cached = new ArrayList<>();
        try {
            return unwrapDataErrors(selected, () -> run(ratings.sparkSession(), selected, input, userCol, cached));
        } catch (RuntimeException e) {
            unpersist(cached);
            throw e;
        }
    }

    private Prepared run(SparkSession spark, JavaRDD<Row> selected, PrepInput input, String userCol, List<Object> cached) {
        int minRatings = options.minRatings(), perUser = options.validNegative();
        long seed = options.seed();
        int inputPartitions = Math.max(1, selected.getNumPartitions());
        int partitions = shufflePartitions(spark, inputPartitions);
        PrepUsers.ById byId = new PrepUsers.ById(partitions);
        PrepUsers.ByPosition byPosition = new PrepUsers.ByPosition(inputPartitions, Math.min(partitions, inputPartitions));

        // 1. the input read once, as chunks of rows per user, sorted by user within partitions by user (Spark's sort
        // spills where memory is short): one Block per partition, cached
        PrepInput.Reader reader = input.reader();
        JavaRDD<PrepUsers.Block> blocks = JavaPairRDD.fromJavaRDD(selected.mapPartitionsWithIndex(
                        (p, rows) -> PrepUsers.chunked(reader.readAll(p, rows)), false))
                .repartitionAndSortWithinPartitions(byId, new PrepUsers.IdOrder())
                .mapPartitions(rows -> PrepUsers.Block.of(rows, minRatings));
        cached.add(blocks.persist(CACHE));
        // each item's first position among the kept rows
        JavaPairRDD<Object, Long> itemFirst = blocks.flatMapToPair(PrepUsers.Block::itemFirsts).reduceByKey(byId, Math::min);

        // 2. one job for every count the driver needs: an RDD of one Totals per partition, summed
        PrepUsers.Totals totals = blocks.mapPartitions(it -> PrepUsers.Totals.ofUsers(it, byPosition))
                .union(itemFirst.mapPartitions(it -> PrepUsers.Totals.ofItems(it, byPosition)))
                .reduce(PrepUsers.Totals::plus);
        if (totals.rawRows == 0) throw new DataFormatException("the ratings DataFrame has no rows");
        if (totals.keptUsers == 0) throw new DataFormatException("column '" + userCol + "': no user has at least " + minRatings
                + " interactions (" + totals.rawUsers + " users, " + totals.rawRows + " rows)");
        int numUsers = Math.toIntExact(totals.keptUsers), numItems = Math.toIntExact(totals.numItems());

        // 3. dense ids by first position, joined within co-partitioned partitions (zipPartitions: the same ById
        // partitioning on both sides) to the users' ranked items, then regrouped by dense user; the pairs cross each
        // shuffle as one batch per pair of partitions
        JavaPairRDD<Object, Integer> userIds = denseIds(blocks.flatMapToPair(PrepUsers.Block::keptFirsts),
                byPosition, PrepUsers.Totals.starts(totals.usersPerBucket));
        JavaPairRDD<Object, Integer> itemIds = denseIds(itemFirst.mapToPair(i -> new Tuple2<>(i._2(), i._1())),
                byPosition, PrepUsers.Totals.starts(totals.itemsPerBucket));
        PrepUsers.Direct direct = new PrepUsers.Direct(partitions);
        JavaPairRDD<Integer, PrepUsers.ItemPairs> ranked = JavaPairRDD.fromJavaRDD(
                blocks.zipPartitions(userIds.partitionBy(byId).rdd().toJavaRDD(), (b, ids) -> b.next().ranked(ids, byId)));
        JavaPairRDD<Integer, PrepUsers.UserPairs> joined = JavaPairRDD.fromJavaRDD(ranked.partitionBy(direct).rdd().toJavaRDD()
                .zipPartitions(itemIds.partitionBy(byId).rdd().toJavaRDD(), (r, ids) -> PrepUsers.joinItems(r, ids, partitions)));
        JavaRDD<PrepUsers.Result> results = joined.partitionBy(direct)
                .mapPartitions(batches -> PrepUsers.Result.of(batches, seed, numItems, perUser));
        cached.add(results.persist(CACHE));

        // 4. the result datasets, computed and cached in one job
        Dataset<Row> usersDs = ids(spark, userIds, input.userType(), "user");
        Dataset<Row> itemsDs = ids(spark, itemIds, input.itemType(), "item");
        Dataset<Row> train = spark.createDataFrame(results.flatMap(r -> {
            List<Row> out = new ArrayList<>(r.items().length - 1);
            for (int k = 0; k < r.items().length - 1; k++) out.add(RowFactory.create(r.user(), r.items()[k], k));
            return out.iterator();
        }), new StructType().add("user", DataTypes.IntegerType, false).add("item", DataTypes.IntegerType, false)
                .add("pos", DataTypes.IntegerType, false));
        Dataset<Row> test = spark.createDataFrame(results.map(r -> RowFactory.create(r.user(), r.items()[r.items().length - 1])),
                new StructType().add("user", DataTypes.IntegerType, false).add("item", DataTypes.IntegerType, false));
        Dataset<Row> negatives = spark.createDataFrame(results.map(r -> RowFactory.create(r.user(), r.negatives())),
                new StructType().add("user", DataTypes.IntegerType, false)
                        .add("items", DataTypes.createArrayType(DataTypes.IntegerType, false), false));
        List<Dataset<Row>> outputs = List.of(usersDs, itemsDs, train, test, negatives);
        JavaRDD<InternalRow> all = null;
        for (Dataset<Row> d : outputs) {
            cached.add(d.persist(CACHE));
            // a new Dataset over the cached plan: its RDD reads (and so fills) the cache
            JavaRDD<InternalRow> rdd = d.select("*").queryExecution().toRdd().toJavaRDD();
            all = all == null ? rdd : all.union(rdd);
        }
        all.foreachPartition(rows -> { while (rows.hasNext()) rows.next(); });
        cached.removeAll(outputs); // the outputs stay cached
        unpersist(cached);
        cached.clear();

        return new Prepared(usersDs, itemsDs, train, test, negatives, numUsers, numItems, totals.rawRows,
                totals.rawUsers - totals.keptUsers, totals.keptRows - totals.pairs, options);
    }

    /**
     * The user's {@code spark.sql.shuffle.partitions} where set; otherwise the default parallelism or the input's
     * partition count, whichever is larger, rather than SQL's default of 200 (AQE, which shrinks those for SQL
     * shuffles, does not act on RDDs).
     */
    private static int shufflePartitions(SparkSession spark, int inputPartitions) {
        if (spark.conf().contains(SHUFFLE_PARTITIONS)) return Math.max(1, Integer.parseInt(spark.conf().get(SHUFFLE_PARTITIONS)));
        return Math.max(spark.sparkContext().defaultParallelism(), inputPartitions);
    }

    /** {@code (first position, id)} → {@code (id, dense id)}: sorted within buckets of positions, numbered across them. */
    private static JavaPairRDD<Object, Integer> denseIds(JavaPairRDD<Long, Object> byFirst, PrepUsers.ByPosition byPosition, long[] starts) {
        return JavaPairRDD.fromJavaRDD(byFirst.repartitionAndSortWithinPartitions(byPosition)
                .mapPartitionsWithIndex((b, sorted) -> PrepUsers.number(starts, b, sorted), false));
    }

    /** {@code (id <original type>, name int)}. */
    private static Dataset<Row> ids(SparkSession spark, JavaPairRDD<Object, Integer> ids, DataType idType, String name) {
        StructType schema = new StructType().add("id", idType, false).add(name, DataTypes.IntegerType, false);
        return spark.createDataFrame(ids.map(t -> RowFactory.create(t._1(), t._2())), schema);
    }

    private static void unpersist(List<Object> cached) {
        for (Object c : cached) {
            if (c instanceof JavaPairRDD<?, ?> r) r.unpersist(false);
            else if (c instanceof JavaRDD<?> r) r.unpersist(false);
            else if (c instanceof Dataset<?> d) d.unpersist(false);
        }
    }

    /**
     * Runs Spark jobs, rethrowing a {@link DataFormatException} raised on an executor as itself (Spark reports it as
     * the cause of a job failure, behind a stage and task preamble) so the caller sees the message about the data;
     * a bad value ({@link PrepInput.RowError}) gets its row number in the DataFrame, counted now.
     */
    private static <T> T unwrapDataErrors(JavaRDD<Row> selected, java.util.function.Supplier<T> jobs) {
        try {
            return jobs.get();
        } catch (Exception e) { // SparkException is checked, but Scala does not declare it
            for (Throwable c = e; c != null; c = c.getCause()) {
                if (c instanceof PrepInput.RowError r) throw r.at(PrepInput.rowsBefore(selected, r.partition), e);
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
