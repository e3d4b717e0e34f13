package io.ncf.model.samediff;

import io.ncf.model.DropoutMask;
import io.ncf.core.NeuMFConfig;
import io.ncf.model.ParamSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Checks the SameDiff engine against {@link NeuMFReference}, NeuMF written out in double precision.
 * Graph construction costs seconds, so the engines are shared and each test resets the parameters.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SameDiffEngineTest {

    static final NeuMFConfig CFG = new NeuMFConfig(7, 5, 3, new int[]{8, 6, 4}, 0.5f);
    // Duplicate users and items so the scatter-add must add, not overwrite.
    static final int[] USERS = {0, 3, 3, 6, 1, 3, 0, 2, 5, 6};
    static final int[] ITEMS = {4, 1, 1, 0, 2, 4, 3, 1, 0, 4};
    static final float[] LABELS = {1, 0, 1, 0, 0, 1, 0, 1, 0, 0};
    static final DropoutMask MASK = new DropoutMask(42L, 0.5f);
    static final long POSITION = 1000;

    ParamSet params;
    SameDiffEngine whole;   // one chunk holds the batch
    SameDiffEngine chunked; // micro-batches of 3: chunks 3,3,3,1

    @BeforeAll
    void build() {
        params = ParamSet.zeros(CFG);
        whole = new SameDiffEngine(params, 64);
        chunked = new SameDiffEngine(params, 3);
    }

    @AfterAll
    void close() {
        whole.close();
        chunked.close();
    }

    /** Larger-than-init values and non-zero biases, so every term matters and the ReLUs are partly active. */
    @BeforeEach
    void resetParams() {
        params.assign(randomParams(CFG, 7));
    }

    static ParamSet randomParams(NeuMFConfig c, long seed) {
        ParamSet p = ParamSet.initialize(c, seed);
        Random r = new Random(seed + 1);
        for (String n : p.names()) {
            INDArray a = p.get(n);
            float[] v = a.data().asFloat();
            for (int i = 0; i < v.length; i++) v[i] = n.startsWith("mlp_w") || n.equals(ParamSet.FINAL_W) ? v[i] * 1.5f : (float) (r.nextGaussian() * 0.5);
            a.data().setData(v);
        }
        return p;
    }

    @Test
    void gradientsMatchCentralDifferencesOfTheDefinition() {
        ParamSet grads = ParamSet.zeros(CFG);
        whole.accumulateGradients(USERS, ITEMS, LABELS, 0, USERS.length, 1f, MASK, POSITION, grads);

        NeuMFReference ref = new NeuMFReference(params);
        double eps = 1e-6;
        int checked = 0;
        for (String name : params.names()) {
            double[] v = ref.p.get(name);
            float[] g = grads.get(name).data().asFloat();
            for (int i = 0; i < v.length; i++) {
                double keep = v[i];
                v[i] = keep + eps;
                double plus = ref.loss(USERS, ITEMS, LABELS, 0, USERS.length, MASK, POSITION);
                v[i] = keep - eps;
                double minus = ref.loss(USERS, ITEMS, LABELS, 0, USERS.length, MASK, POSITION);
                v[i] = keep;
                double fd = (plus - minus) / (2 * eps);
                // FLOAT forward/backward: ~1e-6 relative noise; a real bug (missing mask, overwritten
                // duplicate row, wrong layer) is off by O(1) relative.
                assertEquals(fd, g[i], 1e-3 * Math.abs(fd) + 2e-5, name + "[" + i + "]");
                checked++;
            }
        }
        assertEquals(CFG.parameterCount(), checked);
        // Embedding rows never looked up must get exactly zero (user 4, no item is missing).
        float[] mfU = grads.get(ParamSet.MF_USER).data().asFloat();
        for (int j = 0; j < CFG.factors(); j++) assertEquals(0f, mfU[4 * CFG.factors() + j]);
    }

    @Test
    void lossMatchesTheDefinitionWithAndWithoutDropout() {
        NeuMFReference ref = new NeuMFReference(params);
        for (DropoutMask m : new DropoutMask[]{MASK, DropoutMask.NONE}) {
            double expected = ref.loss(USERS, ITEMS, LABELS, 0, USERS.length, m.isNone() ? null : m, POSITION);
            double got = whole.accumulateGradients(USERS, ITEMS, LABELS, 0, USERS.length, 0.25f, m, POSITION, ParamSet.zeros(CFG));
            assertEquals(expected, got, 1e-5 * expected, "mask " + (m.isNone() ? "none" : "0.5"));
        }
        // A different mask position must change the loss, or the masks are not being fed.
        double other = whole.accumulateGradients(USERS, ITEMS, LABELS, 0, USERS.length, 1f, MASK, POSITION + 17, ParamSet.zeros(CFG));
        assertEquals(ref.loss(USERS, ITEMS, LABELS, 0, USERS.length, MASK, POSITION + 17), other, 1e-5 * other);
    }

    /** More samples than one mask-fill block (4096 rows), so blocks after the first must use the right rows. */
    @Test
    void lossMatchesTheDefinitionAcrossMaskBlocks() {
        int n = 9000;
        Random r = new Random(3);
        int[] u = new int[n], i = new int[n];
        float[] y = new float[n];
        for (int k = 0; k < n; k++) {
            u[k] = r.nextInt(CFG.numUsers());
            i[k] = r.nextInt(CFG.numItems());
            y[k] = r.nextInt(4) == 0 ? 1 : 0;
        }
        try (SameDiffEngine big = new SameDiffEngine(params, 8192)) {
            double got = big.accumulateGradients(u, i, y, 0, n, 1f, MASK, POSITION, ParamSet.zeros(CFG));
            double expected = new NeuMFReference(params).loss(u, i, y, 0, n, MASK, POSITION);
            assertEquals(expected, got, 1e-5 * expected);
        }
    }

    @Test
    void microBatchesSumToTheWholeBatch() {
        ParamSet a = ParamSet.zeros(CFG), b = ParamSet.zeros(CFG), c = ParamSet.zeros(CFG);
        double la = whole.accumulateGradients(USERS, ITEMS, LABELS, 0, 10, 0.1f, MASK, POSITION, a);
        double lb = chunked.accumulateGradients(USERS, ITEMS, LABELS, 0, 10, 0.1f, MASK, POSITION, b);
        // A caller-side split: [0,4) then [4,10), with the mask position following the samples.
        double lc = whole.accumulateGradients(USERS, ITEMS, LABELS, 0, 4, 0.1f, MASK, POSITION, c)
                + whole.accumulateGradients(USERS, ITEMS, LABELS, 4, 6, 0.1f, MASK, POSITION + 4, c);
        assertEquals(la, lb, 1e-5 * la);
        assertEquals(la, lc, 1e-5 * la);
        assertParamSetsClose(a, b, 1e-5);
        assertParamSetsClose(a, c, 1e-5);
        // Accumulating twice doubles.
        whole.accumulateGradients(USERS, ITEMS, LABELS, 0, 10, 0.1f, MASK, POSITION, c);
        INDArray twice = a.get(ParamSet.MF_ITEM).mul(2);
        assertArrayEquals(twice.data().asFloat(), c.get(ParamSet.MF_ITEM).data().asFloat(), 1e-5f);
    }

    @Test
    void weightScalesGradientsExactlyButNotTheReturnedLoss() {
        ParamSet one = ParamSet.zeros(CFG), big = ParamSet.zeros(CFG);
        double l1 = whole.accumulateGradients(USERS, ITEMS, LABELS, 0, 10, 1f, MASK, POSITION, one);
        double l2 = whole.accumulateGradients(USERS, ITEMS, LABELS, 0, 10, 1024f, MASK, POSITION, big);
        assertEquals(l1, l2, 0.0);
        for (String n : one.names()) {
            // Scaling by a power of two commutes with float rounding, so this is exact.
            assertArrayEquals(one.get(n).mul(1024).data().asFloat(), big.get(n).data().asFloat(), 0f, n);
            assertTrue(one.get(n).amaxNumber().doubleValue() > 0, n + " has an all-zero gradient");
        }
    }

    @Test
    void scoreIsTheForwardLogitWithoutMaskAndFollowsInPlaceUpdates() {
        float[] out = new float[USERS.length];
        for (int round = 0; round < 2; round++) {
            chunked.score(USERS, ITEMS, USERS.length, out);
            NeuMFReference ref = new NeuMFReference(params);
            for (int k = 0; k < USERS.length; k++)
                assertEquals(ref.logit(USERS[k], ITEMS[k], null, 0), out[k], 1e-5, "round " + round + " sample " + k);
            double loss = whole.accumulateGradients(USERS, ITEMS, LABELS, 0, 10, 1f, DropoutMask.NONE, 0, ParamSet.zeros(CFG));
            assertEquals(ref.loss(USERS, ITEMS, LABELS, 0, 10, null, 0), loss, 1e-5 * loss, "round " + round);
            // What an optimizer does: update every parameter array in place.
            for (INDArray a : params.arrays()) a.muli(0.7).addi(0.01);
        }
    }

    /** The session's array cache must never recycle a fed array: params and repeated results stay bit-identical. */
    @Test
    void repeatedCallsLeaveParamsAndResultsUntouched() {
        ParamSet before = params.copy();
        ParamSet first = ParamSet.zeros(CFG);
        double l1 = chunked.accumulateGradients(USERS, ITEMS, LABELS, 0, 10, 1f, MASK, POSITION, first);
        for (int i = 0; i < 3; i++) {
            ParamSet again = ParamSet.zeros(CFG);
            assertEquals(l1, chunked.accumulateGradients(USERS, ITEMS, LABELS, 0, 10, 1f, MASK, POSITION, again), 0.0);
            float[] s = new float[10];
            chunked.score(USERS, ITEMS, 10, s);
            for (String n : params.names()) {
                assertArrayEquals(first.get(n).data().asFloat(), again.get(n).data().asFloat(), 0f, "gradient " + n + ", call " + i);
                assertArrayEquals(before.get(n).data().asFloat(), params.get(n).data().asFloat(), 0f, "parameter " + n + ", call " + i);
            }
        }
    }

    @Test
    void rejectsOutOfRangeIdsAndLabels() {
        ParamSet g = ParamSet.zeros(CFG);
        var e = assertThrows(IllegalArgumentException.class,
                () -> whole.accumulateGradients(new int[]{7}, new int[]{0}, new float[]{1}, 0, 1, 1f, DropoutMask.NONE, 0, g));
        assertTrue(e.getMessage().contains("user id 7"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> whole.accumulateGradients(new int[]{0}, new int[]{0}, new float[]{0.5f}, 0, 1, 1f, DropoutMask.NONE, 0, g));
        assertTrue(e.getMessage().contains("label"), e.getMessage());
    }

    static void assertParamSetsClose(ParamSet expected, ParamSet actual, double rel) {
        for (String n : expected.names()) {
            float[] x = expected.get(n).data().asFloat(), y = actual.get(n).data().asFloat();
            double scale = 0;
            for (float v : x) scale = Math.max(scale, Math.abs(v));
            for (int i = 0; i < x.length; i++)
                assertEquals(x[i], y[i], rel * Math.max(Math.abs(x[i]), 1e-2 * scale) + 1e-9, n + "[" + i + "]");
        }
    }

    @Test
    void halfComputeTracksFloat() {
        try (SameDiffEngine half = new SameDiffEngine(params, 64, DataType.HALF)) {
            ParamSet gf = ParamSet.zeros(CFG), gh = ParamSet.zeros(CFG);
            double lf = whole.accumulateGradients(USERS, ITEMS, LABELS, 0, 10, 256f, MASK, POSITION, gf);
            double lh = half.accumulateGradients(USERS, ITEMS, LABELS, 0, 10, 256f, MASK, POSITION, gh);
            assertEquals(lf, lh, 0.01 * lf);
            for (String n : gf.names()) {
                assertEquals(DataType.FLOAT, gh.get(n).dataType());
                double diff = gf.get(n).sub(gh.get(n)).norm2Number().doubleValue();
                double norm = gf.get(n).norm2Number().doubleValue();
                assertTrue(diff <= 0.02 * norm, n + ": |g_half - g_float| = " + diff + ", |g_float| = " + norm);
            }
        }
    }
}
