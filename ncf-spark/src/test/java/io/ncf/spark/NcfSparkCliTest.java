package io.ncf.spark;

import io.ncf.data.EvalCandidates;
import io.ncf.eval.EvalResult;
import io.ncf.eval.Evaluator;
import io.ncf.spark.cli.AlsBaseline;
import io.ncf.spark.cli.NcfSparkCli;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code ncf-spark compare} in-process on the tests' shared session: its lines parse and hold plausible numbers, the
 * ALS numbers of the harness are those of MLlib's own predictions ranked by independent code, and bad flags and bad
 * data exit 2 and 1 naming what is wrong.
 */
@org.junit.jupiter.api.Tag("e2e") // minutes of Spark on 2 cores: in the e2e suite (CI runs it), out of the default 10-minute run
class NcfSparkCliTest {

    static final Pattern MODEL_LINE = Pattern.compile("^(NCF|ALS) HR@10 = (\\d\\.\\d{4}) NDCG@10 = (\\d\\.\\d{4}) full HR@10 = (\\d\\.\\d{4}) NDCG@10 = (\\d\\.\\d{4}) fit (\\d+\\.\\d) s \\((.*)\\)$");

    /** A run's exit code and what it printed. */
    record Run(int exit, String out, String err) {}

    static Run cli(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int exit = NcfSparkCli.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(exit, out.toString(), err.toString());
    }

    static Path ml100k() {
        Path dir = SparkTests.sharedData("ml-100k");
        assumeTrue(dir != null, "skipped: ../shared/data/ml-100k is not there (the test compares on it)");
        return dir.resolve("u.data");
    }

    @Test void compareOnMl100kPrintsOneParsableLinePerModel(@TempDir Path tmp) throws Exception {
        Path file = ml100k();
        SparkSession spark = SparkTests.spark(); // the command must take this session, not start its own
        Path json = tmp.resolve("out/compare.jsonl");
        long t0 = System.nanoTime();
        Run r = cli("compare", "--input", file.toString(), "--format", "ml-100k", "--seed", "3",
                "--epochs", "1", "--factors", "8", "--layers", "32,16", "--batch-size", "16384",
                "--als-ranks", "8", "--als-regs", "1", "--als-alphas", "10", "--als-iterations", "3", "--full", "--json", json.toString());
        System.out.printf("compare took %.1f s:%n%s%s", (System.nanoTime() - t0) / 1e9, r.out(), r.err());
        assertEquals(0, r.exit(), r.err());
        assertFalse(spark.sparkContext().isStopped(), "the command stopped a session it did not start");
        assertTrue(r.out().contains("Spark " + spark.version() + ", master " + spark.sparkContext().master()), r.out());
        assertTrue(r.out().contains("943 users, 1,682 items"), r.out());

        List<Matcher> lines = new ArrayList<>();
        for (String line : r.out().split("\n")) {
            Matcher m = MODEL_LINE.matcher(line);
            if (m.matches()) lines.add(m);
        }
        assertEquals(List.of("ALS", "NCF"), lines.stream().map(m -> m.group(1)).toList(), r.out());
        for (Matcher m : lines) {
            double hr = Double.parseDouble(m.group(2)), ndcg = Double.parseDouble(m.group(3)), fullHr = Double.parseDouble(m.group(4));
            assertTrue(hr > 0.3 && hr <= 1, m.group(1) + " learns: HR@10 " + hr); // random ranking: about 0.1
            assertTrue(ndcg > 0 && ndcg < hr, m.group(1) + " NDCG@10 " + ndcg);
            assertTrue(fullHr > 0 && fullHr < hr, m.group(1) + " full HR@10 " + fullHr + " below the sampled " + hr);
        }
        assertEquals("rank 8, regParam 1, alpha 10", lines.get(0).group(7));
        assertTrue(r.out().contains("Best ALS (rank 8, regParam 1, alpha 10): HR@10 = " + lines.get(0).group(2)), r.out());
        boolean ncfAhead = Double.parseDouble(lines.get(1).group(2)) >= Double.parseDouble(lines.get(0).group(2));
        assertTrue(r.out().contains("NCF >= best ALS on HR@10: " + (ncfAhead ? "yes" : "no")), r.out());

        List<String> records = Files.readAllLines(json);
        assertEquals(2, records.size(), String.join("\n", records));
        assertTrue(records.get(0).startsWith("{\"model\":\"ALS\",\"k\":10,\"hr\":") && records.get(0).contains("\"rank\":8"), records.get(0));
        assertTrue(records.get(1).startsWith("{\"model\":\"NCF\",\"k\":10,\"hr\":") && records.get(1).contains("\"best_epoch\":0"), records.get(1));
    }

