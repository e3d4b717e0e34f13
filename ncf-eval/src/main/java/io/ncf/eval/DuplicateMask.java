package io.ncf.eval;

import io.ncf.data.EvalCandidates;

import java.util.Arrays;

/**
 * Marks, per candidate row, every negative that repeats an item already in the row (the held-out item or an
 * earlier negative). Computed once per candidate set; O(total candidates) with a stamp array per item.
 */
public final class DuplicateMask {

    private DuplicateMask() {}

    public static boolean[] of(EvalCandidates c, int numItems) {
        int w = c.width();
        int[] items = c.items();
        boolean[] masked = new boolean[items.length];
        int[] stamp = new int[numItems];
        Arrays.fill(stamp, -1);
        for (int r = 0; r < c.numUsers(); r++) {
            int base = r * w;
            for (int j = 0; j < w; j++) {
                int it = items[base + j];
                if (it < 0 || it >= numItems)
                    throw new IllegalArgumentException("candidate row " + r + " has item " + it + " outside [0, " + numItems + ")");
                if (stamp[it] == r) masked[base + j] = j > 0; // column 0 (held-out) is never masked
                else stamp[it] = r;
            }
        }
        return masked;
    }
}
