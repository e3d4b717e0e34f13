package io.ncf.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Ownership of a checkpoint directory by one run at a time.
 *
 * <p>A run calls {@link #acquire} before doing any work and keeps the lock until it ends. The lock is an OS file
 * lock ({@link FileChannel#tryLock}) on {@code DIR/.ncf-run.lock}, not the mere existence of a marker file: the
 * OS releases it when the process ends in any way, SIGKILL and OOM-kill included, so a killed run never leaves a
 * stale lock that someone must delete by hand before {@code --resume}. While the lock is held, the file names
 * the holder (pid, host, start time, command line) so that a refused second run can say who is in the way.
 * The file itself stays in place after {@link #close()}; only the lock is released, and its contents are
 * meaningful only while someone holds it.
 *
 * <p>Within one JVM a directory can be held once: a second {@code acquire} of the same directory (from any
 * thread) fails like one from another process, until the first lock is closed. RunLock keeps a process-wide
 * table of held directories and never opens a second channel on a held lock file, because on Linux POSIX
 * record locks belong to the process and closing <em>any</em> descriptor of the file would silently release
 * them. For the same reason, code outside this class must not open the lock file: on JDK 17 / Linux, a plain
 * {@code Files.readString} of it in the holding JVM was seen to let another process take the directory. The
 * table also keeps every held lock reachable, so that the garbage collector cannot close its channel (which would
 * release it) while the run goes on.
 *
 * <p>Limits: advisory only (it excludes other RunLocks, not a process that ignores it); on network file systems
 * it is only as good as their locking (NFSv4 and lockd-backed NFSv3 honour it).
 */
public final class RunLock implements AutoCloseable {

    /** The lock file's name inside the checkpoint directory. */
    public static final String LOCK_FILE = ".ncf-run.lock";
    /** Files whose presence means a directory already holds a run (see {@link #requireFresh}). */
    public static final String STATE_FILE = "state.ncf", MODEL_FILE = "model.ncf";

    /*
     * The locked region: one byte far beyond the text written into the file, so that on systems with mandatory
     * locks (Windows) another process can still read who holds it. On Linux any region would do.
     */
    static final long LOCK_POSITION = Long.MAX_VALUE / 2;
    private static final int MAX_COMMAND_CHARS = 400, MAX_WORD_CHARS = 100;

    /** Lock files (real paths) held by this JVM; guards acquire and close. */
    private static final Map<Path, RunLock> HELD = new HashMap<>();

    private final Path dir, lockFile;
    private final FileChannel channel;
    private final FileLock lock;
    private final Holder self;
    private boolean closed; // guarded by HELD

    private RunLock(Path dir, Path lockFile, FileChannel channel, FileLock lock, Holder self) {
        this.dir = dir;
        this.lockFile = lockFile;
        this.channel = channel;
        this.lock = lock;
        this.self = self;
    }

    /**
     * Takes the directory for this run, creating it (and its parents) if needed. Never waits: a directory held by
     * another run is refused at once.
     *
     * @throws CheckpointDirInUseException when another process (or another acquire in this JVM) holds it
     * @throws UncheckedIOException        when the directory cannot be created or the file system cannot lock
     */
    public static RunLock acquire(Path dir) {
        Objects.requireNonNull(dir, "dir");
        Path real;
        try {
            Files.createDirectories(dir);
            real = dir.toRealPath();
        } catch (FileAlreadyExistsException e) {
            throw new UncheckedIOException("checkpoint directory " + dir + " exists and is not a directory", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create checkpoint directory " + dir + ": " + e, e);
        }
        Path file = real.resolve(LOCK_FILE);
        Holder me = Holder.current(); // outside the monitor: it may look up the host name
        synchronized (HELD) {
            RunLock mine = HELD.get(file);
            if (mine != null)
                throw new CheckpointDirInUseException(dir, mine.self.describe() + " (this process)", mine.self.pid);
            FileChannel ch = null;
            try {
                ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
                FileLock l;
                try {
                    l = ch.tryLock(LOCK_POSITION, 1, false);
                } catch (OverlappingFileLockException e) {
                    l = null; // held through a channel of this JVM opened outside RunLock (e.g. a hard link): still "in use"
                }
                if (l == null) {
                    Holder other = readHolder(ch);
                    ch.close();
                    throw new CheckpointDirInUseException(dir, other.describe(), other.pid);
                }
                byte[] text = me.fileText().getBytes(StandardCharsets.UTF_8);
                ch.truncate(0); // the previous holder's details, if any (it ended: we got the lock)
                ByteBuffer b = ByteBuffer.wrap(text);
                for (long pos = 0; b.hasRemaining(); ) pos += ch.write(b, pos);
                RunLock r = new RunLock(dir, file, ch, l, me);
                HELD.put(file, r);
                return r;
            } catch (IOException e) {
                closeQuietly(ch);
                throw new UncheckedIOException("cannot lock checkpoint directory " + dir + " (" + file + "): " + e, e);
            } catch (RuntimeException | Error e) {
                closeQuietly(ch); // idempotent: the in-use path closed it already
                throw e;
            }
        }
    }

    /**
     * Refuses a new run (not a resume) into a directory that already holds a run's {@value #STATE_FILE} or
     * {@value #MODEL_FILE}, unless {@code overwrite}. Call it after {@link #acquire}, so that no other run is
     * writing the files being described.
     *
     * @param describer says what the directory holds (e.g. "3 epochs done, best HR@10 0.6234, saved 2026-…"); it
     *                  is only called when something is there; null, or one that throws, gives a plainer message
     * @throws CheckpointDirNotEmptyException when the directory holds a run and {@code overwrite} is false
     */
    public static void requireFresh(Path dir, boolean overwrite, Function<Path, String> describer) {
        Objects.requireNonNull(dir, "dir");
        if (overwrite) return;
        List<String> present = new ArrayList<>();
        for (String f : new String[]{STATE_FILE, MODEL_FILE}) if (Files.exists(dir.resolve(f))) present.add(f);
        if (present.isEmpty()) return;
        String what = null;
        if (describer != null) {
            try {
                what = describer.apply(dir);
            } catch (RuntimeException e) {
                what = String.join(" and ", present) + ", which cannot be read: " + e.getMessage();
            }
        }
        if (what == null || what.isBlank()) what = String.join(" and ", present);
        throw new CheckpointDirNotEmptyException(dir, what);
    }

    /** {@link #requireFresh(Path, boolean, Function)} that names only the files found. */
    public static void requireFresh(Path dir, boolean overwrite) { requireFresh(dir, overwrite, null); }

    /** The directory as it was given to {@link #acquire}. */
    public Path dir() { return dir; }

    /** The lock file (under the directory's real path). */
    public Path lockFile() { return lockFile; }

    /** How this run describes itself in the lock file ("pid 1234 on host h, started …, command: …"). */
    public String holderDescription() { return self.describe(); }

    /** Whether this run still holds the directory. */
    public boolean isHeld() {
        synchronized (HELD) {
            return !closed && lock.isValid();
        }
    }

    /** Releases the lock (idempotent). The lock file stays; a later {@link #acquire} of the directory succeeds. */
    @Override
    public void close() {
        synchronized (HELD) {
            if (closed) return;
            closed = true;
            try {
                try {
                    lock.release();
                } finally {
                    channel.close();
                    HELD.remove(lockFile, this);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot release the lock of checkpoint directory " + dir + ": " + e, e);
            }
        }
    }

    @Override
    public String toString() { return "RunLock[" + dir + (isHeld() ? ", held" : ", released") + "]"; }

    /**
     * Reads the holder's details through our own channel (never open and close the file anew: see the class
     * comment). A holder writes them right after locking, so an empty file is retried briefly.
     */
    private static Holder readHolder(FileChannel ch) throws IOException {
        String text = "";
        for (int attempt = 0; attempt < 20; attempt++) {
            text = readAll(ch);
            if (text.contains("pid=")) break;
            try {
                Thread.sleep(25);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return Holder.parse(text);
    }

    private static String readAll(FileChannel ch) throws IOException {
        long size = Math.min(ch.size(), 1 << 20);
        ByteBuffer b = ByteBuffer.allocate((int) size);
        for (long pos = 0; b.hasRemaining(); ) {
            int n = ch.read(b, pos);
            if (n < 0) break;
            pos += n;
        }
        return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch == null) return;
        try {
            ch.close();
        } catch (IOException ignored) {
            // already failing
        }
    }

    /** Who holds a lock: the lock file's contents, {@code key=value} lines. */
    record Holder(long pid, String host, String started, String command, String raw) {

        static Holder current() {
            ProcessHandle p = ProcessHandle.current();
            String cmd = p.info().commandLine().orElseGet(() -> {
                String main = System.getProperty("sun.java.command");
                return main == null ? null : "java " + main;
            });
            return new Holder(p.pid(), hostName(), OffsetDateTime.now().truncatedTo(ChronoUnit.SECONDS).format(java.time.format.DateTimeFormatter.ISO_OFFSET_DATE_TIME), cmd, null);
        }

        static Holder parse(String text) {
            Map<String, String> m = new LinkedHashMap<>();
            for (String line : text.split("\n")) {
                int eq = line.indexOf('=');
                if (line.startsWith("#") || eq <= 0) continue;
                m.put(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
            }
            long pid = -1;
            try {
                if (m.containsKey("pid")) pid = Long.parseLong(m.get("pid"));
            } catch (NumberFormatException ignored) {
                // described from the raw text below
            }
            return new Holder(pid, m.get("host"), m.get("started"), m.get("command"), text.strip());
        }

        String fileText() {
            StringBuilder s = new StringBuilder("# ncf run lock: the process below holds this directory while it runs;\n"
                    + "# the OS releases the lock when it ends, and these lines then mean nothing\n");
            s.append("pid=").append(pid).append('\n');
            if (host != null) s.append("host=").append(oneLine(host)).append('\n');
            s.append("started=").append(started).append('\n');
            if (command != null) s.append("command=").append(oneLine(command)).append('\n');
            return s.toString();
        }

        /** "pid 1234 on host h, started 2026-…, command: …" (the command shortened). */
        String describe() {
            if (pid < 0) {
                if (raw == null || raw.isEmpty()) return "a process that has not recorded its details (yet)";
                return "a process that wrote: " + shorten(oneLine(raw));
            }
            StringBuilder s = new StringBuilder("pid ").append(pid);
            if (host != null && !host.isEmpty()) s.append(" on host ").append(host);
            if (started != null && !started.isEmpty()) s.append(", started ").append(started);
            if (command != null && !command.isEmpty()) s.append(", command: ").append(shortenCommand(command));
            return s.toString();
        }

        private static String oneLine(String s) { return s.replace('\r', ' ').replace('\n', ' '); }

        private static String shorten(String s) {
            return s.length() <= MAX_COMMAND_CHARS ? s : s.substring(0, MAX_COMMAND_CHARS) + "…";
        }

        /**
         * A command line fit for a one-line message: long words (class paths) keep their ends, and a line still too
         * long keeps its start (the program) and its end (main class and arguments, what tells runs apart).
         */
        static String shortenCommand(String command) {
            StringBuilder b = new StringBuilder();
            for (String w : command.strip().split(" ")) {
                if (b.length() > 0) b.append(' ');
                b.append(w.length() <= MAX_WORD_CHARS ? w : w.substring(0, 40) + "…" + w.substring(w.length() - 40));
            }
            String s = b.toString();
            if (s.length() <= MAX_COMMAND_CHARS) return s;
            int head = MAX_COMMAND_CHARS / 3;
            return s.substring(0, head) + " … " + s.substring(s.length() - (MAX_COMMAND_CHARS - head - 3));
        }

        /** The kernel's host name first: InetAddress may wait on DNS for seconds on a misconfigured machine. */
        private static String hostName() {
            try {
                Path k = Path.of("/proc/sys/kernel/hostname");
                if (Files.isReadable(k)) {
                    String h = Files.readString(k).trim();
                    if (!h.isEmpty()) return h;
                }
            } catch (IOException | RuntimeException ignored) {
                // try the others
            }
            for (String env : new String[]{"HOSTNAME", "COMPUTERNAME"}) {
                String h = System.getenv(env);
                if (h != null && !h.isBlank()) return h.trim();
            }
            try {
                return InetAddress.getLocalHost().getHostName();
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }
    }
}
