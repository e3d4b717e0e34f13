package io.ncf.spark.cli;

import io.ncf.core.blas.CpuFeatures;
import io.ncf.data.DataFormatException;
import io.ncf.data.NcfDataset;
import io.ncf.data.RatingsFormat;
import io.ncf.eval.EvalResult;
import io.ncf.eval.Evaluator;
import io.ncf.eval.RankingProtocols;
import io.ncf.eval.RankingReport;
import io.ncf.core.Scorer;
import io.ncf.serve.ModelArtifact;
import io.ncf.serve.Recommender;
import io.ncf.spark.NcfEstimator;
import io.ncf.spark.NcfModel;
import io.ncf.spark.SparkPreparation;
import io.ncf.train.Json;
import io.ncf.train.TrainingSummary;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code ncf-spark compare}: NeuMF trained by {@link NcfEstimator} beside Spark MLlib's implicit ALS on the same split
 * and ranked by the same code (issue #17). The file is prepared once by {@link SparkPreparation} for ALS and for the
 * evaluation; the estimator prepares the raw ratings itself, which with the same seed, minimum and negatives gives the
 * same split (checked: the dense ids must agree, or the run fails). Every model is then ranked by ncf-eval's
 * {@link Evaluator} (sampled HR@10 / NDCG@10 over the held-out item and its verified negatives, duplicates masked, a
 * tie counted against the held-out item) and, with {@code --full}, by the full-ranking protocol.
 *
 * <p>Both sides are chosen on the test items, as the issue's numbers are: NeuMF's epoch with the best HR, and the ALS
 * grid's best point.
 */
@Command(name = "compare", mixinStandardHelpOptions = true, sortOptions = false, usageHelpWidth = 110,
        headerHeading = "", header = "NeuMF on Spark beside MLlib's implicit ALS on the same split, ranked by the same code.",
        descriptionHeading = "%n", description = {
                "Prepares the file once (as 'ncf prepare', with Spark), trains NeuMF with ncf-spark's NcfEstimator",
                "and fits Spark MLlib's ALS(implicitPrefs = true) at every point of the --als-* grid on the same training",
                "pairs, ranks every model with ncf's evaluators (sampled HR@10 and NDCG@10; --full adds the full-ranking",
                "protocol) and prints one line per model, the best ALS and whether NeuMF reaches it on HR@10. Both sides",
                "are chosen on the test items, as in issue #17: NeuMF's epoch with the best HR, the grid's best point.", ""})
public final class CompareCommand implements Callable<Integer> {

    /** K of HR@K and NDCG@K, as the issue reports them. */
    static final int K = 10;

    /** How NeuMF's parameters start (NcfEstimator's {@code start}). */
    enum Start { random, als }

    @Spec CommandSpec spec;

    @Option(names = "--input", required = true, paramLabel = "FILE", description = "Ratings file (a local path, or any URI Spark's Hadoop file systems read).")
    String input;
    @Option(names = "--format", required = true, paramLabel = "FORMAT",
            description = "Format of --input, as 'ncf prepare': ml-20m (also ml-25m, ml-latest, ml-latest-small), ml-1m (also ml-10m), ml-100k, csv.")
    String format;
    @Option(names = "--master", defaultValue = "local[2]", paramLabel = "URL",
            description = "Spark master of the session this starts (default: ${DEFAULT-VALUE}); a session already running is used as it is.")
    String master;
    @Option(names = "--conf", paramLabel = "KEY=VALUE", description = "A Spark setting of the session this starts (repeatable), e.g. --conf spark.sql.shuffle.partitions=8.")
    Map<String, String> conf = new LinkedHashMap<>();
    @Option(names = "--seed", defaultValue = "0", paramLabel = "N", description = "Seed of the evaluation negatives, NeuMF and ALS (default: ${DEFAULT-VALUE}).")
    long seed;
    @Option(names = "--min-ratings", defaultValue = "20", paramLabel = "N", description = "Users with fewer rows are dropped (default: ${DEFAULT-VALUE}).")
    int minRatings;
    @Option(names = "--eval-negatives", defaultValue = "100", paramLabel = "N", description = "Verified negatives per held-out item (default: ${DEFAULT-VALUE}).")
    int evalNegatives;
    @Option(names = "--epochs", defaultValue = "20", paramLabel = "N", description = "NeuMF epochs (default: ${DEFAULT-VALUE}).")
    int epochs;
    @Option(names = "--batch-size", defaultValue = "0", paramLabel = "N", description = "NeuMF samples per optimizer step; 0: about a hundred steps an epoch (default: ${DEFAULT-VALUE}).")
    int batchSize;
    @Option(names = "--shards", defaultValue = "0", paramLabel = "N", description = "Spark tasks per NeuMF step; 0: the default parallelism (default: ${DEFAULT-VALUE}).")
    int shards;
    @Option(names = "--factors", defaultValue = "64", paramLabel = "N", description = "NeuMF's GMF embedding width (default: ${DEFAULT-VALUE}).")
    int factors;
    @Option(names = "--layers", defaultValue = "256,256,128,64", split = ",", paramLabel = "N",
            description = "NeuMF's MLP widths, the first the concatenated user and item embedding (even) (default: ${DEFAULT-VALUE}).")
    int[] layers;
    @Option(names = "--learning-rate", paramLabel = "LR", description = "Adam's learning rate (default: NcfEstimator's, NVIDIA's recipe).")
    Float learningRate;
    @Option(names = "--negatives", defaultValue = "4", paramLabel = "N", description = "NeuMF's random negatives per positive, each epoch (default: ${DEFAULT-VALUE}).")
    int negatives;
    @Option(names = "--beta1", paramLabel = "B", description = "Adam's beta1 (default: NcfEstimator's, NVIDIA's recipe: 0.25).")
    Float beta1;
    @Option(names = "--beta2", paramLabel = "B", description = "Adam's beta2 (default: NcfEstimator's, NVIDIA's recipe: 0.5).")
    Float beta2;
    @Option(names = "--dropout", paramLabel = "P", description = "NeuMF's MLP dropout rate (default: NcfEstimator's, 0.5).")
    Float dropout;
    @Option(names = "--sync-mode", defaultValue = "barrier", paramLabel = "M",
            description = "How a step's gradients are summed: barrier (one barrier job an epoch) or job (a Spark job a step) (default: ${DEFAULT-VALUE}).")
    String syncMode;
    @Option(names = "--start", defaultValue = "random", paramLabel = "S",
            description = "NeuMF's start: random, or als (the GMF branch from ncf's implicit ALS) (default: ${DEFAULT-VALUE}).")
    Start start;
    @Option(names = "--als-ranks", defaultValue = "16,64,128", split = ",", paramLabel = "N", description = "MLlib ALS ranks of the grid (default: ${DEFAULT-VALUE}).")
    List<Integer> alsRanks;
    @Option(names = "--als-regs", defaultValue = "0.1,1", split = ",", paramLabel = "L", description = "MLlib ALS regParams of the grid (default: ${DEFAULT-VALUE}).")
    List<Double> alsRegs;
    @Option(names = "--als-alphas", defaultValue = "1,10,40", split = ",", paramLabel = "A", description = "MLlib ALS alphas of the grid (default: ${DEFAULT-VALUE}).")
    List<Double> alsAlphas;
    @Option(names = "--als-iterations", defaultValue = "15", paramLabel = "N", description = "MLlib ALS maxIter (default: ${DEFAULT-VALUE}).")
    int alsIterations;
    @Option(names = "--full", description = "Also rank every held-out item against all items its user did not train on (the full protocol).")
    boolean full;
    @Option(names = "--json", paramLabel = "FILE", description = "Also write one JSON object per model line to FILE (JSON Lines), as each model finishes.")
    Path json;
    @Option(names = "--verbose", description = "Print NeuMF's per-epoch HR/NDCG lines while it trains.")
    boolean verbose;

    @Override public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        RatingsFormat ratingsFormat = validate();
        boolean startedHere = SparkSession.getActiveSession().isEmpty() && SparkSession.getDefaultSession().isEmpty();
        SparkSession spark = startedHere ? session() : SparkSession.active();
        try (JsonLines log = JsonLines.open(json)) {
            requireInput(spark);
            header(out, spark, startedHere);
            return compare(out, spark, new RatingsInput(input, ratingsFormat), log);
        } finally {
            if (startedHere) spark.stop();
        }
    }

    /**
     * A new session on {@code --master}. Spark's 200 shuffle partitions suit a cluster; in local mode each is a task
     * on a few threads, and the preparation's shuffles spent most of their time scheduling them, so a local session
     * gets two per thread. {@code --conf} comes last and wins.
     */
    private SparkSession session() {
        SparkSession.Builder b = SparkSession.builder().master(master).appName("ncf-spark compare").config("spark.ui.enabled", "false");
        int threads = localThreads(master);
        if (threads > 0) b = b.config("spark.sql.shuffle.partitions", String.valueOf(2 * threads));
        for (Map.Entry<String, String> c : conf.entrySet()) b = b.config(c.getKey(), c.getValue());
        try {
            return b.getOrCreate();
        } catch (Exception e) { // SparkException, undeclared in Scala's signature
            if (String.valueOf(e.getMessage()).contains("Master URL")) throw new NcfSparkCli.UsageException("--master " + master + ": " + e.getMessage());
            throw e;
        }
    }

    /** Task threads of a local master ({@code local}, {@code local[4]}, {@code local[*]}, {@code local[4,2]}), or 0 for a cluster. */
    static int localThreads(String master) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("local(?:\\[(\\*|\\d+)(?:,\\d+)?\\])?").matcher(master.trim());
        if (!m.matches()) return 0;
        if (m.group(1) == null) return 1;
        return m.group(1).equals("*") ? Runtime.getRuntime().availableProcessors() : Math.max(1, Integer.parseInt(m.group(1)));
    }

    private int compare(PrintWriter out, SparkSession spark, RatingsInput ratingsInput, JsonLines log) throws IOException {
        Dataset<Row> ratings = ratingsInput.read(spark);
        long t0 = System.nanoTime();
        SparkPreparation.Prepared prepared = dataErrorsNamed(() -> new SparkPreparation(minRatings, evalNegatives, seed)
                .prepare(ratings, RatingsInput.USER, RatingsInput.ITEM, RatingsInput.TIMESTAMP));
        try {
            NcfDataset ds = prepared.toNcfDataset(input);
            out.printf(Locale.ROOT, "Data: %s (%s): %,d users, %,d items, %,d training pairs, %d negatives per held-out item, seed %d; prepared in %.1f s%n",
                    input, ratingsInput.format().cliName(), ds.numUsers(), ds.numItems(), ds.trainSize(), evalNegatives, seed, (System.nanoTime() - t0) / 1e9);
            out.flush();
            Evaluator evaluator = new Evaluator(ds.candidates(), ds.numItems(), K, Math.max(1, (1 << 20) / ds.candidates().width()));

            List<ModelResult> als = new ArrayList<>();
            AlsBaseline baseline = AlsBaseline.on(prepared, alsIterations, seed);
            for (AlsBaseline.Point p : AlsBaseline.Point.grid(alsRanks, alsRegs, alsAlphas)) {
                try (AlsBaseline.Fitted f = baseline.fit(p)) {
                    Map<String, Object> details = new LinkedHashMap<>();
                    details.put("rank", p.rank());
                    details.put("regParam", p.regParam());
                    details.put("alpha", p.alpha());
                    details.put("maxIter", alsIterations);
                    details.put("seed", seed);
                    als.add(report(out, log, ds, evaluator, "ALS", f.factors(), f.seconds(), p.describe(), details));
                }
            }

            ModelResult ncf = neumf(out, log, ratings, ds, evaluator);
            ModelResult best = als.get(0);
            for (ModelResult r : als) if (r.hitRate() > best.hitRate() || r.hitRate() == best.hitRate() && r.sampled().ndcg() > best.sampled().ndcg()) best = r;
            out.printf(Locale.ROOT, "Best ALS (%s): HR@%d = %.4f NDCG@%d = %.4f; NCF >= best ALS on HR@%d: %s (%.4f %s %.4f)%n",
                    best.settings(), K, best.hitRate(), K, best.sampled().ndcg(), K, ncf.hitRate() >= best.hitRate() ? "yes" : "no",
                    ncf.hitRate(), ncf.hitRate() >= best.hitRate() ? ">=" : "<", best.hitRate());
            out.flush();
            return NcfSparkCli.EXIT_OK;
        } finally {
            prepared.unpersist();
        }
    }

    /** Fits NeuMF on the raw ratings, checks that its split is the harness's, and ranks its best epoch's model. */
    private ModelResult neumf(PrintWriter out, JsonLines log, Dataset<Row> ratings, NcfDataset ds, Evaluator evaluator) throws IOException {
        NcfEstimator estimator = new NcfEstimator().setUserCol(RatingsInput.USER).setItemCol(RatingsInput.ITEM).setTimestampCol(RatingsInput.TIMESTAMP)
                .setMinRatings(minRatings).setEvalNegatives(evalNegatives).setSeed(seed).setTopK(K)
                .setMaxIter(epochs).setBatchSize(batchSize).setNumShards(shards).setFactors(factors).setLayers(layers)
                .setNumNegatives(negatives).setSyncMode(syncMode).setStart(start.name()).setVerbose(verbose);
        if (learningRate != null) estimator.setLearningRate(learningRate);
        if (beta1 != null) estimator.setBeta1(beta1);
        if (beta2 != null) estimator.setBeta2(beta2);
        if (dropout != null) estimator.setDropout(dropout);
        out.flush();
        long t0 = System.nanoTime();
        // the estimator takes a numeric time column; the harness's preparation has already refused any value that is
        // not a whole number >= 0 (naming its row), so the cast changes no value
        Dataset<Row> typed = ratings.withColumn(RatingsInput.TIMESTAMP, ratings.col(RatingsInput.TIMESTAMP).cast("long"));
        NcfModel model = dataErrorsNamed(() -> estimator.fit(typed));
        double seconds = (System.nanoTime() - t0) / 1e9;
        ModelArtifact a = model.artifact();
        if (!a.userIds().equals(ds.userIds()) || !a.itemIds().equals(ds.itemIds()))
            throw new IllegalStateException(String.format(Locale.ROOT, "NcfEstimator's preparation gave %,d users and %,d items, the harness's %,d and %,d%s: "
                            + "the two splits differ, so NCF and ALS would not be ranked on the same held-out items", a.userIds().size(), a.itemIds().size(),
                    ds.numUsers(), ds.numItems(), a.userIds().size() == ds.numUsers() && a.itemIds().size() == ds.numItems() ? " (in another order)" : ""));
        TrainingSummary summary = model.summary();
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("epochs", epochs);
        details.put("best_epoch", summary.bestEpoch());
        details.put("train_best_hr", summary.bestHitRate()); // the training loop's own evaluation of the same candidates
        details.put("train_best_ndcg", summary.bestNdcg());
        details.put("hr_by_epoch", summary.epochs().stream().mapToDouble(e -> e.evaluated() ? e.hitRate() : Double.NaN).toArray());
        details.put("factors", factors);
        details.put("layers", layers);
        details.put("batch_size", Integer.parseInt(a.metadata().get("batch_size")));
        details.put("learning_rate", Float.parseFloat(a.metadata().get("learning_rate")));
        details.put("shards", Integer.parseInt(a.metadata().get("shards")));
        details.put("start", start.name());
        details.put("seed", seed);
        String settings = String.format(Locale.ROOT, "best epoch %d of 0-%d, batch %s, %s shard%s", summary.bestEpoch(), epochs - 1,
                a.metadata().get("batch_size"), a.metadata().get("shards"), "1".equals(a.metadata().get("shards")) ? "" : "s");
        try (Recommender rec = new Recommender(a, Recommender.UnknownUserPolicy.ERROR, Runtime.getRuntime().availableProcessors())) {
            return report(out, log, ds, evaluator, "NCF", rec.scorer(), seconds, settings, details);
        }
    }

    /** Ranks one model's scores, prints its line and logs its JSON object. */
    private ModelResult report(PrintWriter out, JsonLines log, NcfDataset ds, Evaluator evaluator, String model, Scorer scorer, double seconds,
                               String settings, Map<String, Object> details) throws IOException {
        EvalResult sampled = evaluator.evaluate(scorer);
        RankingReport fullReport = full ? RankingProtocols.full(ds, scorer, new int[]{K}, RankingProtocols.DEFAULT_FULL_USERS_PER_BLOCK) : null;
        ModelResult r = new ModelResult(model, sampled, fullReport, seconds, settings, details);
        out.println(r.line());
        out.flush();
        log.write(r.json());
        return r;
    }

    // ------------------------------------------------------------------------------------------------ checks

    /** Every flag checked before Spark starts; a bad one is a usage error naming it. */
    private RatingsFormat validate() {
        RatingsFormat f;
        try {
            f = RatingsFormat.fromName(format);
        } catch (IllegalArgumentException e) {
            throw new NcfSparkCli.UsageException("--format: " + e.getMessage());
        }
        if (!hasScheme(input) && !Files.exists(Path.of(input)))
            throw new NcfSparkCli.UsageException("--input " + input + ": no such file");
        atLeast("--min-ratings", minRatings, 1);
        // HR@10 ranks the held-out item among 1 + N candidates, so N must leave 10 places
        atLeast("--eval-negatives", evalNegatives, K - 1);
        atLeast("--epochs", epochs, 1);
        atLeast("--batch-size", batchSize, 0);
        atLeast("--shards", shards, 0);
        atLeast("--factors", factors, 1);
        if (layers.length == 0) throw new NcfSparkCli.UsageException("--layers: give at least one width");
        for (int w : layers) atLeast("--layers", w, 1);
        if (layers[0] % 2 != 0)
            throw new NcfSparkCli.UsageException("--layers: the first width is the concatenated user and item embedding and must be even, got " + layers[0]);
        if (learningRate != null && !(learningRate > 0 && Float.isFinite(learningRate)))
            throw new NcfSparkCli.UsageException("--learning-rate must be a positive number, got " + learningRate);
        atLeast("--negatives", negatives, 1);
        if (beta1 != null && !(beta1 >= 0 && beta1 < 1)) throw new NcfSparkCli.UsageException("--beta1 must be in [0, 1), got " + beta1);
        if (beta2 != null && !(beta2 >= 0 && beta2 < 1)) throw new NcfSparkCli.UsageException("--beta2 must be in [0, 1), got " + beta2);
        if (dropout != null && !(dropout >= 0 && dropout < 1)) throw new NcfSparkCli.UsageException("--dropout must be in [0, 1), got " + dropout);
        if (!syncMode.equals("barrier") && !syncMode.equals("job"))
            throw new NcfSparkCli.UsageException("--sync-mode must be barrier or job, got '" + syncMode + "'");
        if (alsRanks.isEmpty() || alsRegs.isEmpty() || alsAlphas.isEmpty())
            throw new NcfSparkCli.UsageException("--als-ranks, --als-regs and --als-alphas each need at least one value");
        for (int r : alsRanks) atLeast("--als-ranks", r, 1);
        for (double l : alsRegs) nonNegative("--als-regs", l);
        for (double a : alsAlphas) nonNegative("--als-alphas", a);
        atLeast("--als-iterations", alsIterations, 1);
        return f;
    }

    private static void atLeast(String flag, int value, int min) {
        if (value < min) throw new NcfSparkCli.UsageException(flag + " must be at least " + min + ", got " + value);
    }

    private static void nonNegative(String flag, double value) {
        if (!(value >= 0) || !Double.isFinite(value))
            throw new NcfSparkCli.UsageException(flag + " must be a number >= 0, got " + AlsBaseline.plain(value));
    }

    /** {@code hdfs://…}, {@code s3a://…}, {@code file:/…}: checked by Hadoop's file systems once Spark is up. */
    private static boolean hasScheme(String path) {
        try {
            String s = new URI(path).getScheme();
            return s != null && s.length() > 1; // "C:" is a drive, not a scheme
        } catch (Exception e) {
            return false;
        }
    }

    private void requireInput(SparkSession spark) throws IOException {
        if (!hasScheme(input)) return;
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(input);
        if (!p.getFileSystem(spark.sparkContext().hadoopConfiguration()).exists(p))
            throw new NcfSparkCli.UsageException("--input " + input + ": no such file");
    }

    /** Runs Spark work, prefixing a data error with the file, as ncf prepare's errors name it. */
    private <T> T dataErrorsNamed(java.util.function.Supplier<T> work) {
        try {
            return work.get();
        } catch (DataFormatException e) {
            String m = e.getMessage();
            // SparkPreparation counts DataFrame rows; here they are the file's records
            m = m.replaceFirst("^DataFrame row (\\d+):", "row $1" + (RatingsFormat.fromName(format).spec().hasHeader() ? " after the header:" : ":"));
            if (m.contains(": null ")) m += " (a missing field: is --format " + format + " right for this file?)";
            throw new DataFormatException(input + ": " + m, e);
        }
    }

    // ------------------------------------------------------------------------------------------------ output

    /** Where the numbers were measured: the machine, the JVM, Spark. */
    private void header(PrintWriter out, SparkSession spark, boolean startedHere) {
        double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        out.printf(Locale.ROOT, "Machine: %s; Java %s, max heap %.1f GB%s%n", CpuFeatures.detect().line(), Runtime.version(),
                Runtime.getRuntime().maxMemory() / 1e9, load >= 0 ? String.format(Locale.ROOT, "; load average %.2f", load) : "");
        out.printf(Locale.ROOT, "Spark %s, master %s (default parallelism %d)%s%n", spark.version(), spark.sparkContext().master(),
                spark.sparkContext().defaultParallelism(), startedHere ? "" : "; the session that was running, without --master and --conf");
        out.printf(Locale.ROOT, "NCF: NcfEstimator, %d epoch%s, factors %d, layers %s, start %s; ALS: MLlib implicitPrefs, maxIter %d, grid ranks %s x regParams %s x alphas %s%n",
                epochs, epochs == 1 ? "" : "s", factors, Arrays.toString(layers).replace(" ", ""), start, alsIterations, alsRanks, alsRegs.stream().map(AlsBaseline::plain).toList(),
                alsAlphas.stream().map(AlsBaseline::plain).toList());
        out.flush();
    }

    /** The --json file: one object a line, flushed as each model finishes; nothing when the flag is absent. */
    private static final class JsonLines implements AutoCloseable {
        private final BufferedWriter writer;

        private JsonLines(BufferedWriter writer) { this.writer = writer; }

        static JsonLines open(Path file) {
            if (file == null) return new JsonLines(null);
            try {
                Path parent = file.toAbsolutePath().getParent();
                if (parent != null) Files.createDirectories(parent);
                return new JsonLines(Files.newBufferedWriter(file));
            } catch (IOException e) {
                throw new NcfSparkCli.UsageException("--json " + file + ": cannot write it (" + e + ")");
            }
        }

        void write(Map<String, Object> record) throws IOException {
            if (writer == null) return;
            writer.write(Json.object(record));
            writer.newLine();
            writer.flush();
        }

        @Override public void close() throws IOException { if (writer != null) writer.close(); }
    }
}
