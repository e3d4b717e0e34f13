package io.ncf.model.fused;

import io.ncf.model.DropoutMask;
import io.ncf.core.NeuMFConfig;
import io.ncf.model.ParamSet;
import io.ncf.model.fused.FusedCpuEngine.FirstLayer;
import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;
import java.util.Random;

import static io.ncf.model.fused.FusedCpuEngineTest.Batch;
import static io.ncf.model.fused.FusedCpuEngineTest.SMALL;
import static io.ncf.model.fused.FusedCpuEngineTest.randomParams;
import static io.ncf.model.fused.FusedVsSameDiffTest.relError;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The first dense layer factored through the embedding tables (projections cached until parametersChanged, its
 * gradients deferred to finishGradients) against the per-sample path, and the step protocol that gates it.
 */
class FactoredFirstLayerTest {

    private static void assertSameGrads(ParamSet expected, ParamSet actual, double tol, String what) {
        for (String n : expected.names()) {
            assertTrue(expected.get(n).norm2Number().doubleValue() > 0, what + ": reference gradient of " + n + " is zero");
            double err = relError(actual, expected, n);
            assertTrue(err < tol, what + ": gradient " + n + " relative error " + err);
        }
    }

    @Test
    void factoredGradientsEqualPerSampleOnesAcrossMicroBatchesAndCalls() {
        ParamSet p = randomParams(SMALL, 21);
        Batch b = Batch.random(SMALL, 90, 22);
        DropoutMask mask = new DropoutMask(23, 0.5f);
        ParamSet ref = p.zerosLike(), fac = p.zerosLike();
        try (FusedCpuEngine perSample = new FusedCpuEngine(p, 128, 2); FusedCpuEngine factored = new FusedCpuEngine(p, 16, 2)) {
            perSample.setFirstLayer(FirstLayer.PER_SAMPLE);
            factored.setFirstLayer(FirstLayer.FACTORED);
            double l1 = perSample.accumulateGradients(b.users(), b.items(), b.labels(), 0, 90, 0.5f, mask, 200, ref);
            perSample.finishGradients(ref);
            double l2 = factored.accumulateGradients(b.users(), b.items(), b.labels(), 0, 30, 0.5f, mask, 200, fac)
                    + factored.accumulateGradients(b.users(), b.items(), b.labels(), 30, 41, 0.5f, mask, 230, fac)
                    + factored.accumulateGradients(b.users(), b.items(), b.labels(), 71, 19, 0.5f, mask, 271, fac);
            // before finishGradients the first layer's and the MLP tables' gradients are still pending
            assertEquals(0.0, fac.get(ParamSet.denseWeight(0)).norm2Number().doubleValue());
            assertEquals(0.0, fac.get(ParamSet.MLP_USER).norm2Number().doubleValue());
            factored.finishGradients(fac);
            assertFalse(factored.deferringFirstLayer());
            assertEquals(l1, l2, 1e-6 * Math.abs(l1));
        }
        assertSameGrads(ref, fac, 1e-5, "factored vs per-sample");
    }

    @Test
    void finiteDifferencesAgreeWithFactoredGradient() {
        NeuMFConfig c = SMALL.withDropout(0.25f);
        ParamSet p = randomParams(c, 8, 1f);
        Batch b = Batch.random(c, 30, 9);
        DropoutMask mask = new DropoutMask(11, 0.25f);
        try (FusedCpuEngine eng = new FusedCpuEngine(p, 32, 2)) {
            eng.setFirstLayer(FirstLayer.FACTORED);
            ParamSet g = p.zerosLike(), scratch = p.zerosLike();
            eng.accumulateGradients(b.users(), b.items(), b.labels(), 0, 30, 1f, mask, 0, g);
            eng.finishGradients(g);
            Random r = new Random(12);
            int checked = 0;
            for (String n : new String[]{ParamSet.MLP_USER, ParamSet.MLP_ITEM, ParamSet.denseWeight(0), ParamSet.denseBias(0)}) {
                FloatBuffer pb = p.get(n).data().asNioFloat(), gb = g.get(n).data().asNioFloat();
                int len = (int) p.get(n).length();
                int best = 0;
                for (int k = 1; k < len; k++) if (Math.abs(gb.get(k)) > Math.abs(gb.get(best))) best = k;
                for (int k : new int[]{best, r.nextInt(len), r.nextInt(len)}) {
                    float orig = pb.get(k), h = 1e-3f;
                    pb.put(k, orig + h);
                    eng.parametersChanged();   // the cached projections must follow the perturbed tables
                    double lp = eng.accumulateGradients(b.users(), b.items(), b.labels(), 0, 30, 1f, mask, 0, scratch);
                    eng.finishGradients(scratch);
                    pb.put(k, orig - h);
                    eng.parametersChanged();
                    double lm = eng.accumulateGradients(b.users(), b.items(), b.labels(), 0, 30, 1f, mask, 0, scratch);
                    eng.finishGradients(scratch);
                    pb.put(k, orig);
                    eng.parametersChanged();
                    double fd = (lp - lm) / (2.0 * ((orig + h) - orig));
                    double an = gb.get(k);
                    assertEquals(fd, an, 2e-2 * Math.max(Math.abs(an), 1e-3) + 2e-4, "d loss / d " + n + "[" + k + "]");
                    if (Math.abs(an) > 1e-3) checked++;
                }
            }
            assertTrue(checked >= 4, "too few non-trivial probes: " + checked);
        }
    }

