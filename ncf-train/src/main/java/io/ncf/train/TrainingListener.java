package io.ncf.train;

/** Observes a training run (log lines, JSON log, progress). All methods are optional. */
public interface TrainingListener {

    /** Something the user should know, e.g. a batch size larger than an epoch. */
    default void onWarning(String message) {}

    default void onStep(int epoch, int step, int stepsInEpoch, double meanLoss) {}

    default void onEpoch(EpochReport report) {}

    /**
     * A new best HR: the parameters just evaluated, flat in {@link io.ncf.core.ParamShapes} order of {@code config}
     * (valid only during the call; copy to keep).
     */
    default void onNewBest(EpochReport report, io.ncf.core.NeuMFConfig config, float[] params) {}

    default void onEnd(TrainingSummary summary) {}
}
