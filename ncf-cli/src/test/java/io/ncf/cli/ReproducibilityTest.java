package io.ncf.cli;

import io.ncf.model.ModelIO;
import io.ncf.core.NeuMFConfig;
import io.ncf.model.ParamSet;
import io.ncf.train.TrainingStateFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static io.ncf.cli.CliTestSupport.run;
import static org.junit.jupiter.api.Assertions.*;

/** The same --seed gives the same split, evaluation negatives, initial weights, training negatives and metrics. */
class ReproducibilityTest {

    @TempDir Path tmp;

    @Test void twoRunsWithTheSameSeedAgreeExactly() throws Exception {
        StringBuilder sb = new StringBuilder("u,i,t\n");
        Random rnd = new Random(4);
        for (int u = 0; u < 60; u++) for (int k = 0; k < 25; k++) sb.append(u).append(',').append(rnd.nextInt(120)).append(',').append(rnd.nextInt(1000)).append('\n');
        Path csv = tmp.resolve("r.csv");
        Files.writeString(csv, sb.toString());
        Path d1 = tmp.resolve("d1"), d2 = tmp.resolve("d2"), d3 = tmp.resolve("d3");
        for (Path d : List.of(d1, d2))
            assertEquals(0, run("prepare", "-i", csv.toString(), "--format", "csv", "--header", "-o", d.toString(), "--valid-negative", "20",
                    "--min-ratings", "5", "--seed", "9").exitCode());
        assertEquals(0, run("prepare", "-i", csv.toString(), "--format", "csv", "--header", "-o", d3.toString(), "--valid-negative", "20",
                "--min-ratings", "5", "--seed", "10").exitCode());
        assertEquals(contents(d1), contents(d2), "same seed, same dataset files (split and evaluation negatives)");
        assertNotEquals(contents(d1), contents(d3), "another seed draws other evaluation negatives");

        NeuMFConfig c = new NeuMFConfig(50, 100, 8, new int[]{16, 8}, 0.5f);
        KillAndResumeTest.assertBitEqual(ParamSet.initialize(c, 3), ParamSet.initialize(c, 3));

        String[] runs = new String[2];
        ParamSet[] finals = new ParamSet[2];
        for (int r = 0; r < 2; r++) {
            Path ck = tmp.resolve("ck" + r), log = tmp.resolve("log" + r + ".jsonl");
            CliTestSupport.Result t = run("train", "--data", (r == 0 ? d1 : d2).toString(), "-e", "3", "-b", "512", "--eval-after", "0", "-k", "5",
                    "--seed", "5", "--factors", "8", "--layers", "16", "8", "--checkpoint-dir", ck.toString(), "--log-path", log.toString());
            assertEquals(0, t.exitCode(), t.err());
            // per-epoch loss, HR and NDCG, without the timings
            runs[r] = Files.readAllLines(log).stream().filter(l -> l.contains("\"type\":\"epoch\""))
                    .map(l -> l.replaceAll("\"[a-z_]*(seconds|time|throughput)[a-z_]*\":[^,}]*,?", ""))
                    .collect(Collectors.joining("\n"));
            finals[r] = ModelIO.read(TrainingStateFile.in(ck)).section("params");
        }
        assertTrue(runs[0].contains("\"hr\""), runs[0]);
        assertEquals(runs[0], runs[1]);
        KillAndResumeTest.assertBitEqual(finals[0], finals[1]);
    }

    private static String contents(Path dir) throws Exception {
        StringBuilder sb = new StringBuilder();
        try (Stream<Path> s = Files.list(dir).sorted()) {
            for (Path f : (Iterable<Path>) s::iterator)
                if (!f.getFileName().toString().equals("dataset.properties"))
                    sb.append(f.getFileName()).append(':').append(java.util.HexFormat.of().formatHex(
                            java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f)))).append('\n');
        }
        return sb.toString();
    }
}
