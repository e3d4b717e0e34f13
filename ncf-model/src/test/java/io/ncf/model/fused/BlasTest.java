package io.ncf.model.fused;

import io.ncf.core.blas.Blas;
import io.ncf.core.blas.MklBackend;
import io.ncf.core.blas.OpenBlasBackend;

import io.ncf.core.NeuMFConfig;
import io.ncf.model.ParamSet;
import org.bytedeco.javacpp.FloatPointer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The two BLAS backends against a double-precision product, and the engine's scoring under each: MKL is optional
 * (ncf-model declares it optional, so it is on this test class path), so the MKL cases say when it cannot load.
 */
class BlasTest {

    @AfterEach
    void backToDefault() { Blas.select("auto"); }

    static List<Blas.Backend> backends() {
        List<Blas.Backend> b = new ArrayList<>(List.of(OpenBlasBackend.INSTANCE));
        if (Blas.mklAvailable()) b.add(MklBackend.instance());
        else System.err.println("BlasTest: Intel MKL cannot be loaded here; only OpenBLAS is checked");
        return b;
    }

    @ParameterizedTest
    @ValueSource(strings = {"NN", "NT", "TN", "TT"})
    void sgemmMatchesADoubleProduct(String ops) {
        boolean ta = ops.charAt(0) == 'T', tb = ops.charAt(1) == 'T';
        Random r = new Random(ops.hashCode());
        for (Blas.Backend blas : backends()) {
            for (int trial = 0; trial < 5; trial++) {
                int m = 1 + r.nextInt(70), n = 1 + r.nextInt(40), k = 1 + r.nextInt(90);
                int aRows = ta ? k : m, aCols = ta ? m : k, bRows = tb ? n : k, bCols = tb ? k : n;
                int lda = aCols + r.nextInt(3), ldb = bCols + r.nextInt(3), ldc = n + r.nextInt(3);
                float[] a = random(r, aRows * lda), b = random(r, bRows * ldb), c = random(r, m * ldc);
                float alpha = 0.5f + r.nextFloat(), beta = trial % 2 == 0 ? 0f : 0.75f;
                try (FloatPointer pa = new FloatPointer(a); FloatPointer pb = new FloatPointer(b); FloatPointer pc = new FloatPointer(c)) {
                    blas.sgemm(ta, tb, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
                    for (int i = 0; i < m; i++)
                        for (int j = 0; j < n; j++) {
                            double sum = 0, mag = 0;
                            for (int p = 0; p < k; p++) {
                                double x = ta ? a[p * lda + i] : a[i * lda + p], y = tb ? b[j * ldb + p] : b[p * ldb + j];
                                sum += x * y;
                                mag += Math.abs(x * y);
                            }
                            double expected = alpha * sum + beta * c[i * ldc + j];
                            assertEquals(expected, pc.get((long) i * ldc + j), 1e-5 * (alpha * mag + Math.abs(beta * c[i * ldc + j]) + 1),
                                    blas.id() + " " + ops + " " + m + "x" + n + "x" + k + " at (" + i + "," + j + ")");
                        }
                }
            }
        }
    }

    @Test
    void selectNamesTheChoicesAndTheLibraryInUse() {
        Blas.select("openblas");
        assertEquals("openblas", Blas.library());
        assertTrue(Blas.describe().startsWith("OpenBLAS"), Blas.describe());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Blas.select("atlas"));
        assertTrue(e.getMessage().contains("'atlas'") && e.getMessage().contains("auto, mkl or openblas"), e.getMessage());
        Blas.select("auto");
        assertEquals(Blas.mklAvailable() ? "mkl" : "openblas", Blas.library());
        // the start-up setting names where a bad value came from; the property wins over the environment
        e = assertThrows(IllegalArgumentException.class, () -> Blas.fromSettings(null, "foo"));
        assertTrue(e.getMessage().startsWith("NCF_BLAS=foo: unknown BLAS 'foo'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Blas.fromSettings("bar", "openblas"));
        assertTrue(e.getMessage().startsWith("-Dncf.blas=bar: unknown BLAS 'bar'"), e.getMessage());
        assertEquals("openblas", Blas.fromSettings(" ", "openblas").id());
    }

    /**
     * Scoring runs per worker over chunks of {@link FusedCpuEngine#SCORE_CHUNK} samples and 32-row tiles: runs of one
     * user's candidates that cross tile, chunk and worker boundaries, on both backends, factored and per-sample,
     * against the double-precision reference.
     */
    @ParameterizedTest
    @ValueSource(strings = {"6:10,16,8,6", "4:8,6,4", "8:16,8", "3:12,40,20,10,5"})
    void chunkedScoringMatchesTheReferenceOnEveryBackend(String shape) {
        String[] parts = shape.split(":");
        int[] widths = java.util.Arrays.stream(parts[1].split(",")).mapToInt(Integer::parseInt).toArray();
        NeuMFConfig c = new NeuMFConfig(29, 23, Integer.parseInt(parts[0]), widths, 0.5f);
        ParamSet p = FusedCpuEngineTest.randomParams(c, 41, 4f);
        ReferenceNeuMF ref = new ReferenceNeuMF(p);
        int n = 1100 + 23 * 29 * 2;
        Random r = new Random(42);
        int[] users = new int[n], items = new int[n];
        for (int k = 0; k < n; k++) {
            // runs of one user's candidates, some short; from k = 1100 on, runs of 23 (every item), as `recommend --users all`
            users[k] = k < 1100 ? (k % 101 == 0 || k % 37 == 5 ? r.nextInt(c.numUsers()) : users[k - 1]) : (k - 1100) / c.numItems() % c.numUsers();
            items[k] = k < 1100 ? r.nextInt(c.numItems()) : (k - 1100) % c.numItems();
        }
        for (Blas.Backend blas : backends()) {
            Blas.select(blas.id());
            for (FusedCpuEngine.FirstLayer mode : List.of(FusedCpuEngine.FirstLayer.FACTORED, FusedCpuEngine.FirstLayer.PER_SAMPLE)) {
                float[] out = new float[n];
                try (FusedCpuEngine eng = new FusedCpuEngine(p, 64, 2)) {
                    eng.setFirstLayer(mode);
                    eng.parametersChanged();
                    eng.score(users, items, n, out);
                }
                // float32 through four layers of 20x-scaled weights: 1e-5 over the whole vector, 5e-5 per logit
                double diff = 0, norm = 0;
                for (int k = 0; k < n; k++) {
                    double expected = ref.logit(users[k], items[k]);
                    assertEquals(expected, out[k], 5e-5 * Math.max(1, Math.abs(expected)), blas.id() + " " + mode + " " + shape + " sample " + k);
                    diff += (out[k] - expected) * (out[k] - expected);
                    norm += expected * expected;
                }
                assertTrue(Math.sqrt(diff / norm) < 1e-5, blas.id() + " " + mode + ": relative error " + Math.sqrt(diff / norm));
            }
        }
    }

    private static float[] random(Random r, int len) {
        float[] a = new float[len];
        for (int i = 0; i < len; i++) a[i] = (float) r.nextGaussian();
        return a;
    }
}
