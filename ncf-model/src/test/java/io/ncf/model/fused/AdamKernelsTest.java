package io.ncf.model.fused;

import io.ncf.core.blas.Workers;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class AdamKernelsTest {

    static FloatBuffer random(int n, long seed) {
        FloatBuffer b = ByteBuffer.allocateDirect(4 * n).order(ByteOrder.nativeOrder()).asFloatBuffer();
        Random r = new Random(seed);
        for (int i = 0; i < n; i++) b.put(i, (float) r.nextGaussian());
        return b;
    }

    static float[] copy(FloatBuffer b) {
        float[] a = new float[b.capacity()];
        b.get(0, a);
        return a;
    }

    @Test
    void denseMatchesTextbookAdamOverSeveralSteps() {
        int n = 1001;
        FloatBuffer p = random(n, 1), g = random(n, 2), m = random(n, 3), v = random(n, 4);
        for (int i = 0; i < n; i++) v.put(i, Math.abs(v.get(i)));
        double[] rp = new double[n], rm = new double[n], rv = new double[n];
        for (int i = 0; i < n; i++) { rp[i] = p.get(i); rm[i] = m.get(i); rv[i] = v.get(i); }
        try (Workers w = new Workers(2)) {
            for (int t = 1; t <= 5; t++) {
                FloatBuffer grad = random(n, 10 + t);
                double[] rg = new double[n];
                for (int i = 0; i < n; i++) rg[i] = grad.get(i);
                AdamKernels.dense(w, p, grad, m, v, n, new AdamKernels.Step(0.01f, 0.9f, 0.999f, 1e-8f, t), true);
                FusedCpuEngineTest.referenceAdam(rp, rg, rm, rv, 0.01, 0.9, 0.999, 1e-8, t);
                for (int i = 0; i < n; i++) assertEquals(0f, grad.get(i), "gradient not cleared at " + i);
            }
        }
        assertTrue(FusedCpuEngineTest.relError(p, rp) < 1e-6);
        assertTrue(FusedCpuEngineTest.relError(m, rm) < 1e-6);
        assertTrue(FusedCpuEngineTest.relError(v, rv) < 1e-6);
    }

    @Test
    void lazyRowsUpdateOnlyTouchedRowsExactlyLikeDense() {
        int rows = 50, width = 6, n = rows * width;
        FloatBuffer p = random(n, 1), g = random(n, 2), m = random(n, 3), v = random(n, 4);
        for (int i = 0; i < n; i++) v.put(i, Math.abs(v.get(i)));
        FloatBuffer pd = random(n, 1), gd = random(n, 2), md = random(n, 3), vd = random(n, 4);
        for (int i = 0; i < n; i++) vd.put(i, Math.abs(vd.get(i)));
        float[] p0 = copy(p), m0 = copy(m), v0 = copy(v);

        TouchedRows touched = new TouchedRows(rows);
        touched.mark(new int[]{7, 3, 7, 49, 0, 3, 3}, 0, 7);
        assertEquals(4, touched.count(), "duplicates must be marked once");
        AdamKernels.Step s = new AdamKernels.Step(0.0045f, 0.25f, 0.5f, 1e-8f, 3);
        try (Workers w = new Workers(2)) {
            AdamKernels.rows(w, p, g, m, v, width, touched.rows(), touched.count(), s, true);
            AdamKernels.dense(w, pd, gd, md, vd, n, s, false);
        }
        java.util.Set<Integer> hit = java.util.Set.of(7, 3, 49, 0);
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < width; j++) {
                int i = r * width + j;
                if (hit.contains(r)) {
                    assertEquals(pd.get(i), p.get(i), "param of touched row " + r);
                    assertEquals(md.get(i), m.get(i), "m of touched row " + r);
                    assertEquals(vd.get(i), v.get(i), "v of touched row " + r);
                    assertEquals(0f, g.get(i), "grad of touched row " + r + " not cleared");
                } else {
                    assertEquals(p0[i], p.get(i), "param of untouched row " + r + " changed");
                    assertEquals(m0[i], m.get(i), "m of untouched row " + r + " changed");
                    assertEquals(v0[i], v.get(i), "v of untouched row " + r + " changed");
                }
            }
        touched.clear();
        assertEquals(0, touched.count());
        touched.mark(new int[]{7}, 0, 1);
        assertEquals(1, touched.count(), "clear must forget earlier marks");
        assertEquals(7, touched.rows()[0]);
    }

    @Test
    void stepCountStartsAtOne() {
        assertThrows(IllegalArgumentException.class, () -> new AdamKernels.Step(0.001f, 0.9f, 0.999f, 1e-8f, 0));
    }

    @org.junit.jupiter.api.Test
    void nativeDenseAdamGivesTheJavaLoopsBits() {
        org.junit.jupiter.api.Assumptions.assumeTrue(io.ncf.core.blas.NativeKernels.trainingAvailable(), "skipped: ncf's AVX-512 kernels do not run here");
        int n = 100_003;   // not a multiple of 16 or of the Java loop's chunk
        java.util.Random r = new java.util.Random(3);
        java.nio.FloatBuffer[][] bufs = new java.nio.FloatBuffer[2][4];
        for (int k = 0; k < 2; k++)
            for (int b = 0; b < 4; b++) bufs[k][b] = java.nio.ByteBuffer.allocateDirect(n * 4).order(java.nio.ByteOrder.nativeOrder()).asFloatBuffer();
        for (int i = 0; i < n; i++) {
            float p = (float) r.nextGaussian(), g = (float) (r.nextGaussian() * 1e-3), m = (float) (r.nextGaussian() * 1e-3), v = (float) Math.abs(r.nextGaussian() * 1e-6);
            for (int k = 0; k < 2; k++) { bufs[k][0].put(i, p); bufs[k][1].put(i, g); bufs[k][2].put(i, m); bufs[k][3].put(i, v); }
        }
        try (io.ncf.core.blas.Workers w = new io.ncf.core.blas.Workers(3)) {
            for (int step = 1; step <= 3; step++)
                for (int k = 0; k < 2; k++) {
                    AdamKernels.setNativeDense(k == 1);
                    AdamKernels.dense(w, bufs[k][0], bufs[k][1], bufs[k][2], bufs[k][3], n, new AdamKernels.Step(0.0045f, 0.25f, 0.5f, 1e-8f, step), step == 3);
                }
        } finally {
            AdamKernels.setNativeDense(true);
        }
        for (int b = 0; b < 4; b++)
            for (int i = 0; i < n; i++)
                org.junit.jupiter.api.Assertions.assertEquals(Float.floatToRawIntBits(bufs[0][b].get(i)), Float.floatToRawIntBits(bufs[1][b].get(i)), "buffer " + b + " at " + i);
        org.junit.jupiter.api.Assertions.assertEquals(0f, bufs[1][1].get(n - 1), "the last step cleared the gradient");
    }
}