    @Test
    void autoFactorsOnlyForCallersFollowingTheProtocolWithLargeSteps() {
        ParamSet p = randomParams(SMALL, 31);          // 13 users + 11 items: steps of >= 24 samples factor
        Batch b = Batch.random(SMALL, 60, 32);
        DropoutMask mask = new DropoutMask(33, 0.5f);
        try (FusedCpuEngine eng = new FusedCpuEngine(p, 16, 2)) {
            assertEquals(FirstLayer.AUTO, eng.firstLayer());
            ParamSet g = p.zerosLike();
            // a caller that never calls finishGradients/parametersChanged gets complete gradients from every call
            for (int k = 0; k < 3; k++) {
                eng.accumulateGradients(b.users(), b.items(), b.labels(), 0, 60, 1f, mask, 0, g);
                assertFalse(eng.deferringFirstLayer());
            }
            eng.finishGradients(g);
            eng.parametersChanged();
            eng.accumulateGradients(b.users(), b.items(), b.labels(), 0, 60, 1f, mask, 0, g);
            assertTrue(eng.deferringFirstLayer(), "a 60-sample step on 24 table rows should factor");
            eng.finishGradients(g);
            eng.parametersChanged();
            eng.accumulateGradients(b.users(), b.items(), b.labels(), 0, 10, 1f, mask, 0, g);
            assertTrue(eng.deferringFirstLayer(), "AUTO decides from the previous step's size");
            eng.finishGradients(g);
            eng.accumulateGradients(b.users(), b.items(), b.labels(), 0, 10, 1f, mask, 0, g);
            assertFalse(eng.deferringFirstLayer(), "after a 10-sample step the per-sample path is cheaper");
            eng.finishGradients(g);
        }
    }

    @Test
    void scoresFollowParameterChangesOnlyAfterParametersChanged() {
        ParamSet p = randomParams(SMALL, 41, 3f);
        Batch b = Batch.random(SMALL, 40, 42);
        float[] before = new float[40], after = new float[40], stale = new float[40], expected = new float[40];
        try (FusedCpuEngine eng = new FusedCpuEngine(p, 16, 2); FusedCpuEngine ref = new FusedCpuEngine(p, 16, 2)) {
            eng.setFirstLayer(FirstLayer.FACTORED);
            ref.setFirstLayer(FirstLayer.PER_SAMPLE);
            eng.parametersChanged();
            eng.score(b.users(), b.items(), 40, before);
            p.get(ParamSet.MLP_USER).muli(1.5);
            p.get(ParamSet.denseWeight(0)).addi(0.25);
            eng.score(b.users(), b.items(), 40, stale);
            assertArrayEquals(before, stale, "projections are cached until parametersChanged");
            eng.parametersChanged();
            eng.score(b.users(), b.items(), 40, after);
            ref.score(b.users(), b.items(), 40, expected);
        }
        boolean moved = false;
        for (int k = 0; k < 40; k++) {
            assertEquals(expected[k], after[k], 1e-5 * Math.max(1, Math.abs(expected[k])), "score " + k);
            moved |= Math.abs(after[k] - before[k]) > 1e-3;
        }
        assertTrue(moved, "the parameter change did not change any score: nothing checked");
    }

    @Test
    void aStepMustKeepOneGradientSet() {
        ParamSet p = randomParams(SMALL, 51);
        Batch b = Batch.random(SMALL, 20, 52);
        try (FusedCpuEngine eng = new FusedCpuEngine(p, 16, 1)) {
            eng.setFirstLayer(FirstLayer.FACTORED);
            ParamSet g = p.zerosLike(), other = p.zerosLike();
            eng.accumulateGradients(b.users(), b.items(), b.labels(), 0, 20, 1f, DropoutMask.NONE, 0, g);
            assertThrows(IllegalArgumentException.class,
                    () -> eng.accumulateGradients(b.users(), b.items(), b.labels(), 0, 20, 1f, DropoutMask.NONE, 0, other));
            assertThrows(IllegalArgumentException.class, () -> eng.finishGradients(other));
            assertThrows(IllegalStateException.class, () -> eng.setFirstLayer(FirstLayer.PER_SAMPLE));
            eng.finishGradients(g);
        }
    }
}
