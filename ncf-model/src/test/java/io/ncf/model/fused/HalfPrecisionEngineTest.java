package io.ncf.model.fused;

import io.ncf.core.NeuMFConfig;
import io.ncf.core.blas.HalfFormat;
import io.ncf.core.blas.NativeKernels;
import io.ncf.core.blas.Workers;
import io.ncf.model.DropoutMask;
import io.ncf.model.ParamSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Map;

import static io.ncf.model.fused.FusedCpuEngineTest.*;
import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The fused engine with 16-bit products (BF16, FP16) against the double-precision reference run with the same
 * roundings (the products' inputs rounded to the format, everything else exact): the same loss and gradients up to
 * float summation order, so the same dropout masks, the same ReLU gates and the same places of rounding; and really
 * rounded (further from the unrounded reference than the FP32 engine). Runs wherever ncf's AVX-512 kernels load,
 * on MKL's 16-bit GEMM or on the widening fallback, which compute the same products.
 */
class HalfPrecisionEngineTest {

    @BeforeAll
    static void kernels() {
        assumeTrue(NativeKernels.trainingAvailable(), "skipped: ncf's AVX-512 training kernels do not run here: " + NativeKernels.status());
    }

    /** Widths of 16-bit rows that are not multiples of 16 (masked lanes) and a first layer over 32 (two mask words). */
    static final NeuMFConfig C = new NeuMFConfig(23, 19, 8, new int[]{40, 36, 20, 9}, 0.5f);

    @ParameterizedTest(name = "{0}, {1}, {2} threads, micro-batch {3}")
    @CsvSource({"BF16, PER_SAMPLE, 2, 64", "BF16, FACTORED, 2, 64", "BF16, FACTORED, 1, 300", "BF16, PER_SAMPLE, 3, 17",
            "FP16, PER_SAMPLE, 2, 64", "FP16, FACTORED, 2, 50"})
    void gradientsMatchTheReferenceUpToRounding(HalfFormat fmt, FusedCpuEngine.FirstLayer mode, int threads, int micro) {
        ParamSet p = randomParams(C, 5, 2f);
        Batch b = Batch.random(C, 400, 6);
        DropoutMask mask = new DropoutMask(17, 0.5f);
        // FP16 gradients need a loss scale to stay normal, as in training: 1024 here, divided out after
        float scale = fmt == HalfFormat.FP16 ? 1024f : 1f, weight = scale / 300;
        ReferenceNeuMF ref = new ReferenceNeuMF(p);
        Map<String, double[]> rg = ref.zeroGrads();
        double refLoss = ref.accumulate(b.users(), b.items(), b.labels(), 40, 300, 1f / 300, mask, 123, rg);
        ReferenceNeuMF rounded = new ReferenceNeuMF(p);
        rounded.productInputs = x -> fmt.round((float) x);
        rounded.factoredFirstLayer = mode == FusedCpuEngine.FirstLayer.FACTORED;
        Map<String, double[]> rr = rounded.zeroGrads();
        double roundedLoss = rounded.accumulate(b.users(), b.items(), b.labels(), 40, 300, 1f / 300, mask, 123, rr);
        ParamSet g16 = p.zerosLike(), g32 = p.zerosLike();
        double loss16, loss32;
        try (Workers w = new Workers(threads);
             FusedCpuEngine e16 = new FusedCpuEngine(p, micro, w, fmt);
             FusedCpuEngine e32 = new FusedCpuEngine(p, micro, w, true)) {
            e16.setFirstLayer(mode);
            e32.setFirstLayer(mode);
            loss16 = e16.accumulateGradients(b.users(), b.items(), b.labels(), 40, 300, weight, mask, 123, g16);
            e16.finishGradients(g16);
            loss32 = e32.accumulateGradients(b.users(), b.items(), b.labels(), 40, 300, 1f / 300, mask, 123, g32);
            e32.finishGradients(g32);
        }
        for (String n : g16.names()) g16.get(n).divi(scale);
        // exactly the reference with the engine's roundings, up to float summation order
        assertEquals(roundedLoss, loss16, 1e-5 * Math.abs(roundedLoss), "loss");
        assertGradsMatch(g16, rr, 1e-4);   // (a double-computed value rounds differently from a float one at rare ties)
        assertEquals(refLoss, loss32, 1e-5 * Math.abs(refLoss), "FP32 loss");
        // really 16-bit: the dense weights' gradients are further from the reference than the FP32 engine's
        String w1 = ParamSet.denseWeight(1);
        double err16 = relError(g16.get(w1).data().asNioFloat(), rg.get(w1)), err32 = relError(g32.get(w1).data().asNioFloat(), rg.get(w1));
        assertTrue(err16 > 10 * err32 && err16 > 1e-4, "16-bit error " + err16 + " against FP32 " + err32 + ": not rounded?");
    }

    /** Widths the AMX kernels take (multiples of 32 in, 16 out), but for the last layer's input gradient (16 wide). */
    static final NeuMFConfig AMX_SHAPES = new NeuMFConfig(23, 19, 8, new int[]{64, 64, 32, 16}, 0.5f);

    @ParameterizedTest(name = "{0}, {1} threads, micro-batch {2}")
    @CsvSource({"PER_SAMPLE, 2, 64", "FACTORED, 2, 50", "FACTORED, 1, 300", "PER_SAMPLE, 3, 37"})
    void amxLayerKernelsMatchTheRoundedReferenceAndTheUnfusedPath(FusedCpuEngine.FirstLayer mode, int threads, int micro) {
        assumeTrue(NativeKernels.amxAvailable(), "skipped: no AMX-BF16 here (or Linux refused the tile registers)");
        ParamSet p = randomParams(AMX_SHAPES, 12, 2f);
        Batch b = Batch.random(AMX_SHAPES, 400, 13);
        DropoutMask mask = new DropoutMask(21, 0.5f);
        ReferenceNeuMF rounded = new ReferenceNeuMF(p);
        rounded.productInputs = x -> HalfFormat.BF16.round((float) x);
        rounded.factoredFirstLayer = mode == FusedCpuEngine.FirstLayer.FACTORED;
        Map<String, double[]> rr = rounded.zeroGrads();
        double refLoss = rounded.accumulate(b.users(), b.items(), b.labels(), 40, 300, 1f / 300, mask, 123, rr);
        ParamSet[] g = {p.zerosLike(), p.zerosLike()};
        double[] loss = new double[2];
        for (int fused = 0; fused < 2; fused++) {
            try (Workers w = new Workers(threads); FusedCpuEngine e = new FusedCpuEngine(p, micro, w, HalfFormat.BF16)) {
                e.setFirstLayer(mode);
                e.setAmxKernels(fused == 1);
                assertEquals(fused == 1, e.amxKernels());
                loss[fused] = e.accumulateGradients(b.users(), b.items(), b.labels(), 40, 300, 1f / 300, mask, 123, g[fused]);
                e.finishGradients(g[fused]);
            }
        }
        for (int fused = 0; fused < 2; fused++) {
            assertEquals(refLoss, loss[fused], 1e-5 * Math.abs(refLoss), "loss, AMX " + (fused == 1));
            assertGradsMatch(g[fused], rr, 1e-4);
        }
        for (String n : p.names()) {
            double[] plain = new double[(int) p.get(n).length()];
            for (int k = 0; k < plain.length; k++) plain[k] = g[0].get(n).getDouble(k);
            assertTrue(relError(g[1].get(n).data().asNioFloat(), plain) < 1e-5, n + ": AMX and unfused gradients differ beyond summation order");
        }
    }

    @Test
    void aStepIsReproducibleAndIndependentOfTheMicroBatchOnlyUpToSummationOrder() {
        ParamSet p = randomParams(C, 8, 2f);
        Batch b = Batch.random(C, 256, 9);
        DropoutMask mask = new DropoutMask(3, 0.5f);
        ParamSet[] g = {p.zerosLike(), p.zerosLike()};
        for (int rep = 0; rep < 2; rep++) {
            try (Workers w = new Workers(2); FusedCpuEngine e = new FusedCpuEngine(p, 64, w, HalfFormat.BF16)) {
                e.accumulateGradients(b.users(), b.items(), b.labels(), 0, 256, 1f / 256, mask, 0, g[rep]);
                e.finishGradients(g[rep]);
            }
        }
        for (String n : p.names())
            assertArrayEquals(g[0].get(n).dup().reshape(-1).toFloatVector(), g[1].get(n).dup().reshape(-1).toFloatVector(), 0f, n + ": two identical runs differ");
    }

    @Test
    void scoringStaysFp32() {
        ParamSet p = randomParams(C, 10, 2f);
        Batch b = Batch.random(C, 100, 11);
        float[] s16 = new float[100], s32 = new float[100];
        try (Workers w = new Workers(2);
             FusedCpuEngine e16 = new FusedCpuEngine(p, 64, w, HalfFormat.BF16);
             FusedCpuEngine e32 = new FusedCpuEngine(p, 64, w, true)) {
            e16.score(b.users(), b.items(), 100, s16);
            e32.score(b.users(), b.items(), 100, s32);
        }
        assertArrayEquals(s32, s16, 0f);
    }
}
