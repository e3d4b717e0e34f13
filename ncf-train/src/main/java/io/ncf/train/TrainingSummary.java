package io.ncf.train;

import java.util.List;

/**
 * End-of-run statistics as the seed prints them.
 *
 * @param firstEpochToHit first 0-based epoch whose HR reached the target, or -1
 * @param timeToTrain     seconds from the start of training to the end of that epoch's evaluation, or NaN
 * @param bestEpoch       epoch of the best HR, or -1 if no epoch was evaluated
 */
public record TrainingSummary(List<EpochReport> epochs, int firstEpochToHit, double timeToTrain, double timeToBest,
                              double bestHitRate, double bestNdcg, int bestEpoch, double totalSeconds) {

    public double minTrainTime() { return epochs.stream().mapToDouble(EpochReport::trainSeconds).min().orElse(Double.NaN); }

    public double avgTrainTime() { return epochs.stream().mapToDouble(EpochReport::trainSeconds).average().orElse(Double.NaN); }

    public double avgTrainThroughput() { return epochs.stream().mapToDouble(EpochReport::trainThroughput).average().orElse(Double.NaN); }

    public double minEvalTime() { return epochs.stream().filter(EpochReport::evaluated).mapToDouble(EpochReport::evalSeconds).min().orElse(Double.NaN); }

    public double avgEvalTime() { return epochs.stream().filter(EpochReport::evaluated).mapToDouble(EpochReport::evalSeconds).average().orElse(Double.NaN); }

    public double avgEvalThroughput() { return epochs.stream().filter(EpochReport::evaluated).mapToDouble(EpochReport::evalThroughput).average().orElse(Double.NaN); }
}
