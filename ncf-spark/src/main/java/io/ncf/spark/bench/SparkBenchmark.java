package io.ncf.spark.bench;

import io.ncf.core.NeuMFConfig;
import io.ncf.core.blas.Blas;
import io.ncf.core.blas.CpuFeatures;
import io.ncf.data.NcfDataset;
import io.ncf.data.Preprocessor;
import io.ncf.data.RatingsFormat;
import io.ncf.data.RatingsRecordReader;
import io.ncf.model.ModelKind;
import io.ncf.serve.Recommender;
import io.ncf.spark.NativeBlas;
import io.ncf.spark.NcfEstimator;
import io.ncf.spark.NcfModel;
import io.ncf.train.EpochReport;
import io.ncf.train.LossScaler;
import io.ncf.train.Start;
import io.ncf.train.Trainer;
import io.ncf.train.TrainingOptions;
import io.ncf.train.TrainingSummary;
import io.ncf.train.engine.EngineRegistry;
import io.ncf.train.engine.EngineSetup;
import io.ncf.train.engine.EngineState;
import io.ncf.train.engine.TrainingEngine;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The ncf-spark benchmark: the same recipe fitted by {@code ncf train}'s in-process loop (the peer: fused engine, all
 * cores) and by {@link NcfEstimator} with 1 and 2 shards per step on the session's master, in one JVM and one run;
 * then {@code recommendForAllUsers(10)} against the Java {@link Recommender}'s {@code recommendBatch} (what
 * {@code ncf recommend --users all} runs) on the same model. Prints a markdown table with the machine's cores and
 * CPU features. Epochs are timed as the training loop times them (train only, evaluation excluded).
 */
public final class SparkBenchmark {

    private SparkBenchmark() {}

    /** @param runs the estimator fits to time: sync mode and shards per step, e.g. {@code barrier:2} */
    public record Settings(Path ratings, RatingsFormat format, int epochs, int batch, long seed, List<String> runs) {}

    public static void run(SparkSession spark, Settings s, PrintStream out) throws Exception {
        NativeBlas.keepMllibOnJava();
        out.printf(Locale.ROOT, "machine: %d cores, %s; gemm %s; Spark %s, master %s%n", Runtime.getRuntime().availableProcessors(),
                CpuFeatures.detect().line(), Blas.describe(), spark.version(), spark.sparkContext().master());
        out.printf(Locale.ROOT, "data: %s (%s); default NeuMF; %d epochs, batch %d, seed %d%n%n", s.ratings(), s.format().cliName(), s.epochs(), s.batch(), s.seed());
        List<String> rows = new ArrayList<>();

        long t0 = System.nanoTime();
        NcfDataset ds = new Preprocessor(new Preprocessor.Options(20, 100, s.seed())).run(RatingsRecordReader.read(s.ratings(), s.format()));
        double prep = seconds(t0);
        TrainingSummary ref = reference(ds, s);
        double peer = seconds(t0);
        rows.add(row("ncf train (in-process, fused)", prep, peer, peer, ref));

        Dataset<Row> ratings = read(spark, s);
        NcfModel last = null;
        for (String run : s.runs()) {
            String[] ms = run.split(":");
            int shards = Integer.parseInt(ms[1]);
            long f0 = System.nanoTime();
            NcfEstimator est = new NcfEstimator().setUserCol("user").setItemCol("item").setTimestampCol("ts").setMaxIter(s.epochs())
                    .setBatchSize(s.batch()).setSeed(s.seed()).setNumShards(shards).setSyncMode(ms[0]);
            last = est.fit(ratings);
            double fit = seconds(f0);
            TrainingSummary sum = last.summary();
            rows.add(row("NcfEstimator, " + ms[0] + " mode, " + shards + " shard" + (shards == 1 ? "" : "s"), fit - sum.totalSeconds(), fit, peer, sum));
        }
        out.println("| run | fit s | × ncf train | prepare + start s | train s/epoch | samples/s | steps/epoch | best HR@10 | NDCG@10 |");
        out.println("|---|---|---|---|---|---|---|---|---|");
        for (String r : rows) out.println(r);

        if (last != null) {
            out.println();
            try (Recommender rec = new Recommender(last.artifact(), Recommender.UnknownUserPolicy.ERROR, Runtime.getRuntime().availableProcessors())) {
                long r0 = System.nanoTime();
                int[] n = {0};
                rec.recommendBatch(rec.allUsers(), 10, r -> n[0]++);
                double local = seconds(r0);
                last.recommendForAllUsers(10).write().format("noop").mode("overwrite").save(); // warm: the broadcast and executor model
                long r1 = System.nanoTime();
                last.recommendForAllUsers(10).write().format("noop").mode("overwrite").save();
                double dist = seconds(r1);
                out.println("| top-10 for every user (" + n[0] + " users) | s | ratio |");
                out.println("|---|---|---|");
                out.printf(Locale.ROOT, "| Recommender.recommendBatch (ncf recommend --users all), %d threads | %.2f | 1.00 |%n", Runtime.getRuntime().availableProcessors(), local);
                out.printf(Locale.ROOT, "| NcfModel.recommendForAllUsers(10) on %s (warm) | %.2f | %.2f |%n", spark.sparkContext().master(), dist, dist / local);
            }
        }
    }

