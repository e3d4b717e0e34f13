package io.ncf.model.fused;

/**
 * The distinct rows of one embedding table touched in a step, for {@link AdamKernels#rows}. Marking is O(1) per id
 * (a bit set), the row list is kept in first-touch order, and {@link #clear} costs O(rows touched), so the set is
 * reused across steps without reallocating.
 */
public final class TouchedRows {

    private final long[] bits;
    private final int[] rows;
    private int count;

    public TouchedRows(int tableRows) {
        bits = new long[(tableRows + 63) >>> 6];
        rows = new int[tableRows];
    }

    /** Marks {@code ids[from..from+n)}. */
    public void mark(int[] ids, int from, int n) {
        for (int k = from; k < from + n; k++) {
            int r = ids[k];
            long bit = 1L << r;
            int word = r >>> 6;
            if ((bits[word] & bit) == 0) {
                bits[word] |= bit;
                rows[count++] = r;
            }
        }
    }

    public int count() { return count; }

    /** The touched rows in [0, count()); the array is owned by this set. */
    public int[] rows() { return rows; }

    public void clear() {
        for (int k = 0; k < count; k++) bits[rows[k] >>> 6] = 0;
        count = 0;
    }
}
