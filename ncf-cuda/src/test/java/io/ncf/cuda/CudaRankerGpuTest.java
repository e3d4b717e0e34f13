package io.ncf.cuda;

import io.ncf.core.UserItemIndex;
import io.ncf.core.NeuMFConfig;
import io.ncf.core.rank.TopK;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The GPU ranker against NeuMF's definition computed here in double precision (plain Java, no ND4J: the GPU
 * machine's runtime has none): top-K equal to the reference's (FP32; near-ties allowed to swap), full-ranking ranks
 * equal, FP16 close; several blocks per call, exclusions, and a k beyond the items left. Skipped without a GPU.
 */
class CudaRankerGpuTest {

    @BeforeEach void needGpu() {
        CudaProbe.Result r = CudaProbe.probe();
        assumeTrue(r.available(), "skipped, no GPU: " + r.message());
    }

    static final NeuMFConfig C = new NeuMFConfig(70, 3001, 8, new int[]{64, 32, 16, 8}, 0.5f);

    /** Random parameters of a spread that makes scores differ well beyond FP32 noise. */
    static float[] params(long seed) {
        float[] p = new float[(int) new ParamLayout(C).totalLength()];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < p.length; i++) p[i] = (float) ((r.nextDouble() - 0.5) * 0.8);
        return p;
    }

    /** The definition: concat(mlp_user, mlp_item) through the dense layers with ReLU, GMF product, final layer. */
    static double[][] reference(float[] flat) {
        ParamLayout l = new ParamLayout(C);
        float[][] t = l.split(flat);
        int f = C.factors(), e = C.mlpEmbeddingDim(), layers = C.denseLayerCount();
        int[] w = C.layers();
        double[][] out = new double[C.numUsers()][C.numItems()];
        int ti = 0;
        float[] mfU = t[0], mfI = t[1], mlpU = t[2], mlpI = t[3];
        float[] fw = t[4 + 2 * layers], fb = t[5 + 2 * layers];
        for (int u = 0; u < C.numUsers(); u++)
            for (int i = 0; i < C.numItems(); i++) {
                double[] x = new double[2 * e];
                for (int j = 0; j < e; j++) { x[j] = mlpU[u * e + j]; x[e + j] = mlpI[i * e + j]; }
                for (int k = 0; k < layers; k++) {
                    float[] W = t[4 + 2 * k], b = t[5 + 2 * k];
                    double[] y = new double[w[k + 1]];
                    for (int o = 0; o < w[k + 1]; o++) {
                        double s = b[o];
                        for (int q = 0; q < w[k]; q++) s += x[q] * W[q * w[k + 1] + o];
                        y[o] = Math.max(s, 0);
                    }
                    x = y;
                }
                double z = fb[0];
                for (int j = 0; j < f; j++) z += (double) mfU[u * f + j] * mfI[i * f + j] * fw[j];
                for (int j = 0; j < w[layers]; j++) z += x[j] * fw[f + j];
                out[u][i] = z;
            }
        return out;
    }

    static UserItemIndex seen() {
        SplittableRandom r = new SplittableRandom(3);
        int per = 40;
        int[] su = new int[C.numUsers() * per], si = new int[su.length];
        for (int k = 0; k < su.length; k++) { su[k] = k / per; si[k] = r.nextInt(C.numItems()); }
        return UserItemIndex.build(C.numUsers(), su, si, su.length);
    }

    @Test void topKAndRanksMatchTheDefinition() {
        float[] flat = params(11);
        double[][] ref = reference(flat);
        UserItemIndex seen = seen();
        int[] users = new int[C.numUsers()];
        for (int j = 0; j < users.length; j++) users[j] = (j * 37) % C.numUsers();
        int k = 20;
        for (Precision precision : new Precision[]{Precision.FP32, Precision.FP16}) {
            // 4 users per block: a call spans many blocks
            try (CudaRanker r = new CudaRanker(CudaDevice.open(0), true, C, flat, precision, 4L * C.numItems())) {
                assertEquals(4, r.usersPerBlock());
                int[] items = new int[users.length * k], found = new int[users.length], ranks = new int[users.length], targets = new int[users.length];
                float[] scores = new float[users.length * k];
                r.topK(users, 0, users.length, k, seen, items, scores, found);
                for (int j = 0; j < users.length; j++) targets[j] = j % 9 == 0 ? -1 : (j * 101) % C.numItems();
                r.ranks(users, 0, users.length, targets, seen, ranks);
                double tol = precision == Precision.FP32 ? 2e-4 : 3e-2;
                int mismatchedItems = 0, rankOff = 0;
                for (int j = 0; j < users.length; j++) {
                    int u = users[j];
                    boolean[] skip = new boolean[C.numItems()];
                    for (int i = 0; i < skip.length; i++) skip[i] = seen.contains(u, i);
                    float[] row = new float[C.numItems()];
                    for (int i = 0; i < row.length; i++) row[i] = (float) ref[u][i];
                    int[] want = new int[k], heap = new int[k];
                    float[] ws = new float[k];
                    int n = TopK.select(row, row.length, skip, k, heap, want, ws, 0);
                    assertEquals(n, found[j], "found for user " + u);
                    for (int q = 0; q < n; q++) {
                        int got = items[j * k + q];
                        assertFalse(skip[got], "an excluded item was returned to user " + u);
                        assertEquals(ref[u][got], scores[j * k + q], tol * Math.max(1, Math.abs(ref[u][got])), "score of user " + u + " item " + got);
                        if (got != want[q]) {
                            mismatchedItems++;
                            // only a near-tie may swap places
                            assertEquals(ws[q], ref[u][got], tol * 4 * Math.max(1, Math.abs(ws[q])), "user " + u + " rank " + (q + 1) + ": " + got + " instead of " + want[q]);
                        }
                    }
                    int wantRank = targets[j] < 0 ? -1 : TopK.rank(row, row.length, skip, targets[j]);
                    if (precision == Precision.FP32) assertTrue(Math.abs(wantRank - ranks[j]) <= 1, "rank of user " + u + ": " + ranks[j] + " vs " + wantRank);
                    rankOff = Math.max(rankOff, Math.abs(wantRank - ranks[j]));
                }
                System.out.printf("CudaRanker %s: %d of %d top-%d entries swapped with a near-tie; largest rank difference %d%n",
                        precision, mismatchedItems, users.length * k, k, rankOff);
                if (precision == Precision.FP32) assertTrue(mismatchedItems <= users.length * k / 100, "FP32 should swap almost nothing: " + mismatchedItems);
                assertThrows(IllegalArgumentException.class, () -> r.topK(users, 0, 1, CudaRanker.MAX_K + 1, seen, new int[99], new float[99], new int[1]));
            }
        }
    }
}
