package io.ncf.train;

import java.io.PrintWriter;

/** With --verbose, a line per epoch after the seed's epoch line: the loss scale now and the steps skipped. */
public final class LossScaleLogLine implements TrainingListener {

    private final PrintWriter out;
    private final LossScaler scaler;

    public LossScaleLogLine(PrintWriter out, LossScaler scaler) {
        this.out = out;
        this.scaler = scaler;
    }

    @Override public void onEpoch(EpochReport r) {
        out.printf("Epoch: %02d, Loss Scale: %.0f, Skipped Steps: %d of %d%n", r.epoch(), scaler.lossScale(), scaler.skippedThisEpoch(), r.steps());
        out.flush();
    }
}
