package io.ncf.model.fused;

import io.ncf.core.blas.Blas;
import io.ncf.core.blas.NativeKernels;
import io.ncf.core.rank.ScoringKernel;

import io.ncf.core.NeuMFConfig;
import io.ncf.model.ParamSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static io.ncf.model.fused.FusedCpuEngineTest.randomParams;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The inference kernel against the training engine's per-pair forward pass (the definition the engine is itself
 * tested against), on one, two and three dense layers, both BLAS libraries and ncf's own AVX-512 layer kernels
 * ({@link NativeKernels}, where they load; else that case says so and skips); and its promise that a pair's score
 * is the same bits whether it is scored alone, among pairs in any order, in a whole row, on any number of threads.
 */
class ScoringKernelTest {

    @AfterEach void backToDefault() {
        Blas.select("auto");
        System.clearProperty(NativeKernels.PROPERTY);
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        int[][] layers = {{16, 8}, {32, 16, 8}, {64, 32, 16, 8}, {128, 64, 48}};
        for (String blas : Blas.mklAvailable() ? new String[]{"mkl", "openblas"} : new String[]{"openblas"})
            for (String kernels : new String[]{"ncf", "blas"})
                for (int[] l : layers) for (int items : new int[]{700, 100}) out.add(Arguments.of(blas, kernels, l, items));
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1} layers {2} items {3}")
    @MethodSource("cases")
    void scoresEqualTheEngineAndAgreeBitForBitHoweverComputed(String blas, String kernels, int[] layers, int items) {
        Blas.select(blas);
        if (kernels.equals("ncf")) org.junit.jupiter.api.Assumptions.assumeTrue(NativeKernels.loaded(), "skipped: " + NativeKernels.status());
        else System.setProperty(NativeKernels.PROPERTY, "off");
        NeuMFConfig c = new NeuMFConfig(37, items, 8, layers, 0.5f);
        ParamSet p = randomParams(c, 5, 0.5f);
        int n = c.numUsers() * items;
        int[] us = new int[n], is = new int[n];
        for (int k = 0; k < n; k++) { us[k] = k / items; is[k] = k % items; }
        float[] ref = new float[n];
        try (FusedCpuEngine engine = new FusedCpuEngine(p, 512, 2)) {
            engine.setFirstLayer(FusedCpuEngine.FirstLayer.PER_SAMPLE);
            engine.score(us, is, n, ref);
        }
        float[][] rows = new float[c.numUsers()][];
        float[] pairs = new float[n], shuffled = new float[n];
        try (ScoringKernel k2 = new ScoringKernel(p.config(), p.toFlat(), 2); ScoringKernel k3 = new ScoringKernel(p.config(), p.toFlat(), 3)) {
            assertEquals(kernels.equals("ncf"), k2.blasName().contains("ncf AVX-512"), k2.blasName());
            k2.scoreRows(us, 0, 0, (w, j, u, row) -> fail("no users, no rows"));
            int[] users = new int[c.numUsers()];
            for (int u = 0; u < users.length; u++) users[u] = users.length - 1 - u;
            k3.scoreRows(users, 0, users.length, (w, j, u, row) -> {
                assertEquals(users[j], u);
                synchronized (rows) { rows[u] = row.clone(); }
            });
            k2.score(us, is, n, pairs);
            // the same pairs in a random order, in calls of odd sizes
            SplittableRandom r = new SplittableRandom(7);
            int[] perm = new int[n];
            for (int k = 0; k < n; k++) perm[k] = k;
            for (int k = n - 1; k > 0; k--) { int j = r.nextInt(k + 1), t = perm[k]; perm[k] = perm[j]; perm[j] = t; }
            int[] pu = new int[n], pi = new int[n];
            for (int k = 0; k < n; k++) { pu[k] = us[perm[k]]; pi[k] = is[perm[k]]; }
            float[] out = new float[n];
            for (int a = 0; a < n; ) { int m = Math.min(n - a, 1 + r.nextInt(600)); int[] cu = java.util.Arrays.copyOfRange(pu, a, a + m), ci = java.util.Arrays.copyOfRange(pi, a, a + m);
                float[] o = new float[m]; k3.score(cu, ci, m, o); System.arraycopy(o, 0, out, a, m); a += m; }
            for (int k = 0; k < n; k++) shuffled[perm[k]] = out[k];
            // one row alone (the one-user path splits a row over the workers)
            float[] single = new float[items];
            k3.scoreRows(new int[]{4}, 0, 1, (w, j, u, row) -> System.arraycopy(row, 0, single, 0, items));
            for (int i = 0; i < items; i++) assertEquals(Float.floatToRawIntBits(rows[4][i]), Float.floatToRawIntBits(single[i]), "item " + i + " of a lone row");
            float[] one = new float[1];
            k2.score(new int[]{9}, new int[]{items - 1}, 1, one);
            assertEquals(Float.floatToRawIntBits(rows[9][items - 1]), Float.floatToRawIntBits(one[0]), "a pair alone");
        }
        double worst = 0;
        for (int k = 0; k < n; k++) {
            int u = us[k], i = is[k];
            assertEquals(Float.floatToRawIntBits(rows[u][i]), Float.floatToRawIntBits(pairs[k]), "row vs pairs at user " + u + " item " + i);
            assertEquals(Float.floatToRawIntBits(pairs[k]), Float.floatToRawIntBits(shuffled[k]), "pairs vs shuffled pairs at user " + u + " item " + i);
            worst = Math.max(worst, Math.abs(pairs[k] - ref[k]) / Math.max(1, Math.abs(ref[k])));
        }
        assertTrue(worst < 2e-5, "kernel vs engine: worst relative error " + worst);
        double spread = 0;
        for (float v : ref) spread = Math.max(spread, Math.abs(v - ref[0]));
        assertTrue(spread > 0.01, "scores should differ between pairs, spread " + spread);
    }

