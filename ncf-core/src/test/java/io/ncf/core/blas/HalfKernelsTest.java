package io.ncf.core.blas;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.ShortPointer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * ncf's 16-bit training kernels against plain Java: rounding (BF16 and FP16, ties, subnormals, overflow, NaN), the
 * forward and backward epilogues with DropoutMask's draws, the factored gather, and the 16-bit products (the
 * backend's, and the widening fallback) against a double-precision product of the same rounded operands.
 */
class HalfKernelsTest {

    @BeforeAll
    static void kernels() {
        assumeTrue(NativeKernels.trainingAvailable(), "skipped: ncf's AVX-512 training kernels do not run here: " + NativeKernels.status());
    }

    static float[] specials() {
        return new float[]{0f, -0f, 1f, -1f, 1.00390625f /* bf16 tie: 1 + 2^-8 */, 1.01171875f /* tie, odd: rounds up */,
                1 + 0x1p-11f /* fp16 tie */, 65504f, 65519f, 65520f, 1e30f, -1e30f, Float.MAX_VALUE, Float.MIN_VALUE, 1e-40f,
                0x1p-14f, 0x1p-24f, 0x1p-25f, 0x1.8p-25f, 6e-8f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN,
                Float.intBitsToFloat(0x7F800001) /* signalling NaN with a low payload bit */};
    }

    @ParameterizedTest
    @EnumSource(HalfFormat.class)
    void roundingMatchesJavaAndWideningIsExact(HalfFormat fmt) {
        Random r = new Random(1);
        float[] sp = specials();
        int n = 10_007;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = i < sp.length ? sp[i] : (float) (r.nextGaussian() * Math.pow(10, r.nextInt(12) - 6));
        try (FloatPointer src = new FloatPointer(v); ShortPointer h = new ShortPointer(n); FloatPointer back = new FloatPointer(n)) {
            NativeKernels.toHalf(n, src, h, fmt);
            NativeKernels.fromHalf(n, h, back, fmt);
            for (int i = 0; i < n; i++) {
                short want = fmt.fromFloat(v[i]);
                if (Float.isNaN(v[i])) {
                    assertTrue(Float.isNaN(fmt.toFloat(h.get(i))), "NaN " + i);
                    assertTrue(Float.isNaN(back.get(i)));
                    continue;
                }
                assertEquals(want, h.get(i), fmt + " of " + v[i] + " (index " + i + ")");
                assertEquals(fmt.toFloat(want), back.get(i), 0f, "widened " + v[i]);
            }
        }
        // the Java rounding itself: nearest, ties to even
        if (fmt == HalfFormat.BF16) {
            assertEquals(1f, fmt.round(1.00390625f));
            assertEquals(1.015625f, fmt.round(1.01171875f));
            assertEquals(Float.POSITIVE_INFINITY, fmt.round(Float.MAX_VALUE));
        } else {
            assertEquals(1f, fmt.round(1 + 0x1p-11f));
            assertEquals(65504f, fmt.round(65519f));
            assertEquals(Float.POSITIVE_INFINITY, fmt.round(65520f));
            assertEquals(0x1p-24f, fmt.round(0x1.8p-25f));
            assertEquals(0f, fmt.round(0x1p-25f));
        }
    }

    /** DropoutMask's draw, written out (ncf-core cannot see ncf-model). */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    static boolean kept(long state, int unit, int threshold) {
        long d = mix(state + (unit / 4 + 1) * 0x9E3779B97F4A7C15L);
        return ((d >>> (16 * (unit % 4))) & 0xFFFF) >= threshold;
    }

