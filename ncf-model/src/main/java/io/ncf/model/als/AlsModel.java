package io.ncf.model.als;

import io.ncf.core.Scorer;

/**
 * A factorization model: {@code score(u, i) = <x_u, y_i>}, the users' and items' factors row-major in two arrays.
 * Immutable once trained; scoring is thread-safe.
 */
public final class AlsModel implements Scorer {

    private final int rank, numUsers, numItems;
    private final float[] userFactors, itemFactors;

    AlsModel(int rank, int numUsers, int numItems, float[] userFactors, float[] itemFactors) {
        this.rank = rank;
        this.numUsers = numUsers;
        this.numItems = numItems;
        this.userFactors = userFactors;
        this.itemFactors = itemFactors;
    }

    public int rank() { return rank; }

    public int numUsers() { return numUsers; }

    public int numItems() { return numItems; }

    /** A copy of user {@code u}'s factors. */
    public float[] userFactors(int u) { return java.util.Arrays.copyOfRange(userFactors, u * rank, (u + 1) * rank); }

    /** A copy of item {@code i}'s factors. */
    public float[] itemFactors(int i) { return java.util.Arrays.copyOfRange(itemFactors, i * rank, (i + 1) * rank); }

    @Override public void score(int[] users, int[] items, int count, float[] out) {
        for (int k = 0; k < count; k++) {
            int u = users[k] * rank, i = items[k] * rank;
            float s = 0;
            for (int f = 0; f < rank; f++) s += userFactors[u + f] * itemFactors[i + f];
            out[k] = s;
        }
    }
}
