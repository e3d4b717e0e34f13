package io.ncf.train;

/**
 * A run stopped by {@link Trainer#cancel()} (or SIGTERM / Ctrl-C on the command line) at a step boundary. Nothing of
 * the interrupted epoch was saved; the state of the last completed epoch, if any, is what a resumed run continues
 * from.
 */
public final class TrainingCancelledException extends RuntimeException {
    private final int epoch, step, completedEpochs;

    public TrainingCancelledException(int epoch, int step, int completedEpochs) {
        super("training cancelled in epoch " + epoch + " before step " + step + "; " + completedEpochs + " epoch(s) completed");
        this.epoch = epoch;
        this.step = step;
        this.completedEpochs = completedEpochs;
    }

    public int epoch() { return epoch; }

    public int step() { return step; }

    /** Epochs whose state was kept (0-based next epoch of a resumed run). */
    public int completedEpochs() { return completedEpochs; }
}
