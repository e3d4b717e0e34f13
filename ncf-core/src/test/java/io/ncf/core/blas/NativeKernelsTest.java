package io.ncf.core.blas;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * ncf's AVX-512 kernels against a double-precision reference: the product with its max epilogue on widths that fill
 * whole panels, half panels and a few lanes, row counts that are not a multiple of the 8-row block, a neg that
 * repeats every few rows or none; and the promise the scoring kernel builds on, that a row's result is the same bits
 * wherever it sits in the call. Where the library does not load here (no gcc at build time, no AVX-512F), the
 * tests say so and skip; on Linux x86-64 with AVX-512F it must load.
 */
class NativeKernelsTest {

    @BeforeAll static void loaded() {
        CpuFeatures cpu = CpuFeatures.detect();
        boolean linuxX86 = System.getProperty("os.name", "").toLowerCase().startsWith("linux") && System.getProperty("os.arch", "").equals("amd64");
        if (linuxX86 && cpu.has("avx512f") && NativeKernels.class.getResource("native/linux-x86_64/libncfkernels.so") != null)
            assertTrue(NativeKernels.loaded(), "built and supported here, so it must load: " + NativeKernels.status());
        assumeTrue(NativeKernels.loaded(), "skipped: " + NativeKernels.status());
    }

    @ParameterizedTest(name = "m {0} n {1} k {2} negRows {3}")
    @CsvSource({"256, 128, 256, 32", "256, 64, 128, 256", "256, 8, 16, 32", "13, 40, 7, 5", "9, 16, 64, 1", "8, 96, 33, 3", "256, 48, 100, 0"})
    void productWithMaxEqualsTheDefinition(int m, int n, int k, int negRows) {
        SplittableRandom r = new SplittableRandom(m * 31L + n * 7L + k);
        float[] a = random(r, m * k), b = random(r, k * n), neg = negRows == 0 ? null : random(r, negRows * n);
        float[] c = run(m, n, k, a, b, neg, negRows);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double s = 0, mag = 0;
                for (int q = 0; q < k; q++) { s += (double) a[i * k + q] * b[q * n + j]; mag += Math.abs((double) a[i * k + q] * b[q * n + j]); }
                double want = neg == null ? s : Math.max(s, neg[(i % negRows) * n + j]);
                assertEquals(want, c[i * n + j], 1e-6 * (1 + mag), "row " + i + " column " + j);
            }
    }

    @Test
    void aRowsResultDoesNotDependOnWhereItSits() {
        int m = 256, n = 80, k = 96, negRows = 32;
        SplittableRandom r = new SplittableRandom(3);
        float[] a = random(r, m * k), b = random(r, k * n), neg = random(r, negRows * n);
        float[] all = run(m, n, k, a, b, neg, negRows);
        for (int row : new int[]{0, 7, 8, 131, 255}) {
            // the row alone (m = 1, the one-row tail path), against neg row (row mod negRows)
            float[] ng = java.util.Arrays.copyOfRange(neg, (row % negRows) * n, (row % negRows + 1) * n);
            float[] one = run(1, n, k, java.util.Arrays.copyOfRange(a, row * k, (row + 1) * k), b, ng, 1);
            for (int j = 0; j < n; j++)
                assertEquals(Float.floatToRawIntBits(all[row * n + j]), Float.floatToRawIntBits(one[j]), "row " + row + " column " + j);
        }
    }

    @Test
    void rowDotsAgainstOneVectorOrEachRowsOwn() {
        for (int n : new int[]{64, 8, 40, 100}) {
            int m = 37, users = 5;
            SplittableRandom r = new SplittableRandom(n);
            float[] a = random(r, m * n), v = random(r, users * n);
            int[] idx = new int[m];
            for (int i = 0; i < m; i++) idx[i] = r.nextInt(users);
            try (FloatPointer pa = new FloatPointer(a); FloatPointer pv = new FloatPointer(v); org.bytedeco.javacpp.IntPointer pi = new org.bytedeco.javacpp.IntPointer(idx);
                 FloatPointer own = new FloatPointer(m + 1L); FloatPointer first = new FloatPointer(m + 1L); FloatPointer alone = new FloatPointer(1L)) {
                own.put(m, 42f);
                NativeKernels.rowDots(m, n, pa, n, pv, n, pi, own);
                NativeKernels.rowDots(m, n, pa, n, pv, n, null, first);
                assertEquals(42f, own.get(m), "nothing written past the end");
                for (int i = 0; i < m; i++) {
                    double want = 0, wantFirst = 0, mag = 0;
                    for (int j = 0; j < n; j++) {
                        want += (double) a[i * n + j] * v[idx[i] * n + j];
                        wantFirst += (double) a[i * n + j] * v[j];
                        mag += Math.abs(a[i * n + j]);
                    }
                    assertEquals(want, own.get(i), 1e-6 * (1 + mag), "n " + n + " row " + i + " against user " + idx[i]);
                    assertEquals(wantFirst, first.get(i), 1e-6 * (1 + mag), "n " + n + " row " + i + " against row 0");
                    // the row alone, at the start of a call of one: the same bits
                    NativeKernels.rowDots(1, n, new FloatPointer(pa).position((long) i * n), n, new FloatPointer(pv).position((long) idx[i] * n), n, null, alone);
                    assertEquals(Float.floatToRawIntBits(own.get(i)), Float.floatToRawIntBits(alone.get(0)), "n " + n + " row " + i + " alone");
                }
            }
        }
    }

    @Test
    void fmaxOverWholeVectorsAndATail() {
        for (int n : new int[]{1, 15, 16, 17, 1000}) {
            SplittableRandom r = new SplittableRandom(n);
            float[] a = random(r, n), b = random(r, n);
            try (FloatPointer pa = new FloatPointer(a); FloatPointer pb = new FloatPointer(b); FloatPointer out = new FloatPointer(n + 1L)) {
                out.put(n, 42f);
                NativeKernels.fmax(n, pa, pb, out);
                for (int j = 0; j < n; j++) assertEquals(Math.max(a[j], b[j]), out.get(j), "n " + n + " at " + j);
                assertEquals(42f, out.get(n), "n " + n + ": nothing written past the end");
            }
        }
    }

    @Test
    void theSwitchTakesAutoOrOffAndNamesABadValue() {
        try {
            System.setProperty(NativeKernels.PROPERTY, "off");
            assertFalse(NativeKernels.available());
            assertEquals("ncf kernels off (-Dncf.nativeKernels=off)", NativeKernels.status());
            System.setProperty(NativeKernels.PROPERTY, "auto");
            assertTrue(NativeKernels.available());
            System.setProperty(NativeKernels.PROPERTY, "of");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, NativeKernels::available);
            assertEquals("-Dncf.nativeKernels=of: unknown setting: expected auto or off", e.getMessage());
        } finally {
            System.clearProperty(NativeKernels.PROPERTY);
        }
    }

    @Test
    void aForeignPointerIsRefusedAsPackedWeights() {
        try (FloatPointer a = new FloatPointer(64); FloatPointer b = new FloatPointer(64); FloatPointer c = new FloatPointer(64)) {
            assertThrows(IllegalArgumentException.class, () -> NativeKernels.gemmMax(8, 8, 8, a, 8, b, null, 0, c, 8));
        }
    }

    /** C = max(A B, neg) through the kernel, with a guard after C that must stay untouched. */
    private static float[] run(int m, int n, int k, float[] a, float[] b, float[] neg, int negRows) {
        try (FloatPointer pa = new FloatPointer(a); FloatPointer pb = new FloatPointer(b); FloatPointer pn = neg == null ? null : new FloatPointer(neg);
             FloatPointer pc = new FloatPointer((long) m * n + 16); Pointer packed = NativeKernels.pack(k, n, pb, n)) {
            for (int g = 0; g < 16; g++) pc.put((long) m * n + g, -7f);
            NativeKernels.gemmMax(m, n, k, pa, k, packed, pn, negRows, pc, n);
            for (int g = 0; g < 16; g++) assertEquals(-7f, pc.get((long) m * n + g), "written past C");
            float[] c = new float[m * n];
            pc.get(c);
            return c;
        }
    }

    private static float[] random(SplittableRandom r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (r.nextDouble() * 2 - 1);
        return x;
    }
}
