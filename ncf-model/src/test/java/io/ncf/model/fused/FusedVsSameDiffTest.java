package io.ncf.model.fused;

import io.ncf.model.DropoutMask;
import io.ncf.model.NeuMFConfig;
import io.ncf.model.ParamSet;
import io.ncf.model.samediff.SameDiffEngine;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;

import static io.ncf.model.fused.FusedCpuEngineTest.Batch;
import static org.junit.jupiter.api.Assertions.*;

/** The fused engine against the definition of NeuMF, the SameDiff graph. */
class FusedVsSameDiffTest {

    static double relError(ParamSet a, ParamSet b, String name) {
        FloatBuffer x = a.get(name).data().asNioFloat(), y = b.get(name).data().asNioFloat();
        double diff = 0, norm = 0;
        for (int k = 0; k < a.get(name).length(); k++) {
            double d = x.get(k) - y.get(k);
            diff += d * d;
            norm += (double) y.get(k) * y.get(k);
        }
        return Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-12);
    }

    @ParameterizedTest(name = "factors={0} layers={1} dropout={2} first layer {3}")
    @CsvSource({"4, 8 12 6 5, 0.5, PER_SAMPLE", "8, 16 8, 0.0, PER_SAMPLE", "3, 6 10 10 4 2, 0.2, PER_SAMPLE",
            "4, 8 12 6 5, 0.5, FACTORED", "8, 16 8, 0.0, FACTORED", "3, 6 10 10 4 2, 0.2, FACTORED"})
    void lossAndEveryGradientMatchTheGraph(int factors, String layers, float dropout, FusedCpuEngine.FirstLayer mode) {
        int[] l = java.util.Arrays.stream(layers.split(" ")).mapToInt(Integer::parseInt).toArray();
        NeuMFConfig c = new NeuMFConfig(17, 9, factors, l, dropout);
        ParamSet p = FusedCpuEngineTest.randomParams(c, 40 + factors);
        Batch b = Batch.random(c, 70, 41);
        DropoutMask mask = dropout == 0 ? DropoutMask.NONE : new DropoutMask(43, dropout);
        ParamSet gf = p.zerosLike(), gs = p.zerosLike();
        double lf, ls;
        try (FusedCpuEngine fused = new FusedCpuEngine(p, 32, 2); SameDiffEngine sd = new SameDiffEngine(p, 32)) {
            fused.setFirstLayer(mode);
            lf = fused.accumulateGradients(b.users(), b.items(), b.labels(), 3, 60, 1f / 60, mask, 500, gf);
            assertEquals(mode == FusedCpuEngine.FirstLayer.FACTORED, fused.deferringFirstLayer());
            fused.finishGradients(gf);
            ls = sd.accumulateGradients(b.users(), b.items(), b.labels(), 3, 60, 1f / 60, mask, 500, gs);
        }
        assertEquals(ls, lf, 1e-5 * Math.abs(ls));
        for (String n : p.names()) {
            assertTrue(gs.get(n).norm2Number().doubleValue() > 0, "SameDiff gradient of " + n + " is zero: nothing compared");
            double err = relError(gf, gs, n);
            assertTrue(err < 1e-5, "gradient " + n + ": relative error " + err);
        }
    }

    @ParameterizedTest(name = "first layer {0}")
    @EnumSource(value = FusedCpuEngine.FirstLayer.class, names = {"PER_SAMPLE", "FACTORED"})
    void fiftyAdamStepsMatchTheGraph(FusedCpuEngine.FirstLayer mode) {
        NeuMFConfig c = new NeuMFConfig(15, 12, 4, new int[]{8, 12, 6, 5}, 0.5f);
        ParamSet pf = FusedCpuEngineTest.randomParams(c, 51, 3f), ps = pf.copy();
        ParamSet gf = pf.zerosLike(), mf = pf.zerosLike(), vf = pf.zerosLike();
        ParamSet gs = pf.zerosLike(), ms = pf.zerosLike(), vs = pf.zerosLike();
        int n = 40;
        try (FusedCpuEngine fused = new FusedCpuEngine(pf, 16, 2); SameDiffEngine sd = new SameDiffEngine(ps, 16)) {
            fused.setFirstLayer(mode);
            for (int step = 1; step <= 50; step++) {
                Batch b = Batch.random(c, n, 900 + step);
                DropoutMask mask = DropoutMask.forStep(3, step, c.dropout());
                fused.accumulateGradients(b.users(), b.items(), b.labels(), 0, n, 1f / n, mask, (long) step * n, gf);
                fused.finishGradients(gf);
                sd.accumulateGradients(b.users(), b.items(), b.labels(), 0, n, 1f / n, mask, (long) step * n, gs);
                AdamKernels.Step s = new AdamKernels.Step(0.0045f, 0.25f, 0.5f, 1e-8f, step);
                for (String name : pf.names()) {
                    int len = (int) pf.get(name).length();
                    AdamKernels.dense(fused.workers(), pf.get(name).data().asNioFloat(), gf.get(name).data().asNioFloat(),
                            mf.get(name).data().asNioFloat(), vf.get(name).data().asNioFloat(), len, s, true);
                    AdamKernels.dense(fused.workers(), ps.get(name).data().asNioFloat(), gs.get(name).data().asNioFloat(),
                            ms.get(name).data().asNioFloat(), vs.get(name).data().asNioFloat(), len, s, true);
                }
                fused.parametersChanged();
            }
        }
        for (String name : pf.names()) {
            double err = relError(pf, ps, name);
            assertTrue(err < 1e-4, "after 50 Adam steps " + name + " differs by " + err);
        }
    }

    @ParameterizedTest(name = "first layer {0}")
    @EnumSource(value = FusedCpuEngine.FirstLayer.class, names = {"PER_SAMPLE", "FACTORED"})
    void scoresMatchTheGraph(FusedCpuEngine.FirstLayer mode) {
        NeuMFConfig c = new NeuMFConfig(21, 14, 4, new int[]{8, 12, 6, 5}, 0.5f);
        ParamSet p = FusedCpuEngineTest.randomParams(c, 61, 3f);
        Batch b = Batch.random(c, 45, 62);
        float[] of = new float[45], os = new float[45];
        try (FusedCpuEngine fused = new FusedCpuEngine(p, 16, 2); SameDiffEngine sd = new SameDiffEngine(p, 16)) {
            fused.setFirstLayer(mode);
            fused.parametersChanged();
            fused.score(b.users(), b.items(), 45, of);
            sd.score(b.users(), b.items(), 45, os);
        }
        for (int k = 0; k < 45; k++) assertEquals(os[k], of[k], 1e-5 * Math.max(1, Math.abs(os[k])), "score " + k);
    }
}
