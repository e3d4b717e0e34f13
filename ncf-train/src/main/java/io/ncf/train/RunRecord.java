package io.ncf.train;

import java.util.List;

/**
 * What a run carries from epoch to epoch for the seed's end-of-run statistics: the best HR so far and when the
 * target HR was first reached, with times measured from the start of the run. The CPU trainer and the GPU loop
 * both keep one, so they decide "new best" and report times the same way.
 */
public final class RunRecord {

    private final double target;
    private double bestHr = -1, bestNdcg = Double.NaN, timeToTrain = Double.NaN, timeToBest = Double.NaN;
    private int bestEpoch = -1, firstToHit = -1;

    public RunRecord(double targetHr) { this.target = targetHr; }

    /** Continues the record of an interrupted run. */
    public static RunRecord resumed(double targetHr, TrainingState s) {
        RunRecord r = new RunRecord(targetHr);
        r.bestHr = s.bestEpoch() < 0 ? -1 : s.bestHr();
        r.bestNdcg = s.bestNdcg();
        r.bestEpoch = s.bestEpoch();
        r.firstToHit = s.firstToHit();
        r.timeToTrain = s.timeToTrain();
        r.timeToBest = s.timeToBest();
        return r;
    }

    /** True when an evaluation with this HR would be a new best (strictly higher, as the seed). */
    public boolean isNewBest(double hitRate) { return hitRate > bestHr; }

    /** Records an evaluated epoch, {@code elapsedSeconds} after the run started; returns whether it is a new best. */
    public boolean recordEvaluation(int epoch, double hitRate, double ndcg, double elapsedSeconds) {
        if (firstToHit < 0 && hitRate >= target) {
            firstToHit = epoch;
            timeToTrain = elapsedSeconds;
        }
        if (!isNewBest(hitRate)) return false;
        bestHr = hitRate;
        bestNdcg = ndcg;
        bestEpoch = epoch;
        timeToBest = elapsedSeconds;
        return true;
    }

    public double bestHr() { return bestHr; }
    public double bestNdcg() { return bestNdcg; }
    public int bestEpoch() { return bestEpoch; }
    public int firstToHit() { return firstToHit; }
    public double timeToTrain() { return timeToTrain; }
    public double timeToBest() { return timeToBest; }

    public TrainingSummary summary(List<EpochReport> reports, double totalSeconds) {
        return new TrainingSummary(List.copyOf(reports), firstToHit, timeToTrain, timeToBest,
                bestEpoch < 0 ? Double.NaN : bestHr, bestNdcg, bestEpoch, totalSeconds);
    }
}
