package io.ncf.model.fused;

import io.ncf.model.DropoutMask;
import io.ncf.core.NeuMFConfig;
import io.ncf.model.ParamSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.FloatBuffer;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class FusedCpuEngineTest {

    static final NeuMFConfig SMALL = new NeuMFConfig(13, 11, 4, new int[]{8, 12, 6, 5}, 0.5f);

    /** A batch with many repeated users and items, so scatter-add duplicates are exercised. */
    record Batch(int[] users, int[] items, float[] labels) {
        static Batch random(NeuMFConfig c, int n, long seed) {
            Random r = new Random(seed);
            int[] u = new int[n], i = new int[n];
            float[] y = new float[n];
            for (int k = 0; k < n; k++) {
                u[k] = r.nextInt(c.numUsers());
                i[k] = r.nextInt(c.numItems());
                y[k] = r.nextInt(4) == 0 ? 1f : 0f;
            }
            return new Batch(u, i, y);
        }
    }

    /** Larger-than-init parameters so ReLUs are active and gradients are not tiny. */
    static ParamSet randomParams(NeuMFConfig c, long seed) { return randomParams(c, seed, 20f); }

    static ParamSet randomParams(NeuMFConfig c, long seed, float scale) {
        ParamSet p = ParamSet.initialize(c, seed);
        Random r = new Random(seed + 1);
        for (String n : p.names()) {
            FloatBuffer b = p.get(n).data().asNioFloat();
            for (int k = 0; k < p.get(n).length(); k++) b.put(k, b.get(k) * scale + (float) (r.nextGaussian() * 0.1));
        }
        return p;
    }

    static double relError(FloatBuffer actual, double[] expected) {
        double diff = 0, norm = 0;
        for (int k = 0; k < expected.length; k++) {
            double d = actual.get(k) - expected[k];
            diff += d * d;
            norm += expected[k] * expected[k];
        }
        return Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-12);
    }

    static void assertGradsMatch(ParamSet grads, Map<String, double[]> ref, double tol) {
        for (String n : grads.names()) {
            double[] r = ref.get(n);
            double norm = 0;
            for (double v : r) norm += v * v;
            assertTrue(norm > 0, "reference gradient of " + n + " is zero: the test would prove nothing");
            double err = relError(grads.get(n).data().asNioFloat(), r);
            assertTrue(err < tol, "gradient " + n + ": relative error " + err + " >= " + tol);
        }
    }

    @ParameterizedTest(name = "microBatch={0}, threads={1}")
    @CsvSource({"64, 1", "64, 2", "7, 2", "1, 3", "13, 2"})  // 13: a last chunk of one sample after full ones
    void lossAndGradientsMatchReference(int microBatch, int threads) {
        ParamSet p = randomParams(SMALL, 3);
        Batch b = Batch.random(SMALL, 50, 4);
        DropoutMask mask = new DropoutMask(99, 0.5f);
        float weight = 1f / 50;
        ReferenceNeuMF ref = new ReferenceNeuMF(p);
        Map<String, double[]> rg = ref.zeroGrads();
        double refLoss = ref.accumulate(b.users, b.items, b.labels, 5, 40, weight, mask, 1000, rg);
        try (FusedCpuEngine eng = new FusedCpuEngine(p, microBatch, threads)) {
            ParamSet g = p.zerosLike();
            double loss = eng.accumulateGradients(b.users, b.items, b.labels, 5, 40, weight, mask, 1000, g);
            assertEquals(refLoss, loss, 1e-5 * Math.abs(refLoss));
            assertGradsMatch(g, rg, 1e-5);
        }
    }

    @ParameterizedTest(name = "{0} users, {1} items, {2}")
    @CsvSource({"13, 11, PER_SAMPLE", "13, 11, FACTORED", "5, 29, PER_SAMPLE", "5, 29, FACTORED"})  // by user; by item
    void samplesGroupedByIdKeepTheirMasksAndTheGradients(int users, int items, FusedCpuEngine.FirstLayer mode) {
        NeuMFConfig c = new NeuMFConfig(users, items, 4, new int[]{8, 12, 6, 5}, 0.5f);
        ParamSet p = randomParams(c, 41);
        Batch b = Batch.random(c, 300, 42);
        DropoutMask mask = new DropoutMask(43, 0.5f);
        float weight = 1f / 250;
        ReferenceNeuMF ref = new ReferenceNeuMF(p);
        Map<String, double[]> rg = ref.zeroGrads();
        double refLoss = ref.accumulate(b.users, b.items, b.labels, 30, 250, weight, mask, 77, rg);
        ParamSet[] g = {p.zerosLike(), p.zerosLike()};
        double[] loss = new double[2];
        for (int sorted = 0; sorted < 2; sorted++) {
            // micro-batches of 16: the reordered samples cross micro-batch and worker boundaries
            try (FusedCpuEngine eng = new FusedCpuEngine(p, 16, 2)) {
                eng.setFirstLayer(mode);
                eng.setSortSamples(sorted == 1);
                loss[sorted] = eng.accumulateGradients(b.users, b.items, b.labels, 30, 250, weight, mask, 77, g[sorted]);
                eng.finishGradients(g[sorted]);
            }
        }
        for (int sorted = 0; sorted < 2; sorted++) {
            assertEquals(refLoss, loss[sorted], 1e-5 * Math.abs(refLoss), "sorted=" + (sorted == 1));
            assertGradsMatch(g[sorted], rg, 1e-5);
        }
        for (String n : p.names()) {
            double[] unsorted = new double[(int) p.get(n).length()];
            for (int k = 0; k < unsorted.length; k++) unsorted[k] = g[0].get(n).getDouble(k);
            assertTrue(relError(g[1].get(n).data().asNioFloat(), unsorted) < 1e-6, n + ": sorted and unsorted gradients differ");
        }
    }

    @ParameterizedTest(name = "{0}, {1} threads")
    @CsvSource({"PER_SAMPLE, 2", "FACTORED, 2", "FACTORED, 3", "PER_SAMPLE, 1"})
    void nativeScatterGivesTheJavaScattersBits(FusedCpuEngine.FirstLayer mode, int threads) {
        org.junit.jupiter.api.Assumptions.assumeTrue(io.ncf.core.blas.NativeKernels.trainingAvailable(),
                "skipped: ncf's AVX-512 kernels do not run here: " + io.ncf.core.blas.NativeKernels.status());
        NeuMFConfig c = new NeuMFConfig(17, 29, 5, new int[]{10, 12, 6, 5}, 0.5f);   // widths off the 16-lane grid
        ParamSet p = randomParams(c, 61);
        Batch b = Batch.random(c, 500, 62);
        DropoutMask mask = new DropoutMask(63, 0.5f);
        ParamSet[] g = {p.zerosLike(), p.zerosLike()};
        for (int nat = 0; nat < 2; nat++) {
            try (FusedCpuEngine eng = new FusedCpuEngine(p, 64, threads)) {
                eng.setFirstLayer(mode);
                eng.setNativeScatter(nat == 1);
                eng.accumulateGradients(b.users, b.items, b.labels, 10, 450, 1f / 450, mask, 5, g[nat]);
                eng.finishGradients(g[nat]);
            }
        }
        for (String n : p.names())
            assertArrayEquals(g[0].get(n).dup().reshape(-1).toFloatVector(), g[1].get(n).dup().reshape(-1).toFloatVector(), 0f, n);
    }

    @Test
    void theSortPropertyAcceptsOnlyTrueOrFalse() {
        assertTrue(FusedCpuEngine.sortSamplesDefault(null));
        assertTrue(FusedCpuEngine.sortSamplesDefault("TRUE"));
        assertFalse(FusedCpuEngine.sortSamplesDefault("false"));
        var ex = assertThrows(IllegalArgumentException.class, () -> FusedCpuEngine.sortSamplesDefault("no"));
        assertEquals("-Dncf.fused.sortSamples=no: expected true or false", ex.getMessage());
    }

    @Test
    void sampleOrderIsAStableSortThatRemembersOffsets() {
        int[] u = {9, 2, 0, 2, 1, 0, 2}, it = {5, 6, 7, 8, 9, 10, 11};
        float[] y = {0, 1, 2, 3, 4, 5, 6};
        SampleOrder o = new SampleOrder();
        o.sort(u, it, y, 1, 6, true, 3);   // samples 1..6: users 2 0 2 1 0 2
        assertArrayEquals(new int[]{0, 0, 1, 2, 2, 2}, java.util.Arrays.copyOf(o.users, 6));
        assertArrayEquals(new int[]{7, 10, 9, 6, 8, 11}, java.util.Arrays.copyOf(o.items, 6));
        assertArrayEquals(new int[]{1, 4, 3, 0, 2, 5}, java.util.Arrays.copyOf(o.offset, 6));
        assertArrayEquals(new float[]{2, 5, 4, 1, 3, 6}, java.util.Arrays.copyOf(o.labels, 6));
        o.sort(u, it, y, 0, 3, false, 12);  // by item, reusing the buffers: items 5 6 7 are already in order
        assertArrayEquals(new int[]{0, 1, 2}, java.util.Arrays.copyOf(o.offset, 3));
        assertArrayEquals(new int[]{9, 2, 0}, java.util.Arrays.copyOf(o.users, 3));
    }

    @Test
    void gradientsAccumulateAcrossCallsAndDoNotDependOnTheSplit() {
        ParamSet p = randomParams(SMALL, 5);
        Batch b = Batch.random(SMALL, 90, 6);
        DropoutMask mask = new DropoutMask(7, 0.3f);
        ParamSet whole = p.zerosLike(), parts = p.zerosLike();
        double l1, l2;
        try (FusedCpuEngine big = new FusedCpuEngine(p, 128, 2); FusedCpuEngine small = new FusedCpuEngine(p, 16, 2)) {
            l1 = big.accumulateGradients(b.users, b.items, b.labels, 0, 90, 0.5f, mask, 200, whole);
            // the same samples as three calls at shifted positions: masks follow the epoch position, not the call
            l2 = small.accumulateGradients(b.users, b.items, b.labels, 0, 30, 0.5f, mask, 200, parts)
                    + small.accumulateGradients(b.users, b.items, b.labels, 30, 41, 0.5f, mask, 230, parts)
                    + small.accumulateGradients(b.users, b.items, b.labels, 71, 19, 0.5f, mask, 271, parts);
        }
        assertEquals(l1, l2, 1e-9 * Math.abs(l1) + 1e-6);
        for (String n : whole.names()) {
            FloatBuffer a = whole.get(n).data().asNioFloat(), c = parts.get(n).data().asNioFloat();
            double[] expected = new double[(int) whole.get(n).length()];
            for (int k = 0; k < expected.length; k++) expected[k] = a.get(k);
            assertTrue(relError(c, expected) < 1e-6, n + " differs between one call and three");
        }
    }

    @Test
    void finiteDifferencesAgreeWithFusedGradient() {
        NeuMFConfig c = SMALL.withDropout(0.25f);
        ParamSet p = randomParams(c, 8, 1f);  // moderate logits: float round-off stays far below the differences
        Batch b = Batch.random(c, 30, 9);
        DropoutMask mask = new DropoutMask(11, 0.25f);
        try (FusedCpuEngine eng = new FusedCpuEngine(p, 32, 2)) {
            ParamSet g = p.zerosLike();
            eng.accumulateGradients(b.users, b.items, b.labels, 0, 30, 1f, mask, 0, g);
            ParamSet scratch = p.zerosLike();
            Random r = new Random(12);
            int checked = 0;
            for (String n : p.names()) {
                FloatBuffer pb = p.get(n).data().asNioFloat(), gb = g.get(n).data().asNioFloat();
                int len = (int) p.get(n).length();
                // probe the entries with the largest gradient plus random ones (tiny ones drown in float noise)
                int best = 0;
                for (int k = 1; k < len; k++) if (Math.abs(gb.get(k)) > Math.abs(gb.get(best))) best = k;
                int[] probes = {best, r.nextInt(len), r.nextInt(len)};
                for (int k : probes) {
                    float orig = pb.get(k), h = 1e-3f;
                    pb.put(k, orig + h);
                    double lp = eng.accumulateGradients(b.users, b.items, b.labels, 0, 30, 1f, mask, 0, scratch);
                    pb.put(k, orig - h);
                    double lm = eng.accumulateGradients(b.users, b.items, b.labels, 0, 30, 1f, mask, 0, scratch);
                    pb.put(k, orig);
                    double fd = (lp - lm) / (2.0 * ((orig + h) - orig));
                    double an = gb.get(k);
                    assertEquals(fd, an, 2e-2 * Math.max(Math.abs(an), 1e-3) + 2e-4, "d loss / d " + n + "[" + k + "]");
                    if (Math.abs(an) > 1e-3) checked++;
                }
            }
            assertTrue(checked >= 8, "too few non-trivial probes: " + checked);
        }
    }

    @Test
    void scoreIsTheDropoutFreeLogit() {
        ParamSet p = randomParams(SMALL, 21);
        Batch b = Batch.random(SMALL, 37, 22);
        ReferenceNeuMF ref = new ReferenceNeuMF(p);
        float[] out = new float[37];
        try (FusedCpuEngine eng = new FusedCpuEngine(p, 10, 2)) {
            eng.score(b.users, b.items, 37, out);
        }
        for (int k = 0; k < 37; k++) {
            double expected = ref.logit(b.users[k], b.items[k]);
            assertEquals(expected, out[k], 1e-5 * Math.max(1, Math.abs(expected)), "score of sample " + k);
        }
    }

    @Test
    void fiftyAdamStepsTrackTheReference() {
        NeuMFConfig c = SMALL;
        ParamSet p = randomParams(c, 31);
        ReferenceNeuMF ref = new ReferenceNeuMF(p);
        ParamSet g = p.zerosLike(), m = p.zerosLike(), v = p.zerosLike();
        Map<String, double[]> rm = ref.zeroGrads(), rv = ref.zeroGrads();
        float lr = 0.0045f, b1 = 0.25f, b2 = 0.5f, eps = 1e-8f;
        int n = 48;
        try (FusedCpuEngine eng = new FusedCpuEngine(p, 20, 2)) {
            for (int step = 1; step <= 50; step++) {
                Batch b = Batch.random(c, n, 100 + step);
                DropoutMask mask = DropoutMask.forStep(5, step, c.dropout());
                eng.accumulateGradients(b.users, b.items, b.labels, 0, n, 1f / n, mask, 0, g);
                AdamKernels.Step s = new AdamKernels.Step(lr, b1, b2, eps, step);
                for (String name : p.names())
                    AdamKernels.dense(eng.workers(), p.get(name).data().asNioFloat(), g.get(name).data().asNioFloat(),
                            m.get(name).data().asNioFloat(), v.get(name).data().asNioFloat(), (int) p.get(name).length(), s, true);

                Map<String, double[]> rg = ref.zeroGrads();
                ref.accumulate(b.users, b.items, b.labels, 0, n, 1.0 / n, mask, 0, rg);
                for (String name : p.names()) referenceAdam(ref.p.get(name), rg.get(name), rm.get(name), rv.get(name), lr, b1, b2, eps, step);
            }
        }
        for (String name : p.names()) {
            double err = relError(p.get(name).data().asNioFloat(), ref.p.get(name));
            assertTrue(err < 1e-4, "after 50 Adam steps " + name + " differs by " + err);
        }
        for (String name : g.names()) assertEquals(0.0, g.get(name).norm2Number().doubleValue(), "grad " + name + " not cleared");
    }

    /** Textbook Adam (PyTorch's form) in double. */
    static void referenceAdam(double[] p, double[] g, double[] m, double[] v, double lr, double b1, double b2, double eps, int t) {
        for (int k = 0; k < p.length; k++) {
            m[k] = b1 * m[k] + (1 - b1) * g[k];
            v[k] = b2 * v[k] + (1 - b2) * g[k] * g[k];
            double mh = m[k] / (1 - Math.pow(b1, t)), vh = v[k] / (1 - Math.pow(b2, t));
            p[k] -= lr * mh / (Math.sqrt(vh) + eps);
        }
    }

    @Test
    void saturatedLogitsKeepTheirTinyGradients() {
        // sigmoid(30) rounds to 1f: a float "sigmoid - y" would give exactly 0, which Adam turns into a wrong step
        ParamSet p = randomParams(SMALL, 71);
        p.get(ParamSet.FINAL_B).putScalar(0, 30f);
        Batch b = Batch.random(SMALL, 20, 72);
        java.util.Arrays.fill(b.labels, 1f);
        ReferenceNeuMF ref = new ReferenceNeuMF(p);
        Map<String, double[]> rg = ref.zeroGrads();
        ref.accumulate(b.users, b.items, b.labels, 0, 20, 1.0, DropoutMask.NONE, 0, rg);
        try (FusedCpuEngine eng = new FusedCpuEngine(p, 32, 2)) {
            ParamSet g = p.zerosLike();
            eng.accumulateGradients(b.users, b.items, b.labels, 0, 20, 1f, DropoutMask.NONE, 0, g);
            assertTrue(rg.get(ParamSet.FINAL_B)[0] < 0, "the test needs a non-zero reference gradient");
            assertEquals(rg.get(ParamSet.FINAL_B)[0], g.get(ParamSet.FINAL_B).getFloat(0), 1e-5 * Math.abs(rg.get(ParamSet.FINAL_B)[0]));
        }
    }

    @Test
    void rejectsIdsOutsideTheTables() {
        ParamSet p = ParamSet.initialize(SMALL, 1);
        try (FusedCpuEngine eng = new FusedCpuEngine(p, 8, 1)) {
            var ex = assertThrows(IllegalArgumentException.class, () -> eng.accumulateGradients(new int[]{0, 13}, new int[]{0, 0},
                    new float[]{1, 0}, 0, 2, 1f, DropoutMask.NONE, 0, p.zerosLike()));
            assertTrue(ex.getMessage().contains("user id 13"), ex.getMessage());
        }
    }
}
