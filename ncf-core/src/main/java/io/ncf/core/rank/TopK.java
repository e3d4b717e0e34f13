package io.ncf.core.rank;

/**
 * Selection over one row of scores, shared by every ranker so that they order items alike: higher score first,
 * NaN last, equal scores to the lower item index. A bounded min-heap of k entries: O(n log k), and for a row of
 * tens of thousands of items against k = 10 almost every item is one comparison with the heap's root.
 */
public final class TopK {

    private TopK() {}

    /** Item a ranks before item b. */
    public static boolean better(float x, int a, float y, int b) {
        if (x != x || y != y) return y != y ? (x == x || a < b) : false;   // NaN ranks last; two NaNs by index
        return x > y || (x == y && a < b);
    }

    /**
     * The best {@code k} items of {@code row[0 .. n)} whose {@code skip[i]} is false (skip may be null), best first,
     * into {@code items[off ..]} / {@code scores[off ..]}; returns how many (min(k, allowed items)).
     *
     * @param heap scratch of at least k entries
     */
    public static int select(float[] row, int n, boolean[] skip, int k, int[] heap, int[] items, float[] scores, int off) {
        int size = 0;
        for (int i = 0; i < n; i++) {
            if (skip != null && skip[i]) continue;
            float s = row[i];
            if (size < k) {
                heap[size] = i;
                siftUp(heap, size++, row);
            } else if (better(s, i, row[heap[0]], heap[0])) {
                heap[0] = i;
                siftDown(heap, size, row);
            }
        }
        // heap order to best-first: repeatedly take the worst (the root) into the last free slot
        for (int m = size; m > 0; m--) {
            int worst = heap[0];
            items[off + m - 1] = worst;
            scores[off + m - 1] = row[worst];
            heap[0] = heap[m - 1];
            siftDown(heap, m - 1, row);
        }
        return size;
    }

    /**
     * The same items as {@link #select} ({@code k} best allowed, ties at the cut to the lower index), but as a set in
     * item order, for large k: the k-th best score is found by selection on a copy (expected linear time), then
     * one pass keeps what beats it and the lowest-indexed items equal to it. A row with NaN falls back to the heap.
     *
     * @param scratch at least n floats
     * @return how many items were written to {@code items[off ..]}
     */
    public static int selectSet(float[] row, int n, boolean[] skip, int k, float[] scratch, int[] items, int off) {
        int m = 0;
        for (int i = 0; i < n; i++) {
            if (skip != null && skip[i]) continue;
            float v = row[i];
            if (v != v) {   // NaN: rare (a diverged model); the heap orders it correctly
                int[] heap = new int[Math.min(k, n)], tmp = new int[heap.length];
                float[] sc = new float[heap.length];
                int got = select(row, n, skip, heap.length, heap, tmp, sc, 0);
                System.arraycopy(tmp, 0, items, off, got);
                java.util.Arrays.sort(items, off, off + got);
                return got;
            }
            scratch[m++] = v;
        }
        if (m <= k) {
            int c = 0;
            for (int i = 0; i < n; i++) if (skip == null || !skip[i]) items[off + c++] = i;
            return c;
        }
        float cut = kthLargest(scratch, m, k);
        int above = 0;
        for (int j = 0; j < m; j++) if (scratch[j] > cut) above++;
        int ties = k - above, c = 0;
        for (int i = 0; i < n && c < k; i++) {
            if (skip != null && skip[i]) continue;
            float v = row[i];
            if (v > cut) items[off + c++] = i;
            else if (v == cut && ties > 0) { items[off + c++] = i; ties--; }
        }
        return c;
    }

    /** The k-th largest of a[0 .. m) (1-based k), reordering a: Hoare selection with a middle pivot. */
    static float kthLargest(float[] a, int m, int k) {
        int lo = 0, hi = m - 1, want = k - 1;
        while (lo < hi) {
            float pivot = a[(lo + hi) >>> 1];
            int i = lo, j = hi;
            while (i <= j) {
                while (a[i] > pivot) i++;
                while (a[j] < pivot) j--;
                if (i <= j) { float t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
            }
            if (want <= j) hi = j;
            else if (want >= i) lo = i;
            else return a[want];
        }
        return a[want];
    }

    /**
     * How many items other than {@code target} with {@code skip[i]} false score at least {@code row[target]} (NaN
     * counts as at least); a NaN target counts every such item. The full-ranking protocol's pessimistic rank.
     */
    public static int rank(float[] row, int n, boolean[] skip, int target) {
        float t = row[target];
        int rank = 0;
        if (t != t) {
            for (int i = 0; i < n; i++) if (i != target && (skip == null || !skip[i])) rank++;
            return rank;
        }
        for (int i = 0; i < n; i++) {
            if (i == target || (skip != null && skip[i])) continue;
            float x = row[i];
            if (x >= t || x != x) rank++;
        }
        return rank;
    }

    /**
     * Sets {@code skip[i] = value} for user u's items in {@code exclude} (nothing when it is null) and returns
     * {@code skip}: a selection marks a user's excluded items, selects, then clears them, at the cost of the user's
     * row rather than the item count.
     */
    public static boolean[] mark(boolean[] skip, io.ncf.core.UserItemIndex exclude, int u, boolean value) {
        if (exclude == null) return skip;
        int[] its = exclude.itemsArray();
        for (int q = exclude.start(u), e = exclude.end(u); q < e; q++) skip[its[q]] = value;
        return skip;
    }

    /** Min-heap on rank order: the root is the worst kept item. */
    private static void siftUp(int[] h, int i, float[] s) {
        while (i > 0) {
            int p = (i - 1) / 2;
            if (!better(s[h[p]], h[p], s[h[i]], h[i])) break;
            int t = h[p]; h[p] = h[i]; h[i] = t;
            i = p;
        }
    }

    private static void siftDown(int[] h, int n, float[] s) {
        int i = 0;
        while (true) {
            int l = 2 * i + 1, r = l + 1, w = i;
            if (l < n && better(s[h[w]], h[w], s[h[l]], h[l])) w = l;
            if (r < n && better(s[h[w]], h[w], s[h[r]], h[r])) w = r;
            if (w == i) return;
            int t = h[w]; h[w] = h[i]; h[i] = t;
            i = w;
        }
    }
}
