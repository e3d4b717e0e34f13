package io.ncf.spark;

import io.ncf.core.UserItemIndex;
import io.ncf.core.rank.RowScorer;
import io.ncf.serve.ModelArtifact;
import io.ncf.serve.Recommender;
import io.ncf.serve.ScoredItem;
import io.ncf.train.TrainingSummary;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWriter;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.Tuple2;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;

/**
 * A trained NeuMF model in Spark ML: {@link #transform} scores (user, item) rows; {@link #recommendForAllUsers},
 * {@link #recommendForUserSubset} and {@link #recommendForAllItems} answer as MLlib's {@code ALSModel} does (an array
 * of (item, rating) structs per user, best first), with the items a user interacted with excluded, as
 * {@code ncf recommend} does. Scores are the model's logits, the numbers {@code ncf recommend} prints.
 *
 * <p>Scoring runs on the executors with the same kernel as {@code ncf recommend} ({@link Recommender}); the model
 * travels once per executor as a broadcast of its {@code model.zip}. Saved with {@link #write}, the model directory
 * holds Spark's metadata and {@code model/model.zip}, the artifact {@code ncf recommend --model} and the Java
 * {@link Recommender} read.
 */
public final class NcfModel extends Model<NcfModel> implements MLWritable {

    private static final long serialVersionUID = 1L;

    static { NativeBlas.keepMllibOnJava(); }
    static final String ARTIFACT_PATH = "model/" + ModelArtifact.FILE_NAME;

    private final String uid;
    private final transient ModelArtifact artifact;
    private final DataType userType, itemType;
    private final Param<String> userCol, itemCol, predictionCol, coldStartStrategy;
    private transient Broadcast<byte[]> broadcast;
    private transient String broadcastKey;
    private transient TrainingSummary summary;

    NcfModel(String uid, ModelArtifact artifact, DataType userType, DataType itemType) {
        this.uid = uid;
        this.artifact = artifact;
        this.userType = userType;
        this.itemType = itemType;
        userCol = new Param<>(this, "userCol", "column of user ids");
        itemCol = new Param<>(this, "itemCol", "column of item ids");
        predictionCol = new Param<>(this, "predictionCol", "output column: the model's logit for the (user, item) pair");
        coldStartStrategy = new Param<>(this, "coldStartStrategy", "unknown users or items: 'nan' or 'drop'",
                ParamValidators.inArray(new String[]{"nan", "drop"}));
        setDefault(userCol, "user");
        setDefault(itemCol, "item");
        setDefault(predictionCol, "prediction");
        setDefault(coldStartStrategy, "nan");
    }

    /**
     * A model over an artifact written by {@code ncf train} (or by {@link #write}); ids come back as strings unless
     * the artifact records their Spark types.
     */
    public static NcfModel fromArtifact(ModelArtifact artifact) {
        return new NcfModel(Identifiable.randomUID("ncf"), artifact, recordedType(artifact, NcfSchemas.USER_TYPE_KEY),
                recordedType(artifact, NcfSchemas.ITEM_TYPE_KEY));
    }

    private static DataType recordedType(ModelArtifact a, String key) {
        String json = a.metadata().get(key);
        return json == null ? DataTypes.StringType : DataType.fromJson(json);
    }

    @Override public String uid() { return uid; }

    public Param<String> userCol() { return userCol; }
    public Param<String> itemCol() { return itemCol; }
    public Param<String> predictionCol() { return predictionCol; }
    public Param<String> coldStartStrategy() { return coldStartStrategy; }

    public NcfModel setUserCol(String v) { set(userCol, v); return this; }
    public NcfModel setItemCol(String v) { set(itemCol, v); return this; }
    public NcfModel setPredictionCol(String v) { set(predictionCol, v); return this; }
    public NcfModel setColdStartStrategy(String v) { set(coldStartStrategy, v); return this; }

    public String getUserCol() { return $(userCol); }
    public String getItemCol() { return $(itemCol); }
    public String getPredictionCol() { return $(predictionCol); }
    public String getColdStartStrategy() { return $(coldStartStrategy); }

    /** The servable artifact (driver side): what {@code model/model.zip} holds. */
    public ModelArtifact artifact() { return artifact; }

