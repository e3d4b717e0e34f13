package io.ncf.train;

import io.ncf.model.ParamSet;

/**
 * Everything needed to continue a run after its last completed epoch. There is no separate random-generator
 * state: the negatives of an epoch are a function of (seed, epoch) and the dropout mask of a step a function of
 * (seed, global step), so the seed (in the options), {@code nextEpoch} and {@code globalStep} are that state.
 * Training is plain FP32 with no loss scaling, so there is no loss-scale state either.
 *
 * @param nextEpoch      0-based epoch to run next (= epochs completed)
 * @param globalStep     Adam steps taken by the trainer so far (the dropout counter)
 * @param adamStep       Adam's own step count (bias correction); equals globalStep unless the run started from a checkpoint
 * @param bestEpoch      -1 when no epoch was evaluated yet
 * @param firstToHit     first epoch whose HR reached the target, or -1
 * @param elapsedSeconds wall time of the run so far (the times to train/best continue from it)
 */
public record TrainingState(int nextEpoch, long globalStep, long adamStep, double bestHr, double bestNdcg, int bestEpoch,
                            int firstToHit, double timeToTrain, double timeToBest, double elapsedSeconds,
                            ParamSet params, ParamSet adamM, ParamSet adamV) {

    public TrainingState {
        if (nextEpoch < 0 || globalStep < 0 || adamStep < 0)
            throw new IllegalArgumentException("negative counter in training state: epoch " + nextEpoch + ", step " + globalStep + ", adam step " + adamStep);
        if (!params.config().equals(adamM.config()) && !ParamSet.shapes(params.config()).keySet().equals(ParamSet.shapes(adamM.config()).keySet()))
            throw new IllegalArgumentException("Adam moments do not match the parameters");
    }
}
