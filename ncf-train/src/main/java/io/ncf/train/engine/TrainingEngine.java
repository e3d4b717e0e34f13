package io.ncf.train.engine;

import io.ncf.data.Progress;
import io.ncf.eval.EvalResult;
import io.ncf.train.LossScaler;

/**
 * The seam between the training loop and an engine: an engine owns whole optimizer steps on the device that holds
 * its parameters — the samples of the step (from a sampling plan that is a pure function of seed, epoch and
 * position), forward, backward, loss scaling (overflow check and skip) and the Adam update — and evaluation where
 * its parameters are. The loop ({@link io.ncf.train.Trainer}) owns everything else: epochs, the evaluation
 * schedule, the best-model checkpoint, state file and resume, target and divergence stops, logs, progress.
 *
 * <p>Parameters and optimizer state cross the seam only as snapshots ({@link EngineState}, {@link #parameters()}):
 * flat FP32 arrays in {@link io.ncf.core.ParamShapes} order. No ND4J type appears here, so an engine whose
 * runtime has no ND4J (the GPU engine) implements it as readily as the CPU engines do.
 *
 * <p>Per epoch the loop calls {@link #beginEpoch} once, then {@link #steps} for steps {@code 0 .. steps-1} in order,
 * {@link #stepsPerCall} at a time (one step a call unless the engine asks for more), then (when the schedule says so)
 * {@link #evaluate}. One thread drives an engine.
 */
public interface TrainingEngine extends AutoCloseable {

    /** One line for logs: engine, device, precision. */
    String describe();

    /** Draws (or plans) the samples of a 0-based epoch; the answer says how many steps it has. */
    EpochShape beginEpoch(int epoch);

    /**
     * One optimizer step: step {@code stepInEpoch} of the epoch begun last. {@code globalStep} counts the steps of the
     * whole run (dropout masks are a function of it), so a resumed run draws what an uninterrupted one would.
     */
    StepResult step(int stepInEpoch, long globalStep);

    /**
     * How many consecutive steps the engine would like per call of {@link #steps} (Keras's {@code steps_per_execution}):
     * 1 for an engine whose step starts cheaply; more for one whose every call costs a round trip (a Spark job), so
     * that round trip is paid once per many steps. The loop never asks for more than the rest of the epoch.
     */
    default int stepsPerCall() { return 1; }

    /**
     * Steps {@code first .. first+count-1} of the epoch begun last, in order; {@code globalStep} is that of the first.
     * The answer has one result per step run: all {@code count} of them, or fewer when a step's loss was not finite
     * (then the last result is that step's, and no step after it ran). The default calls {@link #step} for each.
     */
    default StepResult[] steps(int first, int count, long globalStep) {
        StepResult[] out = new StepResult[count];
        for (int k = 0; k < count; k++) out[k] = step(first + k, globalStep + k);
        return out;
    }

    /** HR@K and NDCG@K of the current parameters on the dataset's evaluation candidates, computed where they are. */
    EvalResult evaluate(Progress progress);

    /** The current parameters, flat (a copy the caller owns). */
    float[] parameters();

    /** Everything needed to continue: parameters, Adam's moments and step count, the loss scaler's state (copies). */
    EngineState snapshot();

    /** The loss scaler this engine steps with (for logs; the engine updates it). */
    LossScaler lossScaler();

    @Override default void close() {}

    /** The shape of an epoch as the engine runs it (an engine may drop a last partial batch). */
    record EpochShape(long samples, int steps) {}

    /**
     * What one step did.
     *
     * @param lossSum sum of the unweighted per-sample losses of the step's samples
     * @param samples samples in the step
     * @param applied false when the step was skipped (a gradient overflowed under loss scaling)
     */
    record StepResult(double lossSum, int samples, boolean applied) {}
}
