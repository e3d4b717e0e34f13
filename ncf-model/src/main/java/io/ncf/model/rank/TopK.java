package io.ncf.model.rank;

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
