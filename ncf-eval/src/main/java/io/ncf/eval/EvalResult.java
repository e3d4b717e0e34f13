package io.ncf.eval;

/**
 * Sampled-protocol metrics over all evaluated users.
 *
 * @param samples   candidate pairs scored
 * @param seconds   wall time of scoring and ranking
 */
public record EvalResult(double hitRate, double ndcg, int k, int users, long samples, double seconds) {

    public double samplesPerSecond() { return seconds > 0 ? samples / seconds : Double.POSITIVE_INFINITY; }
}
