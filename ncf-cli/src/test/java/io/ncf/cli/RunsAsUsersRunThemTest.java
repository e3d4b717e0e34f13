package io.ncf.cli;

import io.ncf.model.ModelIO;
import io.ncf.serve.ModelArtifact;
import io.ncf.train.TrainingStateFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.ncf.cli.CliTestSupport.run;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Runs as users run them, in real child JVMs: killed with SIGKILL and continued by pressing the up arrow and
 * appending {@code --resume DIR}; stopped with SIGTERM mid-epoch (exit 143, a line with the command to continue, no
 * crash dump) and continued; and a second run into a directory that a run holds, refused at once.
 */
class RunsAsUsersRunThemTest {

    @TempDir Path tmp;

    static List<String> command(String engine, Path ckpt) {
        return new ArrayList<>(List.of("train", "--engine", engine, "--model", "gmf", "-e", "6", "--seed", "5", "-b", "4096", "--eval-after", "0",
                "--factors", "8", "--layers", "16", "8", "--checkpoint-dir", ckpt.toString(), "--verbose"));
    }

    Process start(List<String> args, Path log) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx2g", "-cp", System.getProperty("java.class.path"), NcfCli.class.getName()));
        cmd.addAll(args);
        return new ProcessBuilder(cmd).directory(tmp.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    static int savedEpochs(Path dir) throws IOException {
        Path state = TrainingStateFile.in(dir);
        return Files.exists(state) ? Integer.parseInt(ModelIO.readFlat(state).meta().get("next_epoch")) : 0;
    }

    /** Waits until the run in {@code dir} has saved {@code epochs} epochs and is some way into the next one. */
    static void awaitEpochs(Process p, Path dir, int epochs, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        while (savedEpochs(dir) < epochs && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(20);
        assertTrue(savedEpochs(dir) >= epochs, "no state after " + epochs + " epochs:\n" + Files.readString(log));
        Thread.sleep(300); // into the next epoch
        assertTrue(p.isAlive(), "the run finished before it could be stopped:\n" + Files.readString(log));
    }

    @Test void fusedStopsAndResumes() throws Exception { sigkillOrSigtermThenTheSameCommandWithResumeEndsLikeAnUninterruptedRun("fused"); }

    /** The graph engine takes minutes for these runs on 2 cores: in the e2e suite (CI runs it). */
    @org.junit.jupiter.api.Tag("e2e")
    @Test void sameDiffStopsAndResumes() throws Exception { sigkillOrSigtermThenTheSameCommandWithResumeEndsLikeAnUninterruptedRun("samediff"); }

    void sigkillOrSigtermThenTheSameCommandWithResumeEndsLikeAnUninterruptedRun(String engine) throws Exception {
        CliTestSupport.Result straight = run(command(engine, tmp.resolve("straight")).toArray(String[]::new));
        assertEquals(0, straight.exitCode(), straight.err());
        double bestHr = CliTestSupport.summaryValue(straight.out(), "Best HR:");

        // SIGKILL after epoch 2; then the exact command line plus --resume
        Path killed = tmp.resolve("killed");
        Path log = tmp.resolve("killed.log");
        Process p = start(command(engine, killed), log);
        try {
            awaitEpochs(p, killed, 2, log);
        } finally {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        int saved = savedEpochs(killed);
        assertTrue(saved >= 2 && saved < 6, saved + " epochs saved");
        List<String> again = command(engine, killed);
        again.addAll(List.of("--resume", killed.toString()));
        CliTestSupport.Result resumed = run(again.toArray(String[]::new)); // no stale lock: the OS released it
        assertEquals(0, resumed.exitCode(), resumed.err() + resumed.out());
        assertTrue(resumed.out().contains("Resuming " + killed + " at epoch " + saved), resumed.out());
        assertEquals(bestHr, CliTestSupport.summaryValue(resumed.out(), "Best HR:"), "best HR after SIGKILL + resume");

        // SIGTERM mid-epoch: exit 143, what was kept and how to continue, no crash dump; then resume
        Path stopped = tmp.resolve("stopped");
        Path log2 = tmp.resolve("stopped.log");
        Process q = start(command(engine, stopped), log2);
        awaitEpochs(q, stopped, 1, log2);
        q.destroy(); // SIGTERM
        assertTrue(q.waitFor(120, TimeUnit.SECONDS), "the run did not stop after SIGTERM:\n" + Files.readString(log2));
        String out = Files.readString(log2);
        assertEquals(143, q.exitValue(), out);
        assertTrue(out.contains("ncf: stopped by SIGTERM in epoch ") && out.contains("Continue with: ncf train --resume " + stopped), out);
        try (Stream<Path> files = Files.list(tmp)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().startsWith("hs_err")), "no JVM crash dump");
        }
        CliTestSupport.Result cont = run("train", "--resume", stopped.toString());
        assertEquals(0, cont.exitCode(), cont.err());
        assertEquals(bestHr, CliTestSupport.summaryValue(cont.out(), "Best HR:"), "best HR after SIGTERM + resume");
    }

    @Test void aSecondRunIntoALockedDirectoryIsRefusedAndTheFirstRunsFilesAreIntact() throws Exception {
        Path dir = tmp.resolve("shared");
        Path log = tmp.resolve("first.log");
        List<String> first = command("fused", dir);
        first.set(first.indexOf("-e") + 1, "3");
        Process p = start(first, log);
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!Files.exists(dir.resolve(".ncf-run.lock")) && System.nanoTime() < deadline) Thread.sleep(20);
            Thread.sleep(500);
            CliTestSupport.Result second = run(command("fused", dir).toArray(String[]::new));
            assertEquals(2, second.exitCode(), second.out() + second.err());
            assertTrue(second.err().contains("is in use by another run: pid " + p.pid()), second.err());
            assertTrue(p.waitFor(300, TimeUnit.SECONDS), "first run did not finish");
        } finally {
            p.destroyForcibly();
        }
        assertEquals(0, p.exitValue(), Files.readString(log));
        assertEquals(3, savedEpochs(dir));
        assertNotNull(ModelArtifact.read(dir.resolve(ModelArtifact.FILE_NAME)).flatParams(), "the first run's artifact verifies");
        ModelIO.readFlat(dir.resolve("model.ncf"));

        // a new run into the finished run's directory needs --overwrite, and says what is there
        CliTestSupport.Result fresh = run(command("fused", dir).toArray(String[]::new));
        assertEquals(2, fresh.exitCode());
        assertTrue(fresh.err().contains("already holds a run (3 epoch(s) done, best HR "), fresh.err());
        assertTrue(fresh.err().contains("--resume " + dir) && fresh.err().contains("--overwrite"), fresh.err());
        List<String> over = command("fused", dir);
        over.set(over.indexOf("-e") + 1, "1");
        over.add("--overwrite");
        CliTestSupport.Result replaced = run(over.toArray(String[]::new));
        assertEquals(0, replaced.exitCode(), replaced.err());
        assertEquals(1, savedEpochs(dir), "the new run's state replaced the old one");
    }
}