    /**
     * The harness ranks MLlib's factors as MLlib scores them: HR and NDCG from the harness (factors collected to the
     * driver, ncf-eval's Evaluator) equal those computed here from {@code ALSModel.transform}'s predictions of every
     * candidate pair, ranked by code of this test's own. On small synthetic data with five tastes (400 users, 300
     * items), split here without Spark, so that it takes seconds and ALS has something to find; the negatives are
     * drawn with repeats, which both sides must count once.
     */
    @Test void alsHarnessEqualsRankingMllibsOwnPredictions() {
        SparkSession spark = SparkTests.spark();
        int numUsers = 400, numItems = 300, negatives = 100;
        java.util.Random random = new java.util.Random(11);
        List<Row> train = new ArrayList<>();
        int[] users = new int[numUsers], candidates = new int[numUsers * (1 + negatives)];
        for (int u = 0; u < numUsers; u++) {
            Set<Integer> seen = new java.util.LinkedHashSet<>();
            while (seen.size() < 25) seen.add(random.nextInt(5) == 0 ? random.nextInt(numItems) : 5 * random.nextInt(numItems / 5) + u % 5);
            List<Integer> items = new ArrayList<>(seen);
            for (int item : items.subList(0, items.size() - 1)) train.add(RowFactory.create(u, item));
            users[u] = u;
            candidates[u * (1 + negatives)] = items.get(items.size() - 1); // the held-out item, then its negatives
            for (int j = 1; j <= negatives; j++) {
                int n;
                do n = random.nextInt(numItems); while (seen.contains(n));
                candidates[u * (1 + negatives) + j] = n;
            }
        }
        EvalCandidates c = new EvalCandidates(users, candidates, negatives);
        Dataset<Row> pairs = spark.createDataFrame(train, new StructType().add("user", DataTypes.IntegerType).add("item", DataTypes.IntegerType));
        try (AlsBaseline.Fitted f = new AlsBaseline(pairs, numUsers, numItems, 3, 5).fit(new AlsBaseline.Point(8, 0.1, 10))) {
            EvalResult harness = new Evaluator(c, numItems, 10, 256).evaluate(f.factors());

            // every candidate pair, scored by MLlib
            StructType schema = new StructType().add("row", DataTypes.IntegerType).add("col", DataTypes.IntegerType)
                    .add("user", DataTypes.IntegerType).add("item", DataTypes.IntegerType);
            List<Row> scored = new ArrayList<>();
            for (int r = 0; r < c.numUsers(); r++)
                for (int j = 0; j < c.width(); j++) scored.add(RowFactory.create(r, j, c.users()[r], c.items()[r * c.width() + j]));
            float[][] predicted = new float[c.numUsers()][c.width()];
            for (Row p : f.model().transform(spark.createDataFrame(scored, schema)).select("row", "col", "prediction").collectAsList())
                // an item ALS never trained on has no factors: NaN here, zero factors (score 0) in the harness
                predicted[p.getInt(0)][p.getInt(1)] = p.isNullAt(2) || Float.isNaN(p.getFloat(2)) ? 0f : p.getFloat(2);

            double hits = 0, ndcg = 0;
            int repeats = 0;
            for (int r = 0; r < c.numUsers(); r++) {
                Set<Integer> counted = new HashSet<>(Set.of(c.items()[r * c.width()]));
                int rank = 0;
                for (int j = 1; j < c.width(); j++) {
                    if (!counted.add(c.items()[r * c.width() + j])) { // a repeated negative counts once
                        repeats++;
                        continue;
                    }
                    if (predicted[r][j] >= predicted[r][0]) rank++; // a tie counts against the held-out item
                }
                if (rank < 10) {
                    hits++;
                    ndcg += 1 / (Math.log(rank + 2) / Math.log(2));
                }
                if (r < 5) { // and the harness's scores are MLlib's, pair for pair
                    float[] mine = new float[c.width()];
                    int[] row = new int[c.width()];
                    java.util.Arrays.fill(row, c.users()[r]);
                    f.factors().score(row, java.util.Arrays.copyOfRange(c.items(), r * c.width(), (r + 1) * c.width()), c.width(), mine);
                    for (int j = 0; j < c.width(); j++) assertEquals(predicted[r][j], mine[j], 1e-5f * Math.max(1, Math.abs(mine[j])), "row " + r + " column " + j);
                }
            }
            System.out.printf("ALS rank 8 on %d users (%d repeated negatives): harness HR@10 %.6f NDCG@10 %.6f, MLlib's predictions ranked here HR@10 %.6f NDCG@10 %.6f%n",
                    numUsers, repeats, harness.hitRate(), harness.ndcg(), hits / numUsers, ndcg / numUsers);
            assertTrue(repeats > 0, "the draw repeats some negatives");
            // MLlib's dot product sums in another order than ours: a near-tie could flip one user, never more
            assertEquals(hits / numUsers, harness.hitRate(), 1.0 / numUsers + 1e-12, "HR@10");
            assertEquals(ndcg / numUsers, harness.ndcg(), 1.0 / numUsers + 1e-12, "NDCG@10");
            assertTrue(harness.hitRate() > 0.3, "ALS finds the tastes: HR@10 " + harness.hitRate()); // random: about 0.1
        }
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "--input /no/such/ratings.csv --format ml-20m | --input /no/such/ratings.csv: no such file",
            "--input U --format ml-5m | --format: unknown ratings format 'ml-5m'",
            "--input U --format ml-100k --als-ranks 8,0 | --als-ranks must be at least 1, got 0",
            "--input U --format ml-100k --als-regs -1 | --als-regs must be a number >= 0, got -1",
            "--input U --format ml-100k --layers 33,16 | --layers: the first width",
            "--input U --format ml-100k --eval-negatives 5 | --eval-negatives must be at least 9",
            "--input U --format ml-100k --epochs 0 | --epochs must be at least 1",
            "--input U --format ml-100k --start pretrained | --start",
            "--input U --format ml-100k --beta2 1 | --beta2 must be in [0, 1), got 1.0",
            "--input U --format ml-100k --sync-mode ring | --sync-mode must be barrier or job, got 'ring'",
            "--input U --format ml-100k --factor 8 | Unknown options: '--factor'",
            "--format ml-100k | Missing required option: '--input=FILE'",
    })
    void badFlagsExitTwoNamingTheFlag(String args, String expected, @TempDir Path tmp) throws Exception {
        Path u = Files.writeString(tmp.resolve("u.data"), "1\t2\t5\t881250949\n");
        List<String> argv = new ArrayList<>(List.of("compare"));
        for (String a : args.trim().split(" ")) argv.add(a.equals("U") ? u.toString() : a);
        Run r = cli(argv.toArray(String[]::new));
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains(expected), r.err());
    }

    @Test void badDataExitsOneNamingFileAndRow(@TempDir Path tmp) throws Exception {
        SparkTests.spark();
        Path bad = Files.writeString(tmp.resolve("u.data"), "1\t2\t5\t881250949\n1\t3\t4\t881250950\n1\t4\t4\tsoon\n");
        Run r = cli("compare", "--input", bad.toString(), "--format", "ml-100k");
        assertEquals(1, r.exit(), r.err());
        assertTrue(r.err().contains(bad + ": row 3: column 'timestamp': 'soon' is not an integer"), r.err());

        Run wrongFormat = cli("compare", "--input", bad.toString(), "--format", "ml-1m");
        assertEquals(1, wrongFormat.exit(), wrongFormat.err());
        assertTrue(wrongFormat.err().contains(bad + ":1: has 1 field separated by '::', format ml-1m needs 4"), wrongFormat.err());
    }
}
