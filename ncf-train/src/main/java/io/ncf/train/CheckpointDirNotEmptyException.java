package io.ncf.train;

import java.nio.file.Path;

/**
 * A new run (not a resume) was pointed at a checkpoint directory that already holds a run's state or model.
 * Starting over there would silently replace a run someone may still want to continue, so it takes an explicit
 * {@code overwrite} (the CLI's {@code --overwrite}); see {@link RunLock#requireFresh}.
 */
public final class CheckpointDirNotEmptyException extends RuntimeException {

    private final transient Path dir;
    private final String existingRun;

    /** @param existingRun what the directory holds, e.g. {@code "3 epochs done, best HR@10 0.6234 at epoch 2, saved 2026-…"} */
    public CheckpointDirNotEmptyException(Path dir, String existingRun) {
        super(dir + " already holds a run (" + existingRun + "); continue it with resume, or pass overwrite to replace it");
        this.dir = dir;
        this.existingRun = existingRun;
    }

    /** The checkpoint directory. */
    public Path dir() { return dir; }

    /** The description of the run found there (the caller's describer output, or the files found). */
    public String existingRun() { return existingRun; }
}
