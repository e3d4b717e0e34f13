package io.ncf.cli;

import io.ncf.cli.CliTestSupport.Result;
import io.ncf.train.Recipe;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.ncf.cli.CliTestSupport.run;
import static org.junit.jupiter.api.Assertions.*;

/** {@code ncf tune} then {@code ncf train --recipe}, as a user runs them, on a small generated CSV. */
class TuneCliTest {

    @TempDir static Path tmp;
    static Path data;

    @BeforeAll static void prepare() throws IOException {
        // 120 users × 25 rows over 80 items, each user drifting through a neighbourhood of items: learnable
        StringBuilder sb = new StringBuilder("who,what,when\n");
        java.util.Random rnd = new java.util.Random(3);
        for (int u = 0; u < 120; u++)
            for (int k = 0; k < 25; k++) sb.append("u").append(u).append(",i").append((u / 3 + k + rnd.nextInt(4)) % 80).append(',').append(1000 + k).append('\n');
        Path csv = tmp.resolve("r.csv");
        Files.writeString(csv, sb.toString());
        data = tmp.resolve("ds");
        Result p = run("prepare", "--input", csv.toString(), "--format", "csv", "--header", "--user-column", "who", "--item-column", "what",
                "--timestamp-column", "when", "--output", data.toString(), "--valid-negative", "20", "--min-ratings", "5", "--seed", "1");
        assertEquals(0, p.exitCode(), p.err());
    }

    @Test void tuneWritesRecipeAndTrialLogThenTrainUsesItAndEvaluatesOnce() throws IOException {
        Path recipe = tmp.resolve("out/tuned.txt");
        Result t = run("tune", "--data", data.toString(), "--budget", "3trials", "--max-epochs", "3", "--seed", "5", "-o", recipe.toString(), "--quiet");
        assertEquals(0, t.exitCode(), t.err());
        assertTrue(t.out().contains("| trial | val HR@10 | val NDCG@10 |"), t.out());
        assertTrue(t.out().contains("Recipe: " + recipe.toAbsolutePath()), t.out());
        List<String> trials = Files.readAllLines(tmp.resolve("out/tuned.txt.trials.jsonl"));
        assertEquals(3, trials.size(), "one JSON line per trial");
        assertTrue(trials.get(0).startsWith("{\"trial\":0,\"tune_seed\":5,"), trials.get(0));
        assertTrue(trials.get(0).contains("\"factors\":64,\"layers\":[256,256,128,64],\"dropout\":0.5,"), "typed JSON values: " + trials.get(0));
        Recipe r = Recipe.read(recipe);
        assertTrue(r.epochs() >= 1 && r.epochs() <= 3);
        assertTrue(Files.readString(recipe).contains("validation HR@10"), "the recipe says where it came from");

        Path ck = tmp.resolve("ck");
        Result train = run("train", "--data", data.toString(), "--recipe", recipe.toString(), "--seed", "1", "--checkpoint-dir", ck.toString(), "--verbose");
        assertEquals(0, train.exitCode(), train.err());
        assertTrue(train.out().contains("Recipe " + recipe + ": model=" + r.model().id()), train.out());
        long evaluated = train.out().lines().filter(l -> l.startsWith("Epoch: ") && l.contains("HR: ") && !l.contains("HR: nan")).count();
        assertEquals(1, evaluated, "the test HR is measured once, after the recipe's last epoch:\n" + train.out());
        assertTrue(train.out().contains(String.format("Best Epoch:                   %d", r.epochs() - 1)), train.out());
        assertTrue(Files.isRegularFile(ck.resolve("model.zip")));
    }

