package io.ncf.train;

/**
 * What one epoch did. {@code evaluated} is false for epochs before {@code --eval-after}; then hr/ndcg are NaN.
 *
 * @param loss mean training loss over the epoch's samples
 */
public record EpochReport(int epoch, double trainSeconds, long samples, int steps, double loss,
                          boolean evaluated, double evalSeconds, long evalSamples, double hitRate, double ndcg,
                          boolean newBest) {

    public double trainThroughput() { return samples / trainSeconds; }

    public double evalThroughput() { return evaluated ? evalSamples / evalSeconds : Double.NaN; }
}