    @ParameterizedTest
    @EnumSource(HalfFormat.class)
    void forwardEpilogueAppliesBiasReluAndDropoutMasksThenRounds(HalfFormat fmt) {
        Random r = new Random(2);
        for (int w : new int[]{5, 16, 40, 64, 100, 256}) {
            int rows = 37, threshold = 32768;
            float keep = 2f;
            float[] z = new float[rows * w], b = new float[w];
            long[] st = new long[rows];
            for (int i = 0; i < z.length; i++) z[i] = (float) r.nextGaussian();
            for (int j = 0; j < w; j++) b[j] = (float) r.nextGaussian() * 0.1f;
            for (int s = 0; s < rows; s++) st[s] = r.nextLong();
            for (boolean dropout : new boolean[]{false, true}) {
                try (FloatPointer zp = new FloatPointer(z); FloatPointer bp = new FloatPointer(b); LongPointer sp = new LongPointer(st);
                     ShortPointer out = new ShortPointer((long) rows * w); FloatPointer outF = new FloatPointer((long) rows * w)) {
                    NativeKernels.forwardAct(rows, w, zp, bp, dropout ? sp : null, threshold, keep, out, fmt, outF);
                    int keptUnits = 0;
                    for (int s = 0; s < rows; s++)
                        for (int j = 0; j < w; j++) {
                            float v = Math.max(z[s * w + j] + b[j], 0f);
                            if (dropout) {
                                boolean k = kept(st[s], j, threshold);
                                v = k ? v * keep : 0f;
                                if (k) keptUnits++;
                            }
                            assertEquals(v, outF.get((long) s * w + j), 0f, "float w=" + w + " row " + s + " unit " + j);
                            assertEquals(fmt.fromFloat(v), out.get((long) s * w + j), "16-bit w=" + w + " row " + s + " unit " + j);
                        }
                    if (dropout) assertEquals(0.5, keptUnits / (double) (rows * w), 0.12, "about half the units kept");
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(HalfFormat.class)
    void factoredGatherAddsBothProjectedRowsAndTheBias(HalfFormat fmt) {
        Random r = new Random(3);
        int nu = 9, ni = 7, w = 48, n = 50, threshold = 20000;
        float keep = 1.5f;
        float[] pu = new float[nu * w], pi = new float[ni * w], b = new float[w];
        int[] us = new int[n], is = new int[n];
        long[] st = new long[n];
        for (int i = 0; i < pu.length; i++) pu[i] = (float) r.nextGaussian();
        for (int i = 0; i < pi.length; i++) pi[i] = (float) r.nextGaussian();
        for (int j = 0; j < w; j++) b[j] = (float) r.nextGaussian();
        for (int s = 0; s < n; s++) { us[s] = r.nextInt(nu); is[s] = r.nextInt(ni); st[s] = r.nextLong(); }
        try (FloatPointer pup = new FloatPointer(pu); FloatPointer pip = new FloatPointer(pi); FloatPointer bp = new FloatPointer(b);
             IntPointer up = new IntPointer(us); IntPointer ip = new IntPointer(is); LongPointer sp = new LongPointer(st);
             ShortPointer out = new ShortPointer((long) n * w)) {
            NativeKernels.gatherAct(n, w, up, ip, pup, pip, bp, sp, threshold, keep, out, fmt, null);
            for (int s = 0; s < n; s++)
                for (int j = 0; j < w; j++) {
                    float v = Math.max(pu[us[s] * w + j] + pi[is[s] * w + j] + b[j], 0f);
                    v = kept(st[s], j, threshold) ? v * keep : 0f;
                    assertEquals(fmt.fromFloat(v), out.get((long) s * w + j), "row " + s + " unit " + j);
                }
        }
    }

    @ParameterizedTest
    @EnumSource(HalfFormat.class)
    void backwardEpilogueMasksByTheForwardOutputAndSumsTheBiasGradient(HalfFormat fmt) {
        Random r = new Random(4);
        int rows = 45, w = 72;
        float keep = 2f;
        float[] d = new float[rows * w], x = new float[rows * w];
        short[] x16 = new short[rows * w];
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) r.nextGaussian();
            x[i] = r.nextBoolean() ? 0f : (float) Math.abs(r.nextGaussian());
            x16[i] = fmt.fromFloat(x[i]);
        }
        for (boolean toHalf : new boolean[]{true, false}) {
            float[] acc0 = new float[w];
            for (int j = 0; j < w; j++) acc0[j] = j;   // the kernel adds to what is there
            try (FloatPointer dp = new FloatPointer(d); ShortPointer xp = new ShortPointer(x16); ShortPointer out = new ShortPointer((long) rows * w);
                 FloatPointer acc = new FloatPointer(acc0)) {
                NativeKernels.backwardAct(rows, w, dp, xp, keep, toHalf ? out : null, fmt, acc);
                float[] sum = acc0.clone();
                for (int s = 0; s < rows; s++)
                    for (int j = 0; j < w; j++) {
                        float v = fmt.toFloat(x16[s * w + j]) > 0 ? d[s * w + j] * keep : 0f;
                        sum[j] += v;
                        if (toHalf) assertEquals(fmt.fromFloat(v), out.get((long) s * w + j), "row " + s + " unit " + j);
                        else assertEquals(v, dp.get((long) s * w + j), 0f, "row " + s + " unit " + j);
                    }
                for (int j = 0; j < w; j++) assertEquals(sum[j], acc.get(j), 0f, "bias sum " + j);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(HalfFormat.class)
    void productsOfRoundedOperandsMatchADoubleProduct(HalfFormat fmt) {
        Random r = new Random(5);
        for (boolean ta : new boolean[]{false, true})
            for (boolean tb : new boolean[]{false, true}) {
                int m = 37, n = 21, k = 70, lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 2, ldc = n + 1;
                short[] a = new short[(ta ? k : m) * lda], b = new short[(tb ? n : k) * ldb];
                for (int i = 0; i < a.length; i++) a[i] = fmt.fromFloat((float) r.nextGaussian());
                for (int i = 0; i < b.length; i++) b[i] = fmt.fromFloat((float) r.nextGaussian());
                float[] c0 = new float[m * ldc];
                for (int i = 0; i < c0.length; i++) c0[i] = (float) r.nextGaussian();
                for (Blas.Backend blas : backends()) {
                    try (ShortPointer ap = new ShortPointer(a); ShortPointer bp = new ShortPointer(b); FloatPointer cp = new FloatPointer(c0)) {
                        blas.gemm16(fmt, ta, tb, m, n, k, 0.5f, ap, lda, bp, ldb, 2f, cp, ldc);
                        for (int i = 0; i < m; i++)
                            for (int j = 0; j < n; j++) {
                                double s = 0;
                                for (int q = 0; q < k; q++)
                                    s += (double) fmt.toFloat(a[ta ? q * lda + i : i * lda + q]) * fmt.toFloat(b[tb ? j * ldb + q : q * ldb + j]);
                                double want = 0.5 * s + 2 * c0[i * ldc + j];
                                assertEquals(want, cp.get((long) i * ldc + j), 1e-4 * (1 + Math.abs(want)),
                                        blas.name() + " ta=" + ta + " tb=" + tb + " at " + i + "," + j);
                            }
                    }
                }
            }
    }

    /** The default backend (MKL's 16-bit GEMM where it is on the class path) and the widening fallback. */
    static java.util.List<Blas.Backend> backends() {
        java.util.List<Blas.Backend> l = new java.util.ArrayList<>();
        l.add(OpenBlasBackend.INSTANCE);
        if (Blas.mklAvailable()) l.add(MklBackend.instance());
        return l;
    }
}
