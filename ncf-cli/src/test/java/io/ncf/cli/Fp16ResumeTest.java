package io.ncf.cli;

import io.ncf.train.TrainingStateFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.ncf.cli.CliTestSupport.run;
import static org.junit.jupiter.api.Assertions.*;

/** A resumed --fp16 run continues with the loss scale it had reached, and ends where an uninterrupted run ends. */
class Fp16ResumeTest {

    @TempDir Path tmp;

    @Test void resumedFp16RunMatchesAnUninterruptedOne() throws Exception {
        StringBuilder sb = new StringBuilder();
        java.util.Random rnd = new java.util.Random(4);
        for (int u = 0; u < 24; u++) for (int k = 0; k < 20; k++) sb.append(u).append(',').append((u * 7 + k * 3 + rnd.nextInt(3)) % 50).append(',').append(k).append('\n');
        Path csv = tmp.resolve("r.csv");
        Files.writeString(csv, sb.toString());
        Path data = tmp.resolve("ds");
        assertEquals(0, run("prepare", "--input", csv.toString(), "--format", "csv", "--timestamp-column", "2", "--output", data.toString(),
                "--valid-negative", "10", "--min-ratings", "5").exitCode());
        // a short growth window makes the scale change within the run, so a reset on resume would show
        List<String> common = List.of("--data", data.toString(), "-b", "512", "--eval-after", "0", "-k", "5", "--seed", "9", "--fp16", "--engine", "samediff",
                "--loss-scale-window", "3", "--factors", "4", "--layers", "8", "4");
        Path whole = tmp.resolve("whole"), parts = tmp.resolve("parts");
        CliTestSupport.Result a = run(concat(common, "-e", "3", "--checkpoint-dir", whole.toString()));
        assertEquals(0, a.exitCode(), a.err());
        CliTestSupport.Result b1 = run(concat(common, "-e", "2", "--checkpoint-dir", parts.toString()));
        assertEquals(0, b1.exitCode(), b1.err());
        var mid = TrainingStateFile.read(parts);
        assertTrue(mid.state().engine().hasLossScale(), "state file records the loss scale");
        float midScale = mid.state().engine().lossScale();
        assertNotEquals(32768f, midScale, "the scale grew during the first two epochs (window 3)");

        CliTestSupport.Result b2 = run("train", "--resume", parts.toString(), "-e", "3");
        assertEquals(0, b2.exitCode(), b2.err() + b2.out());
        var endA = TrainingStateFile.read(whole).state().engine();
        var endB = TrainingStateFile.read(parts).state().engine();
        assertArrayEquals(endA.params(), endB.params(), "parameters after resume equal the uninterrupted run's");
        assertArrayEquals(endA.adamV(), endB.adamV(), "and so do Adam's moments");
        assertEquals(endA.lossScale(), endB.lossScale());
        assertEquals(endA.lossScaleGoodSteps(), endB.lossScaleGoodSteps());

        CliTestSupport.Result bad = run("train", "--resume", parts.toString(), "-e", "4", "--loss-scale", "8");
        assertEquals(2, bad.exitCode());
        assertTrue(bad.err().contains("--loss-scale: saved dynamic, given 8.0"), bad.err());
    }

    private static String[] concat(List<String> common, String... more) {
        String[] all = new String[1 + common.size() + more.length];
        all[0] = "train";
        for (int i = 0; i < common.size(); i++) all[1 + i] = common.get(i);
        System.arraycopy(more, 0, all, 1 + common.size(), more.length);
        return all;
    }
}
