package io.ncf.train;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * One run per checkpoint directory: refused while held (by this JVM or another process, with the holder named),
 * free again after close and after the holder is SIGKILLed (the OS drops its lock; no stale lock file to delete).
 */
class RunLockTest {

    @TempDir Path tmp;

    private static final long ME = ProcessHandle.current().pid();
    private final List<Child> children = new ArrayList<>();

    @AfterEach void killChildren() throws InterruptedException {
        for (Child c : children) {
            c.process.destroyForcibly();
            c.process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    // ---------------------------------------------------------------- one JVM

    @Test void acquireCreatesTheDirectoryAndRecordsTheHolderInTheLockFile() throws IOException {
        Path dir = tmp.resolve("a").resolve("b").resolve("ckpt");
        String text;
        try (RunLock lock = RunLock.acquire(dir)) {
            assertTrue(Files.isDirectory(dir));
            assertTrue(lock.isHeld());
            assertEquals(dir, lock.dir());
            assertEquals(dir.toRealPath().resolve(RunLock.LOCK_FILE), lock.lockFile());
            assertTrue(lock.holderDescription().startsWith("pid " + ME + " on host "), lock.holderDescription());
            assertTrue(lock.holderDescription().contains(", started "), lock.holderDescription());
        }
        // read only after close: opening the lock file anew in the holding JVM could drop a POSIX lock (see RunLock)
        text = Files.readString(dir.resolve(RunLock.LOCK_FILE));
        assertTrue(text.contains("pid=" + ME + "\n"), text);
        assertTrue(text.contains("\nhost="), text);
        assertTrue(text.matches("(?s).*\nstarted=\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d.*"), text);
    }

    @Test void aSecondAcquireInTheSameJvmIsRefusedNamingThisProcess() {
        Path dir = tmp.resolve("ckpt");
        try (RunLock first = RunLock.acquire(dir)) {
            CheckpointDirInUseException e = assertThrows(CheckpointDirInUseException.class, () -> RunLock.acquire(dir));
            assertEquals(dir, e.dir());
            assertEquals(ME, e.holderPid().orElseThrow());
            assertTrue(e.getMessage().startsWith("checkpoint directory " + dir + " is in use by another run: pid " + ME + " on host "), e.getMessage());
            assertTrue(e.getMessage().endsWith("(this process)"), e.getMessage());
            assertTrue(e.holderDescription().contains("started "), e.holderDescription());
            assertTrue(first.isHeld(), "a refused acquire must leave the holder's lock alone");
        }
    }

    @Test void aDirectoryIsFreeAgainAfterCloseAndTheLockFileStays() {
        Path dir = tmp.resolve("ckpt");
        RunLock first = RunLock.acquire(dir);
        first.close();
        first.close(); // idempotent
        assertFalse(first.isHeld());
        assertTrue(Files.isRegularFile(dir.resolve(RunLock.LOCK_FILE)), "only the lock is released, the file stays");
        for (int i = 0; i < 3; i++) {
            try (RunLock again = RunLock.acquire(dir)) {
                assertTrue(again.isHeld());
            }
        }
    }

    @Test void theSameDirectoryThroughASymbolicLinkIsTheSameLock() throws IOException {
        Path real = Files.createDirectories(tmp.resolve("real"));
        Path link = tmp.resolve("link");
        try {
            Files.createSymbolicLink(link, real);
        } catch (UnsupportedOperationException | IOException e) {
            assumeTrue(false, "no symbolic links here: " + e);
        }
        try (RunLock lock = RunLock.acquire(real)) {
            assertTrue(lock.isHeld());
            CheckpointDirInUseException e = assertThrows(CheckpointDirInUseException.class, () -> RunLock.acquire(link));
            assertTrue(e.getMessage().contains(link.toString()), e.getMessage());
        }
        try (RunLock lock = RunLock.acquire(link)) {
            assertTrue(lock.isHeld());
            assertThrows(CheckpointDirInUseException.class, () -> RunLock.acquire(real.resolve(".").resolve("..").resolve("real")));
        }
    }

    @Test void differentDirectoriesAreIndependent() {
        try (RunLock a = RunLock.acquire(tmp.resolve("a")); RunLock b = RunLock.acquire(tmp.resolve("b"))) {
            assertTrue(a.isHeld() && b.isHeld());
        }
    }

    @Test void aRegularFileIsNoCheckpointDirectory() throws IOException {
        Path file = Files.writeString(tmp.resolve("file"), "x");
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> RunLock.acquire(file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }

    @Test void concurrentAcquiresInOneJvmLetExactlyOneWin() throws Exception {
        Path dir = tmp.resolve("ckpt");
        int threads = 8, rounds = 20;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            for (int round = 0; round < rounds; round++) {
                CyclicBarrier start = new CyclicBarrier(threads);
                CyclicBarrier checked = new CyclicBarrier(threads);
                AtomicInteger refused = new AtomicInteger();
                List<RunLock> won = new CopyOnWriteArrayList<>();
                List<Future<?>> fs = new ArrayList<>();
                for (int t = 0; t < threads; t++)
                    fs.add(pool.submit(() -> {
                        start.await();
                        try {
                            won.add(RunLock.acquire(dir));
                        } catch (CheckpointDirInUseException e) {
                            assertEquals(ME, e.holderPid().orElseThrow());
                            refused.incrementAndGet();
                        }
                        checked.await(); // nobody closes before every thread has tried
                        return null;
                    }));
                for (Future<?> f : fs) f.get(60, TimeUnit.SECONDS);
                assertEquals(1, won.size(), "round " + round);
                assertEquals(threads - 1, refused.get(), "round " + round);
                won.get(0).close();
            }
        } finally {
            pool.shutdownNow();
        }
        try (RunLock after = RunLock.acquire(dir)) {
            assertTrue(after.isHeld());
        }
    }

    @Test void closingFromAnotherThreadReleases() throws Exception {
        Path dir = tmp.resolve("ckpt");
        RunLock lock = RunLock.acquire(dir);
        Thread t = new Thread(lock::close);
        t.start();
        t.join(30_000);
        try (RunLock again = RunLock.acquire(dir)) {
            assertTrue(again.isHeld());
        }
    }

    // ---------------------------------------------------------- two processes

    @Test void aDirectoryHeldByAnotherProcessIsRefusedNamingItsPidAndSigkillFreesIt() throws Exception {
        Path dir = tmp.resolve("ckpt");
        Child holder = start("hold", dir);
        long pid = holder.process.pid();
        assertEquals("LOCKED " + pid, holder.awaitLine("LOCKED"));

        CheckpointDirInUseException e = assertThrows(CheckpointDirInUseException.class, () -> RunLock.acquire(dir));
        assertEquals(pid, e.holderPid().orElseThrow(), e.getMessage());
        assertEquals(dir, e.dir());
        String m = e.getMessage();
        assertTrue(m.startsWith("checkpoint directory " + dir + " is in use by another run: pid " + pid + " on host "), m);
        assertTrue(m.contains(", started "), m);
        // the command is capped (a test class path runs to kilobytes), so the child's class name may be cut out of it
        assertTrue(m.contains(", command: ") && (m.contains(RunLockChild.class.getName()) || m.contains("…")), m);
        assertFalse(m.contains("(this process)"), m);

        holder.process.destroyForcibly(); // SIGKILL: no finally, no shutdown hook runs in the child
        assertTrue(holder.process.waitFor(60, TimeUnit.SECONDS), "child did not die");
        assertNotEquals(0, holder.process.exitValue());
        assertTrue(Files.isRegularFile(dir.resolve(RunLock.LOCK_FILE)), "the killed holder's lock file is still there ...");

        try (RunLock lock = RunLock.acquire(dir)) { // ... but its lock is gone
            assertTrue(lock.isHeld());
        }
        String text = Files.readString(dir.resolve(RunLock.LOCK_FILE));
        assertTrue(text.contains("pid=" + ME + "\n") && !text.contains("pid=" + pid + "\n"), "the dead holder's details are replaced: " + text);
    }

    @Test void anotherProcessIsRefusedWhileThisJvmHoldsEvenAfterARefusedSecondAcquireHere() throws Exception {
        Path dir = tmp.resolve("ckpt");
        try (RunLock lock = RunLock.acquire(dir)) {
            assertThrows(CheckpointDirInUseException.class, () -> RunLock.acquire(dir)); // must not drop our OS lock
            Child other = start("try", dir);
            assertEquals(2, other.exit(), other.output());
            String out = other.output();
            assertTrue(out.contains("IN USE: checkpoint directory " + dir + " is in use by another run: pid " + ME + " on host "), out);
            assertTrue(lock.isHeld());
        }
        Child after = start("try", dir);
        assertEquals(0, after.exit(), after.output());
        assertTrue(after.output().contains("ACQUIRED pid " + after.process.pid()), after.output());
    }

    @Test void aHolderThatExitsWithoutClosingLeavesNoLock() throws Exception {
        Path dir = tmp.resolve("ckpt");
        Child holder = start("hold", dir);
        holder.awaitLine("LOCKED");
        assertThrows(CheckpointDirInUseException.class, () -> RunLock.acquire(dir));
        holder.process.getOutputStream().close(); // the child leaves its read loop; exits normally
        assertTrue(holder.process.waitFor(60, TimeUnit.SECONDS));
        try (RunLock lock = RunLock.acquire(dir)) {
            assertTrue(lock.isHeld());
        }
    }

    // ------------------------------------------------------------ requireFresh

    @Test void aNewRunMayUseAnEmptyOrMissingDirectory() throws IOException {
        RunLock.requireFresh(tmp.resolve("missing"), false, d -> fail("nothing to describe"));
        Path dir = Files.createDirectories(tmp.resolve("empty"));
        Files.writeString(dir.resolve(RunLock.LOCK_FILE), "pid=1\n"); // a lock file alone is no run
        Files.writeString(dir.resolve("train.log"), "x");
        RunLock.requireFresh(dir, false, d -> fail("nothing to describe"));
    }

    @Test void aNewRunIntoADirectoryWithAStateIsRefusedNamingWhatIsThere() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("ckpt"));
        Files.writeString(dir.resolve(RunLock.STATE_FILE), "state");
        List<Path> described = new ArrayList<>();
        CheckpointDirNotEmptyException e = assertThrows(CheckpointDirNotEmptyException.class,
                () -> RunLock.requireFresh(dir, false, d -> {
                    described.add(d);
                    return "3 epochs done, best HR@10 0.6234 at epoch 2, saved 2026-01-02T03:04:05Z";
                }));
        assertEquals(List.of(dir), described);
        assertEquals(dir, e.dir());
        assertEquals("3 epochs done, best HR@10 0.6234 at epoch 2, saved 2026-01-02T03:04:05Z", e.existingRun());
        assertEquals(dir + " already holds a run (3 epochs done, best HR@10 0.6234 at epoch 2, saved 2026-01-02T03:04:05Z); "
                + "continue it with resume, or pass overwrite to replace it", e.getMessage());
    }

