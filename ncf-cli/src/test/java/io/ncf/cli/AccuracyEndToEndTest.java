package io.ncf.cli;

import io.ncf.train.Recipe;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static io.ncf.cli.CliTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Issue 23 on ml-latest-small, as a user runs it: {@code prepare} (default seed 0, the split the MLlib numbers
 * are on), {@code tune} on the validation split, {@code train --recipe} evaluated once on the test items; and the ALS
 * row of {@code compare} against MLlib's number at the same settings. The tune budget is 8 minutes (not the issue's
 * 15) to keep CI short; the README's table is the 15-minute run.
 */
@Tag("e2e")
class AccuracyEndToEndTest {

    @TempDir Path tmp;

    /** MLlib ALS (rank 128, regParam 1, alpha 10, 15 iterations) on this split, as the issue measured it. */
    static final double MLLIB_ALS_HR = 0.7574;

    @Test void tunedRecipeOnMovieLensLatestSmall() throws Exception {
        Path ratings = sharedData("ml-latest-small/ratings.csv");
        Path data = tmp.resolve("mls");
        assertEquals(0, run("prepare", "--input", ratings.toString(), "--format", "ml-20m", "--output", data.toString(), "--quiet").exitCode());

        Result als = run("compare", "--data", data.toString(), "--models", "als", "--seed", "1");
        assertEquals(0, als.exitCode(), als.err());
        double alsHr = Double.parseDouble(als.out().replaceAll("(?s).*als: sampled HR@10 ([0-9.]+).*", "$1"));
        assertEquals(MLLIB_ALS_HR, alsHr, 0.01, "our implicit ALS against MLlib's at the same rank/reg/alpha:\n" + als.out());

        Path recipe = tmp.resolve("recipe.txt");
        Result tune = run("tune", "--data", data.toString(), "--budget", "8m", "--seed", "1", "-o", recipe.toString(), "--quiet");
        assertEquals(0, tune.exitCode(), tune.err());
        System.out.println(tune.out());
        Recipe r = Recipe.read(recipe);
        assertTrue(Files.readAllLines(tmp.resolve("recipe.txt.trials.jsonl")).size() >= 2, "8 minutes run more than the first trial");

        Result train = run("train", "--data", data.toString(), "--recipe", recipe.toString(), "--seed", "1");
        assertEquals(0, train.exitCode(), train.err());
        System.out.println(train.out());
        double hr = summaryValue(train.out(), "Best HR:"), ndcg = summaryValue(train.out(), "Best NDCG:");
        assertEquals(r.epochs() - 1, (int) summaryValue(train.out(), "Best Epoch:"), "evaluated once, after the recipe's last epoch");
        // floors below the measured runs: before the ALS start, 15-minute tunes gave test HR@10 0.7393 and 0.7459, NDCG
        // 0.497, and this 8-minute tune 0.7361 / 0.4977; with it, a 15-minute tune chose the ALS start and tested
        // 0.7525 / 0.5130 (MLlib ALS: 0.7574 / 0.5048); on a Sapphire Rapids VM (51 trials in 15 minutes) 0.7607 / 0.5098.
        // The seed's default recipe with -b 4096 -e 20 gives about 0.73.
        assertTrue(hr >= 0.73, "test HR@10 " + hr);
        assertTrue(ndcg >= 0.49, "test NDCG@10 " + ndcg);
    }
}
