package io.ncf.spark;

import io.ncf.serve.Recommendations;
import io.ncf.serve.Recommender;
import io.ncf.train.EpochReport;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The real multi-process path: Spark's {@code local-cluster} mode starts a standalone master, a worker and two
 * executor JVMs from the Maven-resolved class path (its own surefire execution, a JVM of its own, since a JVM holds one
 * SparkContext). The fit runs in barrier mode: the two tasks of each epoch's barrier stage sit in different JVMs and
 * exchange their gradients every step through the driver's barrier coordinator over the network; the executors load
 * ncf's natives themselves. At global step 19 every executor's first stage attempt halts its JVM: Spark starts new
 * executors, runs the epoch's barrier stage again there, their replicas are rebuilt from the epoch's start state, and the fit ends
 * where {@code ncf train} ends (per-epoch loss and HR within float tolerance), and the model scores on the executors
 * exactly as the Java {@link Recommender} does.
 */
@org.junit.jupiter.api.Tag("e2e") // minutes of Spark on 2 cores: in the e2e suite (CI runs it), out of the default 10-minute run
class LocalClusterTest {

    @Test void fitsAcrossExecutorJvmsAndSurvivesLosingThem() throws Exception {
        Path dir = SparkTests.sharedData("ml-100k");
        assumeTrue(dir != null, "skipped: ../shared/data/ml-100k is not there (the test trains on it)");
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        String opens = String.join(" ", java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--add-opens") || a.startsWith("-Dio.netty") || a.startsWith("-Djdk.reflect")).toList());
        SparkSession spark = SparkSession.builder()
                .master("local-cluster[2,1,1536]")
                .appName("ncf-spark-local-cluster")
                .config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.executor.extraClassPath", cp)
                .config("spark.executor.extraJavaOptions", opens + " -Dncf.spark.test.haltAtStep=19")
                .getOrCreate();
        try {
            Dataset<Row> ratings = spark.read().option("sep", "\t").schema("user INT, item INT, rating FLOAT, ts LONG")
                    .csv(dir.resolve("u.data").toString());
            NcfModel model = new NcfEstimator().setTimestampCol("ts").setFactors(8).setLayers(32, 16).setMaxIter(2).setBatchSize(16384)
                    .setNumShards(2).setSeed(5).fit(ratings);
            List<EpochReport> epochs = model.summary().epochs();
            List<EpochReport> ref = ReferenceRuns.ncfTrain(dir.resolve("u.data"), io.ncf.data.RatingsFormat.ML_100K, 5, 2, 16384, 8,
                    new int[]{32, 16}).epochs();
            for (int e = 0; e < 2; e++) {
                System.out.printf("epoch %d: ncf train loss %.5f HR %.4f | local-cluster loss %.5f HR %.4f%n", e, ref.get(e).loss(),
                        ref.get(e).hitRate(), epochs.get(e).loss(), epochs.get(e).hitRate());
                assertEquals(ref.get(e).loss(), epochs.get(e).loss(), 2e-3 * ref.get(e).loss(), "epoch " + e + " loss");
                assertEquals(ref.get(e).hitRate(), epochs.get(e).hitRate(), 0.01, "epoch " + e + " HR");
            }
            Map<String, Recommendations> want = new HashMap<>();
            try (Recommender local = new Recommender(model.artifact(), Recommender.UnknownUserPolicy.ERROR, 2)) {
                local.recommendBatch(local.allUsers(), 5, r -> want.put(r.userId(), r));
            }
            List<Row> rows = model.recommendForAllUsers(5).collectAsList();
            assertEquals(want.size(), rows.size());
            for (Row r : rows) {
                Recommendations w = want.get(String.valueOf(r.getInt(0)));
                List<Row> items = r.getList(1);
                for (int j = 0; j < items.size(); j++) {
                    assertEquals(w.get(j).itemId(), String.valueOf(items.get(j).getInt(0)));
                    assertEquals((float) w.get(j).score(), items.get(j).getFloat(1), 0f);
                }
            }
        } finally {
            spark.stop();
        }
    }
}