    /** Per-epoch HR/NDCG and timings of the fit that made this model; null for a loaded model. */
    public TrainingSummary summary() { return summary; }

    void setSummary(TrainingSummary s) { this.summary = s; }

    public int numUsers() { return artifact.config().numUsers(); }

    public int numItems() { return artifact.config().numItems(); }

    // ------------------------------------------------------------------------------------------------ transform

    @Override
    public StructType transformSchema(StructType schema) {
        return NcfSchemas.withPrediction(schema, $(userCol), $(itemCol), $(predictionCol));
    }

    /** Adds {@code predictionCol}: the logit of each row's (user, item); NaN (or the row dropped) where either is unknown. */
    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType out = transformSchema(dataset.schema());
        Dataset<Row> df = dataset.toDF();
        int ui = df.schema().fieldIndex($(userCol)), ii = df.schema().fieldIndex($(itemCol));
        Broadcast<byte[]> zip = broadcast(df.sparkSession());
        String key = broadcastKey;
        JavaRDD<Row> scored = df.javaRDD().mapPartitions(rows -> scorePartition(rows, ui, ii, key, zip), true);
        Dataset<Row> result = df.sparkSession().createDataFrame(scored, out);
        return "drop".equals($(coldStartStrategy)) ? result.filter(org.apache.spark.sql.functions.not(
                org.apache.spark.sql.functions.isnan(result.col($(predictionCol))))) : result;
    }

    private static final int SCORE_BLOCK = 4096;

    private static Iterator<Row> scorePartition(Iterator<Row> rows, int ui, int ii, String key, Broadcast<byte[]> zip) {
        Recommender rec = ExecutorModels.get(key, zip);
        return new Iterator<>() {
            final List<Row> block = new ArrayList<>(SCORE_BLOCK);
            int next;

            @Override public boolean hasNext() {
                if (next < block.size()) return true;
                block.clear();
                next = 0;
                while (block.size() < SCORE_BLOCK && rows.hasNext()) block.add(rows.next());
                return !block.isEmpty();
            }

            @Override public Row next() {
                if (!hasNext()) throw new java.util.NoSuchElementException();
                if (next == 0) scoreBlock();
                return block.get(next++);
            }

            /** Scores the block's known pairs in one kernel call and appends each row's prediction. */
            private void scoreBlock() {
                int n = block.size();
                int[] users = new int[n], items = new int[n], at = new int[n];
                int known = 0;
                for (int r = 0; r < n; r++) {
                    Row row = block.get(r);
                    int u = row.isNullAt(ui) ? -1 : rec.userIndex(NcfSchemas.idString(row.get(ui)));
                    int i = row.isNullAt(ii) ? -1 : rec.itemIndex(NcfSchemas.idString(row.get(ii)));
                    at[r] = -1;
                    if (u >= 0 && i >= 0) {
                        users[known] = u;
                        items[known] = i;
                        at[r] = known++;
                    }
                }
                float[] s = known == 0 ? new float[0] : rec.scoreBatch(Arrays.copyOf(users, known), Arrays.copyOf(items, known));
                for (int r = 0; r < n; r++) {
                    Row row = block.get(r);
                    Object[] v = new Object[row.length() + 1];
                    for (int c = 0; c < row.length(); c++) v[c] = row.get(c);
                    v[row.length()] = at[r] >= 0 ? s[at[r]] : Float.NaN;
                    block.set(r, RowFactory.create(v));
                }
            }
        };
    }

    // ----------------------------------------------------------------------------------------------- evaluate

    /**
     * HR@k and NDCG@k of held-out items, ranked on the executors with the kernel of {@code ncf recommend} (the model
     * broadcast once per executor): full ranking always (the held-out item among every item its user has not
     * interacted with, the held-out item itself aside), and sampled where {@code negativesCol} is given (the held-out
     * item among its row's evaluation negatives, ncf-eval's protocol: duplicates masked, ties against the held-out
     * item). {@link HeldOut#of} makes these rows from a {@link SparkPreparation} split.
     *
     * @param heldOut      one row per user: userCol, itemCol (the held-out item), and optionally {@code negativesCol}
     *                     (an array of item ids, the same length on every row); rows with an unknown user or item are
     *                     skipped and counted
     * @param negativesCol the negatives' column, or null for full ranking only
     */
    public RankingMetrics evaluate(Dataset<?> heldOut, String negativesCol, int k) {
        if (k <= 0) throw new IllegalArgumentException("k must be positive, got " + k);
        NcfSchemas.requireId(heldOut.schema(), $(userCol), "userCol");
        NcfSchemas.requireId(heldOut.schema(), $(itemCol), "itemCol");
        boolean sampled = negativesCol != null;
        if (sampled && !(java.util.Arrays.asList(heldOut.schema().fieldNames()).contains(negativesCol)
                && heldOut.schema().apply(negativesCol).dataType() instanceof org.apache.spark.sql.types.ArrayType))
            throw new IllegalArgumentException("negativesCol '" + negativesCol + "' must be an array column of the held-out rows; they have "
                    + heldOut.schema().simpleString());
        SparkSession spark = heldOut.sparkSession();
        Broadcast<byte[]> zip = broadcast(spark);
        String key = broadcastKey;
        Dataset<Row> rows = sampled ? heldOut.toDF().select($(userCol), $(itemCol), negativesCol) : heldOut.toDF().select($(userCol), $(itemCol));
        double[] sums = rows.javaRDD().mapPartitions(rs -> java.util.List.of(ExecutorRanking.rank(ExecutorModels.get(key, zip), rs, sampled, k)).iterator())
                .fold(new double[ExecutorRanking.SUMS], (a, b) -> {
                    double[] c = a.clone();
                    for (int i = 0; i < c.length; i++) c[i] += b[i];
                    return c;
                });
        long users = (long) sums[0];
        return new RankingMetrics(k, users, (long) sums[1], sampled && sums[2] > 0 ? sums[3] / sums[2] : Double.NaN,
                sampled && sums[2] > 0 ? sums[4] / sums[2] : Double.NaN, users > 0 ? sums[5] / users : Double.NaN, users > 0 ? sums[6] / users : Double.NaN);
    }

    // ------------------------------------------------------------------------------------------------ recommend

    /** Top {@code k} unseen items for every user the model knows: (userCol, recommendations: array<(itemCol, rating)>). */
    public Dataset<Row> recommendForAllUsers(int k) {
        if (k <= 0) throw new IllegalArgumentException("k must be positive, got " + k);
        SparkSession spark = SparkSession.active();
        Broadcast<byte[]> zip = broadcast(spark);
        String key = broadcastKey;
        DataType ut = userType, it = itemType;
        JavaRDD<Row> rows = userRanges(spark).mapPartitions(rs -> {
            Recommender rec = ExecutorModels.get(key, zip);
            List<String> ids = new ArrayList<>();
            while (rs.hasNext()) {
                int[] r = rs.next();
                for (int u = r[0]; u < r[1]; u++) ids.add(rec.allUsers().get(u));
            }
            return recommend(rec, ids, k, ut, it).iterator();
        });
        return spark.createDataFrame(rows, NcfSchemas.recommendations($(userCol), userType, $(itemCol), itemType));
    }

    /** Top {@code k} unseen items for the distinct users of {@code dataset}'s userCol that the model knows. */
    public Dataset<Row> recommendForUserSubset(Dataset<?> dataset, int k) {
        NcfSchemas.requireId(dataset.schema(), $(userCol), "userCol");
        SparkSession spark = dataset.sparkSession();
        Broadcast<byte[]> zip = broadcast(spark);
        String key = broadcastKey;
        DataType ut = userType, it = itemType;
        JavaRDD<Row> rows = dataset.select($(userCol)).distinct().toDF().javaRDD().mapPartitions(rs -> {
            Recommender rec = ExecutorModels.get(key, zip);
            List<String> ids = new ArrayList<>();
            while (rs.hasNext()) {
                Row r = rs.next();
                if (r.isNullAt(0)) continue;
                String id = NcfSchemas.idString(r.get(0));
                if (rec.knows(id)) ids.add(id);
            }
            return recommend(rec, ids, k, ut, it).iterator();
        });
        return spark.createDataFrame(rows, NcfSchemas.recommendations($(userCol), userType, $(itemCol), itemType));
    }

    private static List<Row> recommend(Recommender rec, List<String> ids, int k, DataType userType, DataType itemType) throws java.io.IOException {
        List<Row> out = new ArrayList<>(ids.size());
        rec.recommendBatch(ids, k, r -> {
            Row[] entries = new Row[r.size()];
            for (int j = 0; j < entries.length; j++) {
                ScoredItem s = r.get(j);
                entries[j] = RowFactory.create(NcfSchemas.idValue(s.itemId(), itemType), (float) s.score());
            }
            out.add(RowFactory.create(NcfSchemas.idValue(r.userId(), userType), entries));
        });
        return out;
    }

    /**
     * Top {@code k} users for every item, by the model's score, leaving out the users who interacted with the item:
     * (itemCol, recommendations: array<(userCol, rating)>). Each task scores every item for a range of users and keeps
     * a top-k per item; the per-item lists are then merged by item.
     */
    public Dataset<Row> recommendForAllItems(int k) {
        if (k <= 0) throw new IllegalArgumentException("k must be positive, got " + k);
        SparkSession spark = SparkSession.active();
        Broadcast<byte[]> zip = broadcast(spark);
        String key = broadcastKey;
        JavaPairRDD<Integer, TopUsers> partial = userRanges(spark).mapPartitionsToPair(rs -> {
            Recommender rec = ExecutorModels.get(key, zip);
            List<Tuple2<Integer, TopUsers>> out = new ArrayList<>();
            while (rs.hasNext()) {
                int[] r = rs.next();
                TopUsers[] tops = topUsers(rec, r[0], r[1], k);
                for (int i = 0; i < tops.length; i++) if (tops[i].size > 0) out.add(new Tuple2<>(i, tops[i]));
            }
            return out.iterator();
        });
        DataType ut = userType, it = itemType;
        JavaRDD<Row> rows = partial.reduceByKey(TopUsers::merge).mapPartitions(ps -> {
            Recommender rec = ExecutorModels.get(key, zip);
            List<Row> out = new ArrayList<>();
            while (ps.hasNext()) {
                Tuple2<Integer, TopUsers> p = ps.next();
                TopUsers t = p._2().sorted();
                Row[] entries = new Row[t.size];
                for (int j = 0; j < t.size; j++)
                    entries[j] = RowFactory.create(NcfSchemas.idValue(rec.allUsers().get(t.users[j]), ut), t.scores[j]);
                out.add(RowFactory.create(NcfSchemas.idValue(rec.allItems().get(p._1()), it), entries));
            }
            return out.iterator();
        });
        return spark.createDataFrame(rows, NcfSchemas.recommendations($(itemCol), itemType, $(userCol), userType));
    }

    /** The model's dense users cut into one contiguous range {@code [from, to)} per task slot of the context. */
    private JavaRDD<int[]> userRanges(SparkSession spark) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        int n = numUsers(), parts = Math.max(1, Math.min(n, jsc.defaultParallelism()));
        List<int[]> ranges = new ArrayList<>(parts);
        for (int p = 0; p < parts; p++) ranges.add(new int[]{(int) ((long) n * p / parts), (int) ((long) n * (p + 1) / parts)});
        return jsc.parallelize(ranges, parts);
    }

    /**
     * Per item, the best {@code k} of users {@code [from, to)} who have not seen it. Each scoring worker offers its
     * rows to its own best-k lists (no lock between workers); the lists are merged at the end, which gives the same
     * set whatever worker saw which user (a strict order: score, then the lower user index).
     */
    private static TopUsers[] topUsers(Recommender rec, int from, int to, int k) {
        RowScorer scorer = rec.scorer();
        UserItemIndex seen = rec.artifact().seen();
        int items = scorer.numItems();
        TopUsers[][] perWorker = new TopUsers[scorer.parallelism()][];
        int[] users = new int[to - from];
        for (int u = from; u < to; u++) users[u - from] = u;
        scorer.scoreRows(users, 0, users.length, (worker, index, user, row) -> {
            TopUsers[] tops = perWorker[worker];
            if (tops == null) {
                tops = perWorker[worker] = new TopUsers[items];
                for (int i = 0; i < items; i++) tops[i] = new TopUsers(k);
            }
            int s = seen.start(user), e = seen.end(user);
            int[] seenItems = seen.itemsArray();
            for (int i = 0, p = s; i < items; i++) {
                while (p < e && seenItems[p] < i) p++;
                if (p < e && seenItems[p] == i) continue;
                tops[i].offer(user, row[i]);
            }
        });
        TopUsers[] merged = new TopUsers[items];
        for (int i = 0; i < items; i++) merged[i] = new TopUsers(k);
        for (TopUsers[] tops : perWorker) if (tops != null) for (int i = 0; i < items; i++) merged[i].merge(tops[i]);
        return merged;
    }

    /** The model's artifact as a broadcast, made once per model instance and session. */
    private synchronized Broadcast<byte[]> broadcast(SparkSession spark) {
        if (artifact == null) throw new IllegalStateException("this NcfModel was deserialized without its artifact; use it on the driver");
        if (broadcast == null) {
            broadcast = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(HadoopFiles.bytes(artifact));
            broadcastKey = uid + "/" + UUID.randomUUID();
        }
        return broadcast;
    }

    // ------------------------------------------------------------------------------------------------ persistence

    @Override
    public NcfModel copy(ParamMap extra) {
        NcfModel m = new NcfModel(uid, artifact, userType, itemType);
        m.summary = summary;
        return copyValues(m, extra).setParent(parent());
    }

    @Override public MLWriter write() { return new Writer(this); }

    public static MLReader<NcfModel> read() { return new Reader(); }

    public static NcfModel load(String path) { return read().load(path); }

    private static final class Writer extends MLWriter {
        private final NcfModel model;

        Writer(NcfModel model) { this.model = model; }

        @Override public void saveImpl(String path) {
            DefaultParamsWriter.saveMetadata(model, path, sparkSession());
            HadoopFiles.write(model.artifact, new org.apache.hadoop.fs.Path(path, ARTIFACT_PATH).toString(),
                    sparkSession().sparkContext().hadoopConfiguration());
        }
    }

    private static final class Reader extends MLReader<NcfModel> {
        @Override public NcfModel load(String path) {
            DefaultParamsReader.Metadata meta = DefaultParamsReader.loadMetadata(path, sparkSession(), NcfModel.class.getName());
            ModelArtifact a = HadoopFiles.read(new org.apache.hadoop.fs.Path(path, ARTIFACT_PATH).toString(),
                    sparkSession().sparkContext().hadoopConfiguration());
            NcfModel m = new NcfModel(meta.uid(), a, recordedType(a, NcfSchemas.USER_TYPE_KEY), recordedType(a, NcfSchemas.ITEM_TYPE_KEY));
            meta.getAndSetParams(m, scala.Option.empty());
            return m;
        }
    }

    /** A bounded best-k of (user, score), ties to the lower user index (as the item top-K breaks ties). */
    static final class TopUsers implements java.io.Serializable {
        final int k;
        int size;
        final int[] users;
        final float[] scores;

        TopUsers(int k) {
            this.k = k;
            this.users = new int[k];
            this.scores = new float[k];
        }

        private static boolean better(float s, int u, float t, int v) { return s > t || (s == t && u < v); }

        void offer(int user, float score) {
            if (Float.isNaN(score)) return;
            if (size < k) {
                users[size] = user;
                scores[size] = score;
                size++;
                return;
            }
            int worst = 0;
            for (int j = 1; j < size; j++) if (better(scores[worst], users[worst], scores[j], users[j])) worst = j;
            if (better(score, user, scores[worst], users[worst])) {
                users[worst] = user;
                scores[worst] = score;
            }
        }

        TopUsers merge(TopUsers o) {
            for (int j = 0; j < o.size; j++) offer(o.users[j], o.scores[j]);
            return this;
        }

        TopUsers sorted() {
            Integer[] order = new Integer[size];
            for (int j = 0; j < size; j++) order[j] = j;
            Arrays.sort(order, (a, b) -> better(scores[a], users[a], scores[b], users[b]) ? -1 : better(scores[b], users[b], scores[a], users[a]) ? 1 : 0);
            TopUsers t = new TopUsers(k);
            for (Integer j : order) { t.users[t.size] = users[j]; t.scores[t.size] = scores[j]; t.size++; }
            return t;
        }
    }
}
