package io.ncf.core;

/**
 * Scores (user, item) pairs: higher means more likely to interact. Evaluation depends only on this,
 * not on how a model computes its scores. Implementations run in inference mode (no dropout).
 */
public interface Scorer {
    /** Writes the score (a logit, or any monotone function of it) of pair k into {@code out[k]}, for k in [0, count). */
    void score(int[] users, int[] items, int count, float[] out);
}
