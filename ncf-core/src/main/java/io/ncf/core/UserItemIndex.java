package io.ncf.core;

import java.util.Arrays;

/**
 * Every user's items as sorted rows (CSR): {@code items[offsets[u] .. offsets[u+1])}, ascending, no duplicates.
 * Used to verify negatives and to exclude seen items.
 */
public final class UserItemIndex {

    private final int[] offsets;
    private final int[] items;

    public UserItemIndex(int[] offsets, int[] items) {
        this.offsets = offsets;
        this.items = items;
    }

    /** Builds the index from parallel (user, item) arrays; duplicate pairs are kept once. */
    public static UserItemIndex build(int numUsers, int[] users, int[] items, int count) {
        int[] offsets = new int[numUsers + 1];
        for (int k = 0; k < count; k++) offsets[users[k] + 1]++;
        for (int u = 0; u < numUsers; u++) offsets[u + 1] += offsets[u];
        int[] fill = Arrays.copyOf(offsets, numUsers);
        int[] out = new int[count];
        for (int k = 0; k < count; k++) out[fill[users[k]]++] = items[k];
        int[] newOffsets = new int[numUsers + 1];
        int w = 0;
        for (int u = 0; u < numUsers; u++) {
            int from = offsets[u], to = offsets[u + 1];
            Arrays.sort(out, from, to);
            newOffsets[u] = w;
            for (int k = from; k < to; k++) if (k == from || out[k] != out[k - 1]) out[w++] = out[k];
        }
        newOffsets[numUsers] = w;
        return new UserItemIndex(newOffsets, w == count ? out : Arrays.copyOf(out, w));
    }

    public int numUsers() { return offsets.length - 1; }

    public boolean contains(int user, int item) {
        return Arrays.binarySearch(items, offsets[user], offsets[user + 1], item) >= 0;
    }

    public int count(int user) { return offsets[user + 1] - offsets[user]; }

    public int start(int user) { return offsets[user]; }

    public int end(int user) { return offsets[user + 1]; }

    /** The shared backing array; read {@code [start(u), end(u))}. Do not modify. */
    public int[] itemsArray() { return items; }

    public int[] offsetsArray() { return offsets; }

    public int[] items(int user) { return Arrays.copyOfRange(items, offsets[user], offsets[user + 1]); }

    public long size() { return items.length; }
}
