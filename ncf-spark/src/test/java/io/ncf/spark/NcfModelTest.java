package io.ncf.spark;

import io.ncf.core.UserItemIndex;
import io.ncf.serve.Recommendations;
import io.ncf.serve.Recommender;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.recommendation.ALS;
import org.apache.spark.ml.recommendation.ALSModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.lit;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The model's Spark side answers exactly what the Java {@link Recommender} answers on the same artifact (the kernel
 * of {@code ncf recommend}), in ALS's schema, with the ids in the types they came in (string users, long items here),
 * and survives save/load, a Pipeline, and the model.zip round trip.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NcfModelTest {

    SparkSession spark;
    Dataset<Row> ratings;
    NcfModel model;
    Recommender local;

    @BeforeAll void fit() {
        Path dir = SparkTests.sharedData("ml-100k");
        assumeTrue(dir != null, "skipped: ../shared/data/ml-100k is not there (the model is trained on it)");
        spark = SparkTests.spark();
        ratings = spark.read().option("sep", "\t").schema("u INT, i INT, rating FLOAT, ts LONG").csv(dir.resolve("u.data").toString())
                .select(concat(lit("u"), col("u")).as("customer"), col("i").cast("long").as("product"), col("ts"));
        model = new NcfEstimator().setUserCol("customer").setItemCol("product").setTimestampCol("ts")
                .setFactors(8).setLayers(32, 16).setMaxIter(1).setBatchSize(16384).setSeed(3).fit(ratings);
        local = new Recommender(model.artifact(), Recommender.UnknownUserPolicy.ERROR, 2);
    }

    @AfterAll void close() { if (local != null) local.close(); }

    @Test void recommendForAllUsersEqualsTheJavaRecommenderInAlsSchema() throws Exception {
        Dataset<Row> recs = model.recommendForAllUsers(10);
        StructType entry = new StructType().add("product", DataTypes.LongType, false).add("rating", DataTypes.FloatType, false);
        assertEquals(new StructType().add("customer", DataTypes.StringType, false).add("recommendations", new ArrayType(entry, false), false),
                recs.schema());
        Map<String, Recommendations> expected = new HashMap<>();
        local.recommendBatch(local.allUsers(), 10, r -> expected.put(r.userId(), r));
        List<Row> rows = recs.collectAsList();
        assertEquals(943, rows.size());
        for (Row r : rows) assertSame(expected.get(r.getString(0)), r);
    }

    /** ALS's own output: same column names and nesting (ids aside, whose types follow the input). */
    @Test void schemaShapeIsAls() {
        Dataset<Row> ints = ratings.select(col("product").cast("int").as("user"), col("product").cast("int").as("item"),
                lit(1f).as("rating")).limit(2000);
        ALSModel als = new ALS().setImplicitPrefs(true).setMaxIter(1).setRank(4).fit(ints);
        StructType a = als.recommendForAllUsers(3).schema();
        StructType ours = NcfSchemas.recommendations("user", DataTypes.IntegerType, "item", DataTypes.IntegerType);
        assertEquals(Arrays.asList(a.fieldNames()), Arrays.asList(ours.fieldNames()));
        StructType alsEntry = (StructType) ((ArrayType) a.apply("recommendations").dataType()).elementType();
        StructType ourEntry = (StructType) ((ArrayType) ours.apply("recommendations").dataType()).elementType();
        assertEquals(Arrays.asList(alsEntry.fieldNames()), Arrays.asList(ourEntry.fieldNames()));
        assertEquals(alsEntry.apply("rating").dataType(), ourEntry.apply("rating").dataType());
    }

    @Test void recommendForUserSubsetSkipsUnknownUsers() throws Exception {
        Dataset<Row> who = spark.createDataFrame(List.of(RowFactory.create("u1"), RowFactory.create("u7"), RowFactory.create("u7"),
                RowFactory.create("nobody")), new StructType().add("customer", DataTypes.StringType));
        List<Row> rows = model.recommendForUserSubset(who, 5).collectAsList();
        assertEquals(2, rows.size());
        for (Row r : rows) {
            List<Recommendations> one = new ArrayList<>();
            local.recommendBatch(List.of(r.getString(0)), 5, one::add);
            assertSame(one.get(0), r);
        }
    }

    @Test void recommendForAllItemsIsTheBestUnseenUsersPerItem() {
        int k = 4;
        List<Row> rows = model.recommendForAllItems(k).collectAsList();
        assertEquals(model.numItems(), rows.size());
        UserItemIndex seen = model.artifact().seen();
        int users = model.numUsers();
        int checked = 0;
        for (Row r : rows) {
            if (checked++ >= 25) break;
            int item = local.itemIndex(String.valueOf(r.getLong(0)));
            int[] us = new int[users], is = new int[users];
            for (int u = 0; u < users; u++) { us[u] = u; is[u] = item; }
            float[] s = local.scoreBatch(us, is);
            Integer[] order = new Integer[users];
            for (int u = 0; u < users; u++) order[u] = u;
            Arrays.sort(order, (a, b) -> s[a] != s[b] ? Float.compare(s[b], s[a]) : Integer.compare(a, b));
            List<Row> got = r.getList(1);
            int j = 0;
            for (Integer u : order) {
                if (j == got.size()) break;
                if (Arrays.binarySearch(seen.itemsArray(), seen.start(u), seen.end(u), item) >= 0) continue;
                assertEquals(local.allUsers().get(u), got.get(j).getString(0), "item " + item + " rank " + j);
                assertEquals(s[u], got.get(j).getFloat(1), 0f);
                j++;
            }
            assertEquals(Math.min(k, j), got.size());
        }
    }

    @Test void transformScoresPairsAndHandlesColdStart() {
        StructType schema = new StructType().add("customer", DataTypes.StringType).add("product", DataTypes.LongType);
        Dataset<Row> pairs = spark.createDataFrame(List.of(RowFactory.create("u1", 50L), RowFactory.create("u2", 1L),
                RowFactory.create("nobody", 1L), RowFactory.create("u1", 999_999L), RowFactory.create(null, 1L)), schema);
        List<Row> out = model.transform(pairs).collectAsList();
        assertEquals(5, out.size());
        float[] want = local.scoreBatch(new String[]{"u1", "u2"}, new String[]{"50", "1"});
        assertEquals(want[0], out.get(0).getFloat(2), 0f);
        assertEquals(want[1], out.get(1).getFloat(2), 0f);
        for (int r = 2; r < 5; r++) assertTrue(Float.isNaN(out.get(r).getFloat(2)), "row " + r + " is cold: NaN");
        assertEquals(2, model.copy(new org.apache.spark.ml.param.ParamMap()).setColdStartStrategy("drop").transform(pairs).count());
        assertThrows(IllegalArgumentException.class, () -> model.transform(pairs.withColumnRenamed("product", "x")));
    }

    @Test void saveLoadAndTheArtifactForNcfRecommend(@TempDir Path tmp) throws Exception {
        String path = tmp.resolve("ncf-model").toString();
        model.copy(new org.apache.spark.ml.param.ParamMap()).setPredictionCol("score").write().overwrite().save(path);
        NcfModel back = NcfModel.load(path);
        assertEquals("score", back.getPredictionCol());
        assertEquals("customer", back.getUserCol());
        assertArrayEquals(model.artifact().flatParams(), back.artifact().flatParams());
        assertEquals(model.recommendForAllUsers(3).orderBy("customer").collectAsList(), back.recommendForAllUsers(3).orderBy("customer").collectAsList());
        try (Recommender cli = Recommender.load(Path.of(path, "model", "model.zip"))) {  // what `ncf recommend --model` reads
            assertEquals(local.recommend("u1", 5).itemIds(), cli.recommend("u1", 5).itemIds());
        }
    }

    @Test void pipelineFitsSavesAndLoads(@TempDir Path tmp) {
        NcfEstimator est = new NcfEstimator().setUserCol("customer").setItemCol("product").setTimestampCol("ts").setMaxIter(1)
                .setBatchSize(65536).setLayers(16, 8).setFactors(4).setSeed(1);
        PipelineModel pm = new Pipeline().setStages(new PipelineStage[]{est}).fit(ratings);
        String path = tmp.resolve("pipeline").toString();
        try {
            pm.write().overwrite().save(path);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        PipelineModel back = PipelineModel.load(path);
        Dataset<Row> pairs = ratings.limit(20);
        assertEquals(pm.transform(pairs).select("prediction").collectAsList(), back.transform(pairs).select("prediction").collectAsList());
        NcfEstimator estBack = NcfEstimator.load(saveEstimator(est, tmp));
        assertEquals(est.getBatchSize(), estBack.getBatchSize());
        assertArrayEquals(est.getLayers(), estBack.getLayers());
    }

    private static String saveEstimator(NcfEstimator est, Path tmp) {
        String p = tmp.resolve("estimator").toString();
        try {
            est.write().overwrite().save(p);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return p;
    }

    @Test void badSettingsAreRefusedByName() {
        IllegalArgumentException fp16 = assertThrows(IllegalArgumentException.class,
                () -> new NcfEstimator().setUserCol("customer").setItemCol("product").setFp16(true).fit(ratings));
        assertTrue(fp16.getMessage().contains("fp16") && fp16.getMessage().contains("FLOAT"), fp16.getMessage());
        IllegalArgumentException col = assertThrows(IllegalArgumentException.class, () -> new NcfEstimator().fit(ratings));
        assertTrue(col.getMessage().contains("userCol") && col.getMessage().contains("'user'"), col.getMessage());
        IllegalArgumentException type = assertThrows(IllegalArgumentException.class, () -> new NcfEstimator().setUserCol("customer")
                .setItemCol("product").fit(ratings.withColumn("product", col("product").cast("double"))));
        assertTrue(type.getMessage().contains("itemCol") && type.getMessage().contains("double"), type.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new NcfEstimator().setColdStartStrategy("skip"));
        assertFalse(new NcfEstimator().explainParams().isEmpty());
    }

    /**
     * Distributed evaluation equals ncf-eval's evaluators run in this JVM over the Java Recommender on the same split:
     * sampled HR@10 exactly (hits are counts), NDCG within summation order, and the full-ranking protocol likewise;
     * the sampled HR is also the fit's own (the estimator evaluated the same split, with the training kernel's scores).
     */
    @Test void evaluateOnExecutorsEqualsNcfEval() {
        SparkPreparation.Prepared p = new SparkPreparation(20, 100, 3).prepare(ratings, "customer", "product", "ts");
        try {
            io.ncf.data.NcfDataset ds = p.toNcfDataset("test");
            assertEquals(local.allUsers(), ds.userIds().ids(), "the split numbers users as the fit did");
            Dataset<Row> heldOut = HeldOut.of(p, "customer", "product", "negatives");
            RankingMetrics m = model.evaluate(heldOut, "negatives", 10);
            io.ncf.core.Scorer scorer = (u, i, n, out) -> System.arraycopy(local.scoreBatch(Arrays.copyOf(u, n), Arrays.copyOf(i, n)), 0, out, 0, n);
            io.ncf.eval.EvalResult want = new io.ncf.eval.Evaluator(ds.candidates(), ds.numItems(), 10, 1 << 20).evaluate(scorer);
            io.ncf.eval.RankingReport full = new io.ncf.eval.FullRankingEvaluator(ds.numItems(),
                    UserItemIndex.build(ds.numUsers(), ds.trainUsers(), ds.trainItems(), ds.trainSize()), ds.testItems(), new int[]{10}, 256)
                    .evaluate(new io.ncf.core.rank.RowRanker(local.scorer()), io.ncf.data.Progress.NONE);
            System.out.println("executors: " + m + " | this JVM: sampled " + want.hitRate() + " / " + want.ndcg()
                    + ", full " + full.hitRate(10) + " / " + full.ndcg(10) + " | fit: " + model.summary().bestHitRate());
            assertEquals(943, m.users());
            assertEquals(0, m.skipped());
            assertEquals(want.hitRate(), m.hitRate(), 1e-12);
            assertEquals(want.ndcg(), m.ndcg(), 1e-9);
            assertEquals(full.hitRate(10), m.fullHitRate(), 1e-12);
            assertEquals(full.ndcg(10), m.fullNdcg(), 1e-9);
            assertEquals(model.summary().bestHitRate(), m.hitRate(), 0.01);
            assertTrue(m.fullHitRate() > 0 && m.fullHitRate() < m.hitRate(), "ranking among all items is harder: " + m);

            RankingMetrics fullOnly = model.evaluate(heldOut.drop("negatives"), null, 10);
            assertTrue(Double.isNaN(fullOnly.hitRate()));
            assertEquals(m.fullHitRate(), fullOnly.fullHitRate(), 1e-12);
            IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> model.evaluate(heldOut, "negs", 10));
            assertTrue(bad.getMessage().contains("negs"), bad.getMessage());
        } finally {
            p.unpersist();
        }
    }

    private static void assertSame(Recommendations want, Row got) {
        List<Row> items = got.getList(1);
        assertEquals(want.size(), items.size(), "user " + want.userId());
        for (int j = 0; j < items.size(); j++) {
            assertEquals(want.get(j).itemId(), String.valueOf(items.get(j).getLong(0)), "user " + want.userId() + " rank " + j);
            assertEquals((float) want.get(j).score(), items.get(j).getFloat(1), 0f);
        }
    }
}
