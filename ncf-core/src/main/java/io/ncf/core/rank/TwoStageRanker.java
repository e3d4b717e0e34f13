package io.ncf.core.rank;

import io.ncf.core.UserItemIndex;
import io.ncf.core.ParamShapes;
import io.ncf.core.blas.Blas;
import io.ncf.core.blas.Workers;
import io.ncf.core.rank.BatchRanker;
import io.ncf.core.rank.RowRanker;
import io.ncf.core.rank.TopK;
import org.bytedeco.javacpp.FloatPointer;

import java.nio.FloatBuffer;

/**
 * Approximate top-K in two stages: a cheap retrieval of {@code candidates} items per user, then the exact NeuMF
 * score of those candidates only ({@link ScoringKernel#score}) and the top K among them.
 *
 * <p>Retrieval is an exact maximum-inner-product search over augmented GMF embeddings:
 * {@code r(u, i) = [mf_user[u] * w_gmf, 1] . [mf_item[i], b_i]}, the GMF term of the model's logit plus an item
 * bias {@code b_i}, the mean over a sample of users of the rest of the logit (the MLP branch's item effect). One
 * {@code [users, f+1] x [f+1, items]} product per block of users, about 1/600 of the exact scoring's FLOPs at the
 * default shapes; the candidates of each user are the top {@code candidates} of its row, seen items skipped.
 * Exact scoring then costs {@code candidates / numItems} of exact ranking.
 *
 * <p>Results are exact NeuMF scores of the items returned (the same bits as {@link ScoringKernel}), ordered like
 * every ranker; what may differ from exact ranking is which items are found: an item outside a user's candidates is
 * never returned. {@link #ranks} (full-ranking evaluation) is always exact.
 */
public final class TwoStageRanker implements BatchRanker {

    /** Users per retrieval product. */
    static final int BLOCK = 64;
    /** Users whose exact rows estimate the item bias. */
    static final int BIAS_SAMPLE = 32;

    private final ScoringKernel kernel;
    private final RowRanker exact;
    private final int candidates, numItems, numUsers, f, fa;
    private final Workers workers;
    private final Blas.Backend blas = Blas.backend();
    private final FloatPointer itemTable;     // [numItems, f + 1]: mf_item | b_i
    private final FloatPointer[] ua, sc;      // per worker: a block's user rows, its retrieval scores
    private final float[][] scoreRow;
    private final float[][] candScores;     // per worker: selection scratch of a row's length
    private final boolean[][] skip;

    /**
     * @param kernel     the exact scorer (shared: calls must not overlap with other uses of it)
     * @param candidates items per user scored exactly (at least 1; more than the item count means all)
     */
    public TwoStageRanker(ScoringKernel kernel, int candidates) {
        if (candidates < 1) throw new IllegalArgumentException("candidates must be positive, got " + candidates);
        this.kernel = kernel;
        this.exact = new RowRanker(kernel);
        this.numItems = kernel.numItems();
        this.numUsers = kernel.config().numUsers();
        this.candidates = Math.min(candidates, numItems);
        this.f = kernel.config().factors();
        this.fa = f + 1;   // f GMF columns and the bias column, unpadded: the retrieval product is bound by reading this table
        this.workers = kernel.workers();   // one pool: the stages alternate, and a second pool's spinning threads would steal cores
        FloatBuffer mfItem = FloatBuffer.wrap(kernel.flatParams(), kernel.offset(ParamShapes.MF_ITEM), numItems * f).slice();
        float[] bias = itemBias(mfItem);
        itemTable = new FloatPointer((long) numItems * fa);
        FloatBuffer t = Blas.span(itemTable, (long) numItems * fa);
        float[] rowBuf = new float[f];
        for (int i = 0; i < numItems; i++) {
            mfItem.get(i * f, rowBuf, 0, f);
            t.put(i * fa, rowBuf, 0, f);
            t.put(i * fa + f, bias[i]);
        }
        int w = workers.threads();
        ua = new FloatPointer[w];
        sc = new FloatPointer[w];
        scoreRow = new float[w][numItems];
        candScores = new float[w][numItems];
        skip = new boolean[w][numItems];
        for (int k = 0; k < w; k++) {
            ua[k] = new FloatPointer((long) BLOCK * fa);
            sc[k] = new FloatPointer((long) BLOCK * numItems);
        }
    }

    public int candidates() { return candidates; }

    @Override public int numItems() { return numItems; }

    /** Exact FLOPs of the candidates' scoring plus retrieval, per item of the user's row: what a pair of exact ranking costs here. */
    @Override public long flopsPerPair() {
        return (long) Math.ceil((2.0 * fa * numItems + (double) candidates * kernel.flopsPerPair()) / numItems);
    }

    /** The GMF retrieval vector of user u: mf_user[u] * w_gmf, then 1 for the item bias. */
    private void userRow(int u, float[] dst, int off) {
        kernel.gmfUserRow(u, dst, off);
        dst[off + f] = 1f;
    }