    private static Dataset<Row> read(SparkSession spark, Settings s) {
        return switch (s.format()) {
            case ML_100K -> spark.read().option("sep", "\t").schema("user INT, item INT, rating FLOAT, ts LONG").csv(s.ratings().toString());
            case ML_20M -> spark.read().option("header", "true").schema("userId INT, movieId INT, rating FLOAT, timestamp LONG")
                    .csv(s.ratings().toString()).toDF("user", "item", "rating", "ts");
            default -> throw new IllegalArgumentException("the benchmark reads ml-100k or ml-20m-formatted files, not " + s.format().cliName());
        };
    }

    /** The peer: ncf train's loop over the fused engine on the same data and recipe. */
    private static TrainingSummary reference(NcfDataset ds, Settings s) {
        return ncfTrain(ds, NeuMFConfig.defaults(ds.numUsers(), ds.numItems()), s.epochs(), s.batch(), s.seed());
    }

    /**
     * What {@code ncf train --engine fused} computes on a prepared dataset with the seed's recipe at this batch (4
     * negatives, evaluation after every epoch): the reference every Spark fit is measured and tested against.
     */
    public static TrainingSummary ncfTrain(NcfDataset ds, NeuMFConfig config, int epochs, int batch, long seed) {
        TrainingOptions d = TrainingOptions.defaults();
        TrainingOptions o = new TrainingOptions(epochs, batch, 4, d.learningRate(), d.beta1(), d.beta2(), d.eps(), 10,
                d.validUsersPerBatch(), 0, 1.0, false, seed, 65_536);
        float[] init = Start.random().parameters(ds, config, ModelKind.NEUMF, seed, Runtime.getRuntime().availableProcessors(), null);
        EngineSetup setup = new EngineSetup(ds, config, ModelKind.NEUMF, o, false, 1, LossScaler.none(), EngineState.initial(config, init));
        try (TrainingEngine e = EngineRegistry.get("fused").open(setup)) {
            return new Trainer(e, config, o, List.of()).train();
        }
    }

    private static String row(String name, double setup, double total, double peer, TrainingSummary sum) {
        double train = 0;
        long samples = 0;
        int steps = 0;
        for (EpochReport r : sum.epochs()) {
            train += r.trainSeconds();
            samples += r.samples();
            steps = r.steps();
        }
        int n = sum.epochs().size();
        return String.format(Locale.ROOT, "| %s | %.1f | %.2f | %.1f | %.2f | %,.0f | %d | %.4f | %.4f |", name, total, total / peer, setup, train / n, samples / train,
                steps, sum.bestHitRate(), sum.bestNdcg());
    }

    private static double seconds(long t0) { return (System.nanoTime() - t0) / 1e9; }

    /**
     * {@code SparkBenchmark RATINGS FORMAT EPOCHS BATCH [MASTER [RUNS]]}, e.g. {@code ratings.csv ml-20m 20 4096 local[2]
     * barrier:1,barrier:2,job:2}. Shuffles get twice the master's cores as partitions, as {@code ncf-spark.sh compare} sets.
     */
    public static void main(String[] args) throws Exception {
        NativeBlas.keepMllibOnJava();
        String master = args.length > 4 ? args[4] : "local[2]";
        List<String> runs = List.of((args.length > 5 ? args[5] : "barrier:1,barrier:2,job:2").split(","));
        SparkSession spark = SparkSession.builder().master(master).appName("ncf-spark-benchmark").config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1").config("spark.sql.shuffle.partitions", String.valueOf(2 * Runtime.getRuntime().availableProcessors()))
                .getOrCreate();
        try {
            run(spark, new Settings(Path.of(args[0]), RatingsFormat.fromName(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]), 1L,
                    runs), System.out);
        } finally {
            spark.stop();
        }
    }
}
