package io.ncf.model.fused;

import io.ncf.model.DropoutMask;
import io.ncf.core.NeuMFConfig;
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

    /** Both first-layer modes of the fused engine beside one (slow) SameDiff run. */
    @Test
    void fiftyAdamStepsMatchTheGraph() {
        NeuMFConfig c = new NeuMFConfig(15, 12, 4, new int[]{8, 12, 6, 5}, 0.5f);
        FusedCpuEngine.FirstLayer[] modes = {FusedCpuEngine.FirstLayer.PER_SAMPLE, FusedCpuEngine.FirstLayer.FACTORED};
        ParamSet ps = FusedCpuEngineTest.randomParams(c, 51, 3f);
        ParamSet gs = ps.zerosLike(), ms = ps.zerosLike(), vs = ps.zerosLike();
        ParamSet[] pf = new ParamSet[modes.length], gf = new ParamSet[modes.length], mf = new ParamSet[modes.length], vf = new ParamSet[modes.length];
        FusedCpuEngine[] fused = new FusedCpuEngine[modes.length];
        int n = 40;
        try (SameDiffEngine sd = new SameDiffEngine(ps, 16)) {
            for (int m = 0; m < modes.length; m++) {
                pf[m] = ps.copy();
                gf[m] = ps.zerosLike();
                mf[m] = ps.zerosLike();
                vf[m] = ps.zerosLike();
                fused[m] = new FusedCpuEngine(pf[m], 16, 2);
                fused[m].setFirstLayer(modes[m]);
            }
            for (int step = 1; step <= 50; step++) {
                Batch b = Batch.random(c, n, 900 + step);
                DropoutMask mask = DropoutMask.forStep(3, step, c.dropout());
                sd.accumulateGradients(b.users(), b.items(), b.labels(), 0, n, 1f / n, mask, (long) step * n, gs);
                AdamKernels.Step s = new AdamKernels.Step(0.0045f, 0.25f, 0.5f, 1e-8f, step);
                for (String name : ps.names()) {
                    int len = (int) ps.get(name).length();
                    AdamKernels.dense(fused[0].workers(), ps.get(name).data().asNioFloat(), gs.get(name).data().asNioFloat(),
                            ms.get(name).data().asNioFloat(), vs.get(name).data().asNioFloat(), len, s, true);
                }
                for (int m = 0; m < modes.length; m++) {
                    fused[m].accumulateGradients(b.users(), b.items(), b.labels(), 0, n, 1f / n, mask, (long) step * n, gf[m]);
                    fused[m].finishGradients(gf[m]);
                    for (String name : ps.names()) {
                        int len = (int) ps.get(name).length();
                        AdamKernels.dense(fused[m].workers(), pf[m].get(name).data().asNioFloat(), gf[m].get(name).data().asNioFloat(),
                                mf[m].get(name).data().asNioFloat(), vf[m].get(name).data().asNioFloat(), len, s, true);
                    }
                    fused[m].parametersChanged();
                }
            }
        } finally {
            for (FusedCpuEngine f : fused) if (f != null) f.close();
        }
        for (int m = 0; m < modes.length; m++)
            for (String name : ps.names()) {
                double err = relError(pf[m], ps, name);
                assertTrue(err < 1e-4, modes[m] + ": after 50 Adam steps " + name + " differs by " + err);
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