    /** b_i = mean over sampled users of (exact logit - GMF term): the part of an item's score retrieval cannot see per user. */
    private float[] itemBias(FloatBuffer mfItem) {
        int n = Math.min(BIAS_SAMPLE, numUsers);
        int[] sample = new int[n];
        for (int j = 0; j < n; j++) sample[j] = (int) ((long) j * numUsers / n);
        double[] sum = new double[numItems];
        kernel.scoreRows(sample, 0, n, (w, j, u, row) -> {
            float[] gu = new float[fa];
            userRow(u, gu, 0);
            float[] it = new float[f];
            double[] local = new double[numItems];
            for (int i = 0; i < numItems; i++) {
                mfItem.get(i * f, it, 0, f);
                float d = 0f;
                for (int q = 0; q < f; q++) d += gu[q] * it[q];
                local[i] = row[i] - d;
            }
            synchronized (sum) { for (int i = 0; i < numItems; i++) sum[i] += local[i]; }
        });
        float[] b = new float[numItems];
        for (int i = 0; i < numItems; i++) b[i] = (float) (sum[i] / n);
        return b;
    }

    @Override
    public void topK(int[] users, int from, int count, int k, UserItemIndex exclude, int[] items, float[] scores, int[] found) {
        if (k <= 0) throw new IllegalArgumentException("k must be positive, got " + k);
        int n = candidates;
        int[] cand = new int[count * n], candCount = new int[count];
        // stage 1: retrieval scores, S^T [items, users] = T [items, f+1] U^T, and each user's top candidates
        if (count < workers.threads()) {
            // one request: the product is split by item rows over the workers, then selected on this thread
            for (int j = 0; j < count; j++) {
                int u = users[from + j];
                float[] row = scoreRow[0];
                userRow(u, row, 0);
                Blas.span(ua[0], fa).put(row, 0, fa);
                workers.run(numItems, (w, a, b) -> {
                    if (b > a) blas.sgemm(false, false, b - a, 1, fa, 1f, Blas.at(itemTable, (long) a * fa), fa, ua[0], 1, 0f, Blas.at(sc[0], a), 1);
                });
                Blas.span(sc[0], numItems).get(row, 0, numItems);
                candCount[j] = candidates(row, u, exclude, 0, cand, j * n);
            }
        } else {
            workers.run(count, (w, a, b) -> {
                float[] rows = new float[BLOCK * fa];
                for (int j0 = a; j0 < b; j0 += BLOCK) {
                    int nb = Math.min(BLOCK, b - j0);
                    for (int q = 0; q < nb; q++) userRow(users[from + j0 + q], rows, q * fa);
                    Blas.span(ua[w], (long) nb * fa).put(rows, 0, nb * fa);
                    blas.sgemm(false, true, numItems, nb, fa, 1f, itemTable, fa, ua[w], fa, 0f, sc[w], nb);
                    FloatBuffer s = Blas.span(sc[w], (long) nb * numItems);
                    float[] row = scoreRow[w];
                    for (int q = 0; q < nb; q++) {
                        int j = j0 + q;
                        for (int i = 0; i < numItems; i++) row[i] = s.get(i * nb + q);
                        candCount[j] = candidates(row, users[from + j], exclude, w, cand, j * n);
                    }
                }
            });
        }
        // stage 2: the exact scores of every candidate pair, then each user's top k among its candidates
        int total = 0;
        for (int j = 0; j < count; j++) total += candCount[j];
        int[] pu = new int[total], pi = new int[total];
        int p = 0;
        for (int j = 0; j < count; j++)
            for (int c = 0; c < candCount[j]; c++) { pu[p] = users[from + j]; pi[p++] = cand[j * n + c]; }
        float[] exactScores = new float[total];
        kernel.score(pu, pi, total, exactScores);
        int[] pos = new int[k];
        float[] top = new float[k];
        int[] h = new int[k];
        float[] slice = new float[n];
        p = 0;
        for (int j = 0; j < count; j++) {
            int m = candCount[j];
            System.arraycopy(exactScores, p, slice, 0, m);
            int got = TopK.select(slice, m, null, k, h, pos, top, 0);
            for (int r = 0; r < got; r++) { items[j * k + r] = cand[j * n + pos[r]]; scores[j * k + r] = top[r]; }
            found[j] = got;
            p += m;
        }
    }

    /** The user's top {@code candidates} items of its retrieval row (excluded items skipped) into cand[off ..], in item order. */
    private int candidates(float[] row, int u, UserItemIndex exclude, int w, int[] cand, int off) {
        boolean[] m = mark(w, u, exclude, true);
        int got = TopK.selectSet(row, numItems, m, candidates, candScores[w], cand, off);
        mark(w, u, exclude, false);
        return got;
    }

    /** Full ranking is exact: a rank needs every item's score. */
    @Override
    public void ranks(int[] users, int from, int count, int[] targets, UserItemIndex exclude, int[] out) {
        exact.ranks(users, from, count, targets, exclude, out);
    }

    private boolean[] mark(int w, int u, UserItemIndex exclude, boolean value) { return TopK.mark(skip[w], exclude, u, value); }

    @Override
    public void close() {
        itemTable.close();
        for (FloatPointer x : ua) x.close();
        for (FloatPointer x : sc) x.close();
    }
}