    /**
     * BF16 scoring (layers after the first on AMX): a pair's score is the same bits alone, among shuffled pairs, in a
     * row, on any number of threads; it equals FP32 up to BF16 rounding (and is really rounded); and shapes the AMX
     * kernels cannot take are refused by name.
     */
    @org.junit.jupiter.api.Test
    void bf16ScoresAgreeBitForBitHoweverComputedAndWithFp32UpToRounding() {
        org.junit.jupiter.api.Assumptions.assumeTrue(NativeKernels.available() && NativeKernels.amxAvailable(), "skipped: no AMX-BF16 here");
        NeuMFConfig bad = new NeuMFConfig(5, 40, 8, new int[]{64, 32, 16, 8}, 0.5f);
        var ex = assertThrows(IllegalStateException.class, () -> new ScoringKernel(bad, randomParams(bad, 1, 0.5f).toFlat(), 1, io.ncf.core.blas.HalfFormat.BF16));
        assertTrue(ex.getMessage().contains("layer 2 is 16 -> 8"), ex.getMessage());
        int items = 300;
        NeuMFConfig c = new NeuMFConfig(37, items, 8, new int[]{64, 64, 32, 16}, 0.5f);
        ParamSet p = randomParams(c, 6, 0.5f);
        int n = c.numUsers() * items;
        int[] us = new int[n], is = new int[n];
        for (int k = 0; k < n; k++) { us[k] = k / items; is[k] = k % items; }
        float[] ref = new float[n], pairs = new float[n], shuffled = new float[n];
        float[][] rows = new float[c.numUsers()][];
        try (ScoringKernel fp32 = new ScoringKernel(c, p.toFlat(), 2);
             ScoringKernel k2 = new ScoringKernel(c, p.toFlat(), 2, io.ncf.core.blas.HalfFormat.BF16);
             ScoringKernel k3 = new ScoringKernel(c, p.toFlat(), 3, io.ncf.core.blas.HalfFormat.BF16)) {
            assertTrue(k2.bf16() && k2.blasName().contains("AMX-BF16"), k2.blasName());
            fp32.score(us, is, n, ref);
            k2.score(us, is, n, pairs);
            int[] users = new int[c.numUsers()];
            for (int u = 0; u < users.length; u++) users[u] = u;
            k3.scoreRows(users, 0, users.length, (w, j, u, row) -> { synchronized (rows) { rows[u] = row.clone(); } });
            SplittableRandom r = new SplittableRandom(9);
            int[] perm = new int[n];
            for (int k = 0; k < n; k++) perm[k] = k;
            for (int k = n - 1; k > 0; k--) { int j = r.nextInt(k + 1), t = perm[k]; perm[k] = perm[j]; perm[j] = t; }
            for (int a = 0; a < n; ) {
                int m = Math.min(n - a, 1 + r.nextInt(600));
                int[] cu = new int[m], ci = new int[m];
                for (int q = 0; q < m; q++) { cu[q] = us[perm[a + q]]; ci[q] = is[perm[a + q]]; }
                float[] o = new float[m];
                k3.score(cu, ci, m, o);
                for (int q = 0; q < m; q++) shuffled[perm[a + q]] = o[q];
                a += m;
            }
        }
        double worst = 0, sum = 0;
        for (int k = 0; k < n; k++) {
            assertEquals(Float.floatToRawIntBits(rows[us[k]][is[k]]), Float.floatToRawIntBits(pairs[k]), "row vs pairs at " + k);
            assertEquals(Float.floatToRawIntBits(pairs[k]), Float.floatToRawIntBits(shuffled[k]), "pairs vs shuffled pairs at " + k);
            double d = Math.abs(pairs[k] - ref[k]) / Math.max(1, Math.abs(ref[k]));
            worst = Math.max(worst, d);
            sum += d;
        }
        assertTrue(worst < 0.02, "BF16 vs FP32: worst relative error " + worst);
        assertTrue(sum / n > 1e-6, "BF16 scores equal FP32 to float precision: not rounded? mean error " + sum / n);
    }
}
