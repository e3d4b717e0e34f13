package io.ncf.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

import static io.ncf.cli.CliTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

class CliTest {

    @TempDir Path tmp;

    @Test void usageErrorsExitTwoWithAMessage() {
        Result r = run("train", "-b", "0");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("--batch-size must be positive"), r.err());

        r = run("train", "--no-such-flag");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("--no-such-flag"), r.err());

        r = run("train", "--data", tmp.resolve("missing").toString());
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("not a dataset directory"), r.err());

        r = run("train", "-k", "500", "-e", "1");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("--topk 500"), r.err());

        r = run("train", "--layers", "255", "64");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("must be even"), r.err());

        r = run("prepare", "--input", tmp.resolve("nope.csv").toString(), "--output", tmp.resolve("out").toString());
        assertNotEquals(0, r.exitCode());
        assertTrue(r.err().contains("nope.csv"), r.err());

        r = run("prepare", "--input", "x", "--output", "y", "--format", "parquet");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("parquet"), r.err());
    }

    @Test void everySubcommandHasHelp() {
        for (String sub : new String[]{"train", "prepare", "benchmark", "recommend", "evaluate"}) {
            Result r = run(sub, "--help");
            assertEquals(0, r.exitCode(), sub + ": " + r.err());
            assertTrue(r.out().contains("Usage: ncf " + sub), r.out());
        }
        assertTrue(run("train", "--help").out().contains("--batch-size"));
    }

    @Test void demoRunPrintsTheSeedsLines() {
        Result r = run("train", "-e", "2", "--eval-after", "0", "--seed", "3", "--verbose");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("demo data"), r.out());
        assertTrue(Pattern.compile("Epoch: 01, Train Time: [0-9.]+, Eval Time: [0-9.]+, HR: [0-9.]+, NDCG: [0-9.]+").matcher(r.out()).find(), r.out());
        assertTrue(r.out().contains("New Best Epoch: "), r.out());
        for (String label : new String[]{"Minimum Train Time per Epoch:", "Average Train Time per Epoch:", "Average Train Throughput:",
                "Minimum Eval Time per Epoch:", "Average Eval Time per Epoch:", "Average Eval Throughput:", "First Epoch to hit:",
                "Time to Train:", "Best HR:", "Best Epoch:"})
            assertTrue(r.out().contains(label), label + " missing in\n" + r.out());
    }

    @Test void prepareTrainCheckpointAndTestModeAgree() throws Exception {
        // a small generic CSV with string ids: 30 users × 20 rows over 40 items
        StringBuilder sb = new StringBuilder("who,what,when\n");
        java.util.Random rnd = new java.util.Random(1);
        for (int u = 0; u < 30; u++) for (int k = 0; k < 20; k++) sb.append("user-").append(u).append(",item").append((u + k * 3 + rnd.nextInt(2)) % 40).append(',').append(1000 + k).append('\n');
        Path csv = tmp.resolve("r.csv");
        Files.writeString(csv, sb.toString());
        Path data = tmp.resolve("ds");
        Result p = run("prepare", "--input", csv.toString(), "--format", "csv", "--header", "--user-column", "who", "--item-column", "what",
                "--timestamp-column", "when", "--output", data.toString(), "--valid-negative", "10", "--min-ratings", "5");
        assertEquals(0, p.exitCode(), p.err());
        Path ckpt = tmp.resolve("ck"), log = tmp.resolve("log.jsonl");
        Result t = run("train", "--data", data.toString(), "-e", "3", "-b", "256", "--eval-after", "0", "-k", "5", "--seed", "2",
                "--checkpoint-dir", ckpt.toString(), "--log-path", log.toString(), "--factors", "8", "--layers", "16", "8");
        assertEquals(0, t.exitCode(), t.err());
        double best = summaryValue(t.out(), "Best HR:");
        assertTrue(Files.isRegularFile(ckpt.resolve("model.ncf")));
        long epochs = Files.readAllLines(log).stream().filter(l -> l.contains("\"type\":\"epoch\"")).count();
        assertEquals(3, epochs);

        Result test = run("train", "--data", data.toString(), "--mode", "test", "-k", "5", "--load-checkpoint-path", ckpt.resolve("model.ncf").toString());
        assertEquals(0, test.exitCode(), test.err());
        var m = Pattern.compile("HR@5 = ([0-9.]+)").matcher(test.out());
        assertTrue(m.find(), test.out());
        assertEquals(best, Double.parseDouble(m.group(1)), 1e-4);

        Result wrong = run("train", "--data", data.toString(), "--mode", "test", "--factors", "16",
                "--load-checkpoint-path", ckpt.resolve("model.ncf").toString());
        assertEquals(2, wrong.exitCode());
        assertTrue(wrong.err().contains("factors"), wrong.err());
    }
}
