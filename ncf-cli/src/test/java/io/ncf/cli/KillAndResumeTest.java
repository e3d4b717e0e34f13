package io.ncf.cli;

import io.ncf.model.ModelIO;
import io.ncf.model.ParamSet;
import io.ncf.train.TrainingStateFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static io.ncf.cli.CliTestSupport.run;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A run killed with SIGKILL in the middle of an epoch and resumed with {@code --resume} ends with exactly the
 * parameters of an uninterrupted run with the same seed (bit for bit: the fused engine is deterministic for a
 * fixed thread count, and both runs use all the machine's cores).
 */
class KillAndResumeTest {

    @TempDir Path tmp;

    static final int EPOCHS = 4;

    static List<String> args(Path ckpt) {
        return new ArrayList<>(List.of("train", "-e", Integer.toString(EPOCHS), "--seed", "21", "-b", "2048", "--eval-after", "0",
                "--factors", "16", "--layers", "32", "16", "8", "--checkpoint-dir", ckpt.toString(), "--verbose"));
    }

    @Test void sigkillMidEpochThenResumeEqualsAnUninterruptedRun() throws Exception {
        Path killed = tmp.resolve("killed");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx1g", "-cp", System.getProperty("java.class.path"), NcfCli.class.getName()));
        cmd.addAll(args(killed));
        Path log = tmp.resolve("child.log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Path state = TrainingStateFile.in(killed);
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
            while (!Files.exists(state) && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(10);
            assertTrue(Files.exists(state), "no state after the first epoch; child output:\n" + Files.readString(log));
            // epoch 0's line is printed before its state is saved: sleep half an epoch, to land in the middle of epoch 1
            var m = Pattern.compile("Epoch: 00, Train Time: ([0-9.]+)").matcher(Files.readString(log));
            assertTrue(m.find(), "no epoch line in the child's output:\n" + Files.readString(log));
            Thread.sleep(Math.max(5, (long) (Double.parseDouble(m.group(1)) * 500)));
            assertTrue(p.isAlive(), "the child finished before it could be killed:\n" + Files.readString(log));
        } finally {
            p.destroyForcibly(); // SIGKILL on Unix
            p.waitFor(30, TimeUnit.SECONDS);
        }
        int savedEpochs = Integer.parseInt(ModelIO.read(state).meta().get("next_epoch"));
        assertTrue(savedEpochs >= 1 && savedEpochs < EPOCHS, "killed after " + savedEpochs + " epochs:\n" + Files.readString(log));

        CliTestSupport.Result resumed = run("train", "--resume", killed.toString(), "--verbose");
        assertEquals(0, resumed.exitCode(), resumed.err());
        assertTrue(resumed.out().contains("Resuming " + killed + " at epoch " + savedEpochs), resumed.out());

        Path full = tmp.resolve("full");
        CliTestSupport.Result straight = run(args(full).toArray(String[]::new));
        assertEquals(0, straight.exitCode(), straight.err());

        ParamSet a = ModelIO.read(TrainingStateFile.in(full)).section("params");
        ParamSet b = ModelIO.read(TrainingStateFile.in(killed)).section("params");
        assertBitEqual(a, b);
        // the best models (by HR) agree too, and so do the reported best HR lines
        assertBitEqual(ModelIO.read(full.resolve("model.ncf")).section("params"), ModelIO.read(killed.resolve("model.ncf")).section("params"));
        assertEquals(CliTestSupport.summaryValue(straight.out(), "Best HR:"), CliTestSupport.summaryValue(resumed.out(), "Best HR:"));

        // resuming a finished run trains nothing
        CliTestSupport.Result again = run("train", "--resume", killed.toString());
        assertEquals(0, again.exitCode(), again.err());
        assertTrue(again.out().contains("already completed all " + EPOCHS + " epochs"), again.out());
    }

    static void assertBitEqual(ParamSet a, ParamSet b) {
        for (String n : a.names()) {
            float[] x = a.get(n).data().asFloat(), y = b.get(n).data().asFloat();
            assertEquals(x.length, y.length, n);
            for (int i = 0; i < x.length; i++)
                assertEquals(Float.floatToRawIntBits(x[i]), Float.floatToRawIntBits(y[i]), () -> n + " differs");
        }
    }
}
