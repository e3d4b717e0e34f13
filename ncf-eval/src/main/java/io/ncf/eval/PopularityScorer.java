package io.ncf.eval;

import io.ncf.core.Scorer;

/** The item-popularity baseline: an item's score is its number of training interactions, whatever the user. */
public final class PopularityScorer implements Scorer {

    private final float[] counts;

    public PopularityScorer(int numItems, int[] trainItems) {
        counts = new float[numItems];
        for (int it : trainItems) counts[it]++;
    }

    @Override public void score(int[] users, int[] items, int count, float[] out) {
        for (int k = 0; k < count; k++) out[k] = counts[items[k]];
    }
}
