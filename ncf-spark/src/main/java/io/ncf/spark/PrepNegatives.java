package io.ncf.spark;

import io.ncf.data.Preprocessor;

import java.util.Arrays;

/**
 * On the executors: a user's evaluation negatives, drawn by ncf prepare's own {@link Preprocessor#sampleNegatives}
 * from the user's {@code (seed, user)} stream, so that the candidates equal ncf prepare's whatever the partitioning.
 */
final class PrepNegatives {

    private PrepNegatives() {}

    /** @param seen the user's items (any order): every one is excluded from the draw */
    static int[] draw(long seed, int user, int[] seen, int numItems, int count) {
        int[] sorted = seen.clone();
        Arrays.sort(sorted); // the draw looks items up by binary search
        int[] out = new int[count];
        Preprocessor.sampleNegatives(seed, user, sorted, 0, sorted.length, numItems, out, 0, count);
        return out;
    }
}
