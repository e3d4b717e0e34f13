package io.ncf.train;

import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * Another run holds the {@link RunLock} of a checkpoint directory. Two runs writing one directory would interleave
 * their {@code state.ncf} and {@code model.ncf} (each rename is atomic, the pair is not), so the second run must
 * stop before doing any work; the CLI turns this into exit status 2.
 */
public final class CheckpointDirInUseException extends RuntimeException {

    private final transient Path dir;
    private final String holderDescription;
    private final long holderPid;

    /**
     * @param holderDescription who holds the lock, as read from the lock file, e.g.
     *                          {@code "pid 1234 on host h, started 2026-01-02T03:04:05Z, command: java -jar ncf.jar train …"}
     * @param holderPid         the holder's pid, or -1 when the lock file did not say
     */
    public CheckpointDirInUseException(Path dir, String holderDescription, long holderPid) {
        super("checkpoint directory " + dir + " is in use by another run: " + holderDescription);
        this.dir = dir;
        this.holderDescription = holderDescription;
        this.holderPid = holderPid;
    }

    /** The checkpoint directory that is locked. */
    public Path dir() { return dir; }

    /** Who holds it (pid, host, start time, command line as far as known). */
    public String holderDescription() { return holderDescription; }

    /** The holder's process id, when the lock file records it. */
    public OptionalLong holderPid() { return holderPid < 0 ? OptionalLong.empty() : OptionalLong.of(holderPid); }
}
