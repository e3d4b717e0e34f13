package io.ncf.cli;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.ncf.cli.CliTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The foundation issue's accuracy checks: `ncf prepare` + `ncf train -b 4096 -e 20` with otherwise default
 * flags on real MovieLens data, then `--mode test` on the saved best checkpoint. Minutes each: tagged e2e.
 */
@Tag("e2e")
class MovieLensEndToEndTest {

    @TempDir Path tmp;

    @Test void movieLens100k() throws Exception {
        Path ratings = sharedData("ml-100k/u.data");
        trainAndCheck(ratings, "ml-100k", 0.62, 0.35);
    }

    @Test void movieLensLatestSmall() throws Exception {
        Path ratings = sharedData("ml-latest-small/ratings.csv");
        trainAndCheck(ratings, "ml-20m", 0.68, 0.43);
    }

    private void trainAndCheck(Path ratings, String format, double minHr, double minNdcg) throws Exception {
        Path data = tmp.resolve("dataset"), ckpt = tmp.resolve("ckpt"), log = tmp.resolve("log.jsonl");
        Result prep = run("prepare", "--input", ratings.toString(), "--format", format, "--output", data.toString(), "--seed", "1");
        assertEquals(0, prep.exitCode(), prep.err());

        Result train = run("train", "--data", data.toString(), "-b", "4096", "-e", "20", "--seed", "1",
                "--checkpoint-dir", ckpt.toString(), "--log-path", log.toString());
        assertEquals(0, train.exitCode(), train.err() + train.out());
        System.out.println(train.out());
        double bestHr = summaryValue(train.out(), "Best HR:");
        double bestNdcg = summaryValue(train.out(), "Best NDCG:");
        assertTrue(bestHr >= minHr, "best HR@10 " + bestHr + " < " + minHr + "\n" + train.out());
        assertTrue(bestNdcg >= minNdcg, "best NDCG@10 " + bestNdcg + " < " + minNdcg + "\n" + train.out());
        assertTrue(Files.readAllLines(log).stream().anyMatch(l -> l.contains("\"type\":\"summary\"")), "JSON log has a summary");

        Result test = run("train", "--data", data.toString(), "--mode", "test",
                "--load-checkpoint-path", ckpt.resolve("model.ncf").toString());
        assertEquals(0, test.exitCode(), test.err());
        Matcher m = Pattern.compile("HR@10 = ([0-9.]+), NDCG@10 = ([0-9.]+)").matcher(test.out());
        assertTrue(m.find(), test.out());
        assertEquals(bestHr, Double.parseDouble(m.group(1)), 1e-4, "--mode test reproduces the best epoch's HR");
        assertEquals(bestNdcg, Double.parseDouble(m.group(2)), 1e-4, "--mode test reproduces the best epoch's NDCG");
    }
}