    @Test void aModelAloneAlsoCountsAsARun() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("ckpt"));
        Files.writeString(dir.resolve(RunLock.MODEL_FILE), "model");
        CheckpointDirNotEmptyException e = assertThrows(CheckpointDirNotEmptyException.class, () -> RunLock.requireFresh(dir, false));
        assertEquals(dir + " already holds a run (model.ncf); continue it with resume, or pass overwrite to replace it", e.getMessage());
        Files.writeString(dir.resolve(RunLock.STATE_FILE), "state");
        e = assertThrows(CheckpointDirNotEmptyException.class, () -> RunLock.requireFresh(dir, false, d -> null));
        assertEquals("state.ncf and model.ncf", e.existingRun());
    }

    @Test void overwriteAcceptsAnOccupiedDirectoryWithoutReadingIt() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("ckpt"));
        Files.writeString(dir.resolve(RunLock.STATE_FILE), "state");
        RunLock.requireFresh(dir, true, d -> fail("overwrite must not read the old run"));
        assertTrue(Files.exists(dir.resolve(RunLock.STATE_FILE)), "requireFresh deletes nothing");
    }

    @Test void anUnreadableStateStillRefusesAndSaysSo() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("ckpt"));
        Files.writeString(dir.resolve(RunLock.STATE_FILE), "garbage");
        CheckpointDirNotEmptyException e = assertThrows(CheckpointDirNotEmptyException.class,
                () -> RunLock.requireFresh(dir, false, d -> { throw new UncheckedIOException(new IOException("checksum mismatch")); }));
        assertTrue(e.getMessage().contains("(state.ncf, which cannot be read: ") && e.getMessage().contains("checksum mismatch"), e.getMessage());
    }

    // ------------------------------------------------------------ lock file text

    @Test void lockFileTextIsParsedBackAndOddContentsAreQuotedNotTrusted() {
        RunLock.Holder h = RunLock.Holder.parse("# c\npid=42\nhost=gpu7\nstarted=2026-01-02T03:04:05Z\ncommand=java -jar ncf.jar train\n");
        assertEquals(42, h.pid());
        assertEquals("pid 42 on host gpu7, started 2026-01-02T03:04:05Z, command: java -jar ncf.jar train", h.describe());
        assertEquals("a process that has not recorded its details (yet)", RunLock.Holder.parse("").describe());
        assertEquals("a process that wrote: hello world", RunLock.Holder.parse("hello\nworld\n").describe());
        assertEquals(-1, RunLock.Holder.parse("pid=x\n").pid());
        String d = RunLock.Holder.parse("pid=1\ncommand=java -cp " + "/a/b.jar:".repeat(500) + "/z.jar io.ncf.cli.NcfCli train -b 4096\n").describe();
        assertTrue(d.length() < 500, d);
        assertTrue(d.startsWith("pid 1, command: java -cp /a/b.jar:/a/b.jar") && d.contains("…") && d.endsWith("/a/b.jar:/z.jar io.ncf.cli.NcfCli train -b 4096"), d);
        String words = RunLock.Holder.shortenCommand("prog " + "arg ".repeat(300) + "last");
        assertTrue(words.length() <= 400 && words.startsWith("prog arg") && words.contains(" … ") && words.endsWith("arg last"), words);
        assertEquals("a raw: line", RunLock.Holder.parse("a raw: line").describe().substring("a process that wrote: ".length()));
    }

    // ------------------------------------------------------------------ helpers

    private Child start(String mode, Path dir) throws IOException {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Process p = new ProcessBuilder(java, "-Xmx64m", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "-cp", System.getProperty("java.class.path"), RunLockChild.class.getName(), mode, dir.toString())
                .redirectErrorStream(true).start();
        Child c = new Child(p);
        children.add(c);
        return c;
    }

    /** A child JVM whose output lines are collected by a daemon thread. */
    private static final class Child {
        final Process process;
        final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
        final StringBuffer all = new StringBuffer();
        final Thread reader;

        Child(Process process) {
            this.process = process;
            reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        all.append(line).append('\n');
                        lines.add(line);
                    }
                } catch (IOException ignored) {
                    // the child is gone
                }
            }, "child-" + process.pid());
            reader.setDaemon(true);
            reader.start();
        }

        String awaitLine(String prefix) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (System.nanoTime() < deadline) {
                String l = lines.poll(200, TimeUnit.MILLISECONDS);
                if (l != null && l.startsWith(prefix)) return l;
                if (l == null && !process.isAlive()) {
                    reader.join(10_000); // let it pass on the last lines
                    if (lines.isEmpty()) fail("child exited " + process.exitValue() + " before printing " + prefix + ":\n" + all);
                }
            }
            return fail("no " + prefix + " from the child within 90 s:\n" + all);
        }

        int exit() throws InterruptedException {
            assertTrue(process.waitFor(90, TimeUnit.SECONDS), "child still running:\n" + all);
            reader.join(10_000);
            return process.exitValue();
        }

        String output() { return all.toString(); }
    }
}
