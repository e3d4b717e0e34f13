package io.ncf.model.fused;

/**
 * A call's samples reordered by one id (a stable counting sort), with each sample's offset in the original order.
 *
 * <p>Why: the embedding-row gather and scatter-add read and write random 256 B–1 KB rows of tables far larger than
 * the caches (ml-20m: 141 MB of projected user rows and as much again of their gradient accumulators), so they run at
 * DRAM latency. A global step's gradient is a sum over its samples, so their order within the step is free: grouped
 * by user, a user's rows are fetched once and hit L1 for its next samples, and the rows that are fetched come in
 * ascending address order. Only the summation order of the gradients changes. Dropout stays keyed by each sample's
 * original position ({@link #offset}), so a sample gets the same mask sorted or not.
 */
final class SampleOrder {

    int[] users = new int[0], items = new int[0], offset = new int[0];
    float[] labels = new float[0];
    private int[] start = new int[0];

    /**
     * Fills the first {@code count} entries of {@link #users}, {@link #items}, {@link #labels} with samples
     * {@code [from, from + count)} ordered by {@code byUser ? user : item} (ties in their original order), and
     * {@link #offset} with each one's index minus {@code from}. Ids must already be checked to lie in
     * {@code [0, keys)}.
     */
    void sort(int[] u, int[] it, float[] y, int from, int count, boolean byUser, int keys) {
        if (users.length < count) {
            users = new int[count];
            items = new int[count];
            offset = new int[count];
            labels = new float[count];
        }
        if (start.length < keys + 1) start = new int[keys + 1];
        else java.util.Arrays.fill(start, 0, keys + 1, 0);
        int[] key = byUser ? u : it;
        for (int s = from; s < from + count; s++) start[key[s] + 1]++;
        for (int k = 0; k < keys; k++) start[k + 1] += start[k];
        // scatter only the offsets, then gather the samples in order: random reads are cheaper than random writes
        for (int s = from; s < from + count; s++) offset[start[key[s]]++] = s - from;
        for (int at = 0; at < count; at++) {
            int s = from + offset[at];
            users[at] = u[s];
            items[at] = it[s];
            labels[at] = y[s];
        }
    }
}
