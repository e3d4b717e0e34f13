package io.ncf.cli;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static io.ncf.cli.CliTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

/** --workers 2 trains MovieLens 100K to the same HR@10 as one worker (same samples, masks and Adam steps). Minutes: e2e. */
@Tag("e2e")
class DataParallelEndToEndTest {

    @TempDir Path tmp;

    @Test void twoWorkersMatchOneOnMovieLens100k() {
        Path ratings = sharedData("ml-100k/u.data");
        Path data = tmp.resolve("dataset");
        Result prep = run("prepare", "--input", ratings.toString(), "--format", "ml-100k", "--output", data.toString(), "--seed", "1");
        assertEquals(0, prep.exitCode(), prep.err());
        double one = bestHr(data, "1"), two = bestHr(data, "2");
        System.out.printf("ml-100k best HR@10: --workers 1 %.4f, --workers 2 %.4f%n", one, two);
        assertTrue(one >= 0.55, "one worker learned: " + one);
        // one worker repeats bit for bit; two workers' runs of the same seed vary from run to run on this machine
        // (measured 0.6543, 0.6607, 0.6628, 0.6649 with one worker at 0.6543-0.6596), so the bound is that spread's
        assertEquals(one, two, 0.015, "--workers 2 within 0.015 of --workers 1");
    }

    private static double bestHr(Path data, String workers) {
        Result r = run("train", "--data", data.toString(), "-b", "4096", "-e", "10", "--seed", "1", "--workers", workers);
        assertEquals(0, r.exitCode(), r.err() + r.out());
        assertTrue(r.out().startsWith("Backend: "), r.out());
        return summaryValue(r.out(), "Best HR:");
    }
}