    @Test void trainingFromAnAlsStartBeginsAtAlsRankingAndKeepsIt() throws IOException {
        Result als = run("compare", "--data", data.toString(), "--models", "als", "--als-rank", "64", "--seed", "1");
        assertEquals(0, als.exitCode(), als.err());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\| als \\| ([0-9.]+) \\|").matcher(als.out());
        assertTrue(m.find(), als.out());
        double alsHr = Double.parseDouble(m.group(1));
        Result t = run("train", "--data", data.toString(), "--start", "als", "-e", "2", "-b", "512", "-l", "0.001", "--eval-after", "0", "--verbose", "--seed", "1");
        assertEquals(0, t.exitCode(), t.err());
        assertTrue(t.out().contains("Start: als (regParam 1, alpha 10, 15 iterations), rank 64"), t.out());
        double first = Double.parseDouble(t.out().lines().filter(l -> l.startsWith("Epoch: 00")).findFirst().orElseThrow()
                .replaceAll(".*HR: ([0-9.]+),.*", "$1"));
        assertTrue(first >= alsHr - 0.05, "one epoch from the ALS start ranks about as ALS does: " + first + " against ALS " + alsHr + "\n" + t.out());

        Result r = run("train", "--data", data.toString(), "--start", "als", "--model", "mlp");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("--start als sets the GMF branch, which --model mlp does not have"), r.err());
        r = run("train", "--data", data.toString(), "--start", "warm");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("--start: unknown start 'warm' (expected random or als)"), r.err());
        r = run("train", "--data", data.toString(), "--start", "als", "--als-reg", "-1");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("--als-reg must be ≥ 0"), r.err());
    }

    @Test void aFlagGivenWithTheRecipeWinsAndSeedIsBuiltIn() throws IOException {
        Path recipe = tmp.resolve("hand.txt");
        Files.writeString(recipe, "epochs = 4\nbatch_size = 256\nlayers = 16 8\nfactors = 8\nlearning_rate = 0.003\nbeta1 = 0.9\nbeta2 = 0.999\nl2_embedding = 0.1\n");
        Result t = run("train", "--data", data.toString(), "--recipe", recipe.toString(), "-e", "2", "--seed", "1", "--verbose");
        assertEquals(0, t.exitCode(), t.err());
        assertTrue(t.out().contains("overridden by --epochs"), t.out());
        assertTrue(t.out().contains("Epoch: 01"), t.out());
        assertFalse(t.out().contains("Epoch: 02"), t.out());
        Result seed = run("train", "--recipe", "seed", "-e", "1", "-b", "4096", "--seed", "1");
        assertEquals(0, seed.exitCode(), seed.err());
        assertTrue(seed.out().contains("Recipe seed: model=neumf factors=64 layers=256,256,128,64"), seed.out());
    }

    /**
     * Trials in BF16 where this CPU runs it (AMX-BF16 or AVX512-BF16 with MKL): they learn, the trial log says so,
     * the recipe does not record it. Elsewhere --precision bf16 is refused with the reason (exit 2), as in ncf train.
     */
    @Test void trialsRunInTheRequestedPrecisionOrAreRefusedWithTheReason() throws IOException {
        Path recipe = tmp.resolve("half/tuned.txt");
        Result t = run("tune", "--data", data.toString(), "--budget", "2trials", "--max-epochs", "3", "--seed", "5", "-o", recipe.toString(),
                "--precision", "bf16", "--quiet");
        java.util.Optional<String> why = io.ncf.model.fused.HalfPrecision.unavailable(io.ncf.core.Precision.BF16);
        if (why.isPresent()) {
            assertEquals(2, t.exitCode(), t.out() + t.err());
            assertTrue(t.err().contains("not available with --engine fused") && t.err().contains("NCF_HALF_FALLBACK=allow"), t.err());
            assertFalse(Files.exists(recipe), "nothing written");
        } else {
            assertEquals(0, t.exitCode(), t.err());
            List<String> trials = Files.readAllLines(tmp.resolve("half/tuned.txt.trials.jsonl"));
            assertEquals(2, trials.size());
            assertTrue(trials.get(0).contains("\"precision\":\"bf16\""), trials.get(0));
            assertFalse(Files.readString(recipe).contains("precision"), "the recipe holds no precision:\n" + Files.readString(recipe));
            // the same first trial in FP32: BF16 products learn as FP32 does (21 candidates: chance is 10/21 = 0.48)
            Path fp32 = tmp.resolve("fp32/tuned.txt");
            assertEquals(0, run("tune", "--data", data.toString(), "--budget", "1trials", "--max-epochs", "3", "--seed", "5", "-o", fp32.toString(),
                    "--quiet").exitCode());
            double hr16 = bestHr(trials.get(0)), hr32 = bestHr(Files.readAllLines(tmp.resolve("fp32/tuned.txt.trials.jsonl")).get(0));
            System.out.printf("tune trial 0: validation HR@10 %.4f in BF16, %.4f in FP32%n", hr16, hr32);
            assertTrue(hr16 > 0.6 && Math.abs(hr16 - hr32) <= 0.05, "BF16 " + hr16 + " against FP32 " + hr32);
        }
        Result bad = run("tune", "--data", data.toString(), "--budget", "1trials", "--precision", "fp64");
        assertEquals(2, bad.exitCode());
        assertTrue(bad.err().contains("--precision: "), bad.err());
    }

    private static double bestHr(String jsonLine) {
        return Double.parseDouble(jsonLine.replaceAll(".*\"best_hr\":([0-9.]+).*", "$1"));
    }

    @Test void badRecipesAndBudgetsAreUsageErrors() throws IOException {
        Path bad = tmp.resolve("bad.txt");
        Files.writeString(bad, "epochs = 4\nnegative_samples = many\n");
        Result r = run("train", "--data", data.toString(), "--recipe", bad.toString());
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains(bad + " line 2, key 'negative_samples': 'many' is not an integer"), r.err());
        r = run("train", "--data", data.toString(), "--recipe", tmp.resolve("none.txt").toString());
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("is neither a file nor a built-in recipe (seed)"), r.err());
        r = run("train", "--recipe", "seed", "--resume", tmp.toString());
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("--recipe cannot be combined with --resume"), r.err());
        r = run("tune", "--data", data.toString(), "--budget", "soon");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("--budget 'soon' is neither a time"), r.err());
        r = run("tune", "--data", tmp.resolve("nodata").toString(), "--budget", "1trials");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("is not a dataset directory"), r.err());
        r = run("compare", "--data", data.toString(), "--models", "als", "--als-rank", "0");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("--als-rank must be positive, got 0"), r.err());
        r = run("train", "--data", data.toString(), "--l2-embedding", "-1");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("--l2-embedding must be ≥ 0"), r.err());
    }
}
