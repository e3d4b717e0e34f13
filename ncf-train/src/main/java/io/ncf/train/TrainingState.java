package io.ncf.train;

import io.ncf.train.engine.EngineState;

/**
 * Everything needed to continue a run after its last completed epoch: the loop's counters and the engine's state
 * ({@link EngineState}: parameters, Adam moments and step, loss scale). There is no separate random-generator state:
 * the samples of an epoch are a function of (seed, epoch) and the dropout mask of a step a function of (seed, global
 * step), so the seed (in the options), {@code nextEpoch} and {@code globalStep} are that state.
 *
 * @param nextEpoch      0-based epoch to run next (= epochs completed)
 * @param globalStep     optimizer steps taken by the loop so far (the dropout counter)
 * @param bestEpoch      -1 when no epoch was evaluated yet
 * @param firstToHit     first epoch whose HR reached the target, or -1
 * @param elapsedSeconds wall time of the run so far (the times to train/best continue from it)
 */
public record TrainingState(int nextEpoch, long globalStep, double bestHr, double bestNdcg, int bestEpoch,
                            int firstToHit, double timeToTrain, double timeToBest, double elapsedSeconds, EngineState engine) {

    public TrainingState {
        if (nextEpoch < 0 || globalStep < 0)
            throw new IllegalArgumentException("negative counter in training state: epoch " + nextEpoch + ", step " + globalStep);
        java.util.Objects.requireNonNull(engine, "engine state");
    }

    /** Adam's own step count (bias correction); equals globalStep unless steps were skipped or the run started from a checkpoint. */
    public long adamStep() { return engine.adamStep(); }
}
