package io.ncf.spark;

import io.ncf.data.NcfDataset;
import io.ncf.data.Preprocessor;
import io.ncf.data.RatingsFormat;
import io.ncf.data.RatingsRecordReader;
import io.ncf.data.RawInteractions;

import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Not a test: times {@link SparkPreparation} on ml-latest-small in local[N] (args: ratings.csv [master] [runs]),
 * counting jobs, stages and tasks per phase, and checks the result against ncf prepare.
 */
public final class PrepTiming {
    static final AtomicInteger jobs = new AtomicInteger(), stages = new AtomicInteger(), tasks = new AtomicInteger();
    static final java.util.concurrent.atomic.AtomicLong taskCpuNs = new java.util.concurrent.atomic.AtomicLong();
    static final com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();

    public static void main(String[] args) {
        String file = args.length > 0 ? args[0] : "../shared/data/ml-latest-small/ratings.csv";
        String master = args.length > 1 ? args[1] : "local[2]";
        int runs = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        boolean verbose = Boolean.getBoolean("verbose");
        SparkSession.Builder builder = SparkSession.builder().master(master).appName("prep-timing")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1");
        String shuffle = System.getProperty("shuffle", "4"); // "unset": Spark's default (200)
        if (!shuffle.equals("unset")) builder.config("spark.sql.shuffle.partitions", shuffle);
        SparkSession spark = builder.getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        spark.sparkContext().addSparkListener(new SparkListener() {
            @Override public void onJobStart(SparkListenerJobStart e) {
                jobs.incrementAndGet();
                if (verbose) System.out.println("  job " + e.jobId() + " stages=" + e.stageIds().size() + " " + e.properties().getProperty("callSite.short"));
            }
            @Override public void onStageCompleted(SparkListenerStageCompleted e) {
                stages.incrementAndGet();
                if (verbose) System.out.println("    stage " + e.stageInfo().stageId() + " tasks=" + e.stageInfo().numTasks() + " " + e.stageInfo().name()
                        + " " + ((Long) e.stageInfo().completionTime().get() - (Long) e.stageInfo().submissionTime().get()) + "ms cpu " + e.stageInfo().taskMetrics().executorCpuTime() / 1000000 + "ms");
            }
            @Override public void onTaskEnd(SparkListenerTaskEnd e) {
                tasks.incrementAndGet();
                if (e.taskMetrics() != null) taskCpuNs.addAndGet(e.taskMetrics().executorCpuTime());
            }
        });
        long t0 = System.nanoTime();
        RawInteractions raw = RatingsRecordReader.read(java.nio.file.Path.of(file), RatingsFormat.ML_20M);
        NcfDataset expected = new Preprocessor(new Preprocessor.Options(20, 100, 0)).run(raw);
        System.out.printf("ncf prepare (single JVM): %.2fs%n", (System.nanoTime() - t0) / 1e9);
        for (int run = 0; run < runs; run++) {
            reset();
            long cpu0 = os.getProcessCpuTime();
            long a = System.nanoTime();
            Dataset<Row> ratings = spark.read().option("header", "true")
                    .schema("userId STRING, movieId STRING, rating STRING, timestamp STRING").csv(file);
            SparkPreparation.Prepared p = new SparkPreparation(20, 100, 0).prepare(ratings, "userId", "movieId", "timestamp");
            long b = System.nanoTime();
            String prep = counts();
            reset();
            NcfDataset ds = p.toNcfDataset(raw.source());
            long c = System.nanoTime();
            long cpu1 = os.getProcessCpuTime();
            String coll = counts();
            SparkPreparationTest.assertSameDataset(expected, ds);
            p.unpersist();
            int left = spark.sparkContext().getPersistentRDDs().size();
            if (left > 0) System.out.println("  persistent RDDs left after unpersist: " + left);
            System.out.printf("run %d (%s): prepare %.2fs [%s], toNcfDataset %.2fs [%s], total %.2fs, process cpu %.2fs; equal to ncf prepare%n",
                    run, run == 0 ? "cold" : "warm", (b - a) / 1e9, prep, (c - b) / 1e9, coll, (c - a) / 1e9, (cpu1 - cpu0) / 1e9);
        }
        spark.stop();
    }

    static void reset() { jobs.set(0); stages.set(0); tasks.set(0); taskCpuNs.set(0); }

    static String counts() {
        try { Thread.sleep(200); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
        String r = jobs.get() + " jobs, " + stages.get() + " stages, " + tasks.get() + " tasks, task cpu "
                + String.format("%.2fs", taskCpuNs.get() / 1e9);
        return r;
    }
}
