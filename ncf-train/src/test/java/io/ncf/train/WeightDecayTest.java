package io.ncf.train;

import io.ncf.data.NcfDataset;
import io.ncf.model.ModelKind;
import io.ncf.core.NeuMFConfig;
import io.ncf.model.ParamInit;
import io.ncf.model.ParamSet;
import io.ncf.train.engine.TrainingEngine;
import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;

import static org.junit.jupiter.api.Assertions.*;

/** Decoupled weight decay: exactly the rows a step trains shrink by 1 − lr·λ, before the step's Adam update. */
class WeightDecayTest {

    static final NcfDataset DS = TestRuns.smallDemo(4, 120);

    @Test
    void oneStepShrinksTouchedRowsAndWeightsOnly() {
        NeuMFConfig c = new NeuMFConfig(DS.numUsers(), DS.numItems(), 8, new int[]{16, 8, 4}, 0f);
        float lr = 0.01f, le = 0.5f, lw = 0.25f;
        TrainingOptions plain = TestRuns.withAdam(TrainingOptions.defaults().withBatch(64).withSeed(9).withEpochs(1), lr, 0.9f, 0.999f, 1e-8f);
        TrainingOptions decayed = plain.withL2(le, lw);
        float[] init = ParamInit.nvidia(c, 9);
        ParamSet a = afterOneStep(c, plain, init), b = afterOneStep(c, decayed, init), p0 = ParamSet.fromFlat(c, init);
        int touchedUsers = 0, untouchedUsers = 0;
        for (String table : new String[]{ParamSet.MF_USER, ParamSet.MLP_USER, ParamSet.MF_ITEM, ParamSet.MLP_ITEM}) {
            int width = (int) p0.get(table).size(1);
            FloatBuffer x = buf(a, table), y = buf(b, table), init0 = buf(p0, table);
            for (int r = 0; r < p0.get(table).size(0); r++) {
                boolean same = true;
                for (int f = 0; f < width; f++) same &= x.get(r * width + f) == y.get(r * width + f);
                if (same) {
                    if (table.equals(ParamSet.MF_USER)) untouchedUsers++;
                    continue;
                }
                if (table.equals(ParamSet.MF_USER)) touchedUsers++;
                for (int f = 0; f < width; f++) {
                    int k = r * width + f;
                    assertEquals(-lr * le * init0.get(k), y.get(k) - x.get(k), 1e-6, table + " row " + r + " moved by more than its decay");
                }
            }
        }
        assertTrue(touchedUsers > 0 && untouchedUsers > 0, "a 64-sample step trains some users, not all: " + touchedUsers + " / " + untouchedUsers);
        for (String w : new String[]{ParamSet.denseWeight(0), ParamSet.FINAL_W}) {
            FloatBuffer x = buf(a, w), y = buf(b, w), init0 = buf(p0, w);
            for (int k = 0; k < p0.get(w).length(); k++) assertEquals(-lr * lw * init0.get(k), y.get(k) - x.get(k), 1e-6, w + "[" + k + "]");
        }
        for (String bias : new String[]{ParamSet.denseBias(0), ParamSet.FINAL_B})
            assertArrayEquals(a.get(bias).dup().ravel().toFloatVector(), b.get(bias).dup().ravel().toFloatVector(), 0f, bias + " is not decayed");
    }

    @Test
    void decayShrinksEmbeddingsOverTrainingAndStillLearns() {
        NeuMFConfig c = new NeuMFConfig(DS.numUsers(), DS.numItems(), 8, new int[]{16, 8, 4}, 0f);
        TrainingOptions o = TestRuns.withAdam(TrainingOptions.defaults().withBatch(256).withSeed(2).withEpochs(4).withEvalAfter(3), 0.005f, 0.9f, 0.999f, 1e-8f);
        float[] init = ParamInit.nvidia(c, 2);
        double plainNorm, decayNorm, decayHr;
        try (TrainingEngine e = TestRuns.fused(DS, c, o)) {
            TestRuns.train(e, c, o);
            plainNorm = norm(ParamSet.fromFlat(c, e.parameters()).get(ParamSet.MF_ITEM).dup().ravel().toFloatVector());
        }
        TrainingOptions d = o.withL2(2f, 0f);
        try (TrainingEngine e = TestRuns.open("fused", DS, c, ModelKind.NEUMF, d, LossScaler.none(), init)) {
            decayHr = TestRuns.train(e, c, d).bestHitRate();
            decayNorm = norm(ParamSet.fromFlat(c, e.parameters()).get(ParamSet.MF_ITEM).dup().ravel().toFloatVector());
        }
        assertTrue(decayNorm < 0.9 * plainNorm, "decay shrinks the item table: " + decayNorm + " vs " + plainNorm);
        assertTrue(decayHr > 0.3, "and the model still learns: HR " + decayHr);
    }

    @Test
    void frozenEntriesOfAVariantStayPutUnderDecay() {
        NeuMFConfig c = new NeuMFConfig(DS.numUsers(), DS.numItems(), 8, new int[]{16, 8, 4}, 0f);
        TrainingOptions o = TestRuns.withAdam(TrainingOptions.defaults().withBatch(256).withSeed(2).withEpochs(1), 0.01f, 0.9f, 0.999f, 1e-8f).withL2(1f, 1f);
        float[] init = ModelKind.MF.shape(ParamInit.nvidia(c, 2), c);
        float[] after;
        try (TrainingEngine e = TestRuns.open("fused", DS, c, ModelKind.MF, o, LossScaler.none(), init)) {
            TestRuns.train(e, c, o);
            after = e.parameters();
        }
        ParamSet p = ParamSet.fromFlat(c, after), p0 = ParamSet.fromFlat(c, init);
        assertArrayEquals(p0.get(ParamSet.FINAL_W).dup().ravel().toFloatVector(), p.get(ParamSet.FINAL_W).dup().ravel().toFloatVector(), 0f, "MF's fixed final_w");
        assertArrayEquals(p0.get(ParamSet.denseWeight(0)).dup().ravel().toFloatVector(), p.get(ParamSet.denseWeight(0)).dup().ravel().toFloatVector(), 0f, "MF's frozen MLP");
        assertArrayEquals(p0.get(ParamSet.MLP_ITEM).dup().ravel().toFloatVector(), p.get(ParamSet.MLP_ITEM).dup().ravel().toFloatVector(), 0f, "MF's frozen MLP table");
    }

    private static ParamSet afterOneStep(NeuMFConfig c, TrainingOptions o, float[] init) {
        try (TrainingEngine e = TestRuns.open("fused", DS, c, ModelKind.NEUMF, o, LossScaler.none(), init.clone())) {
            e.beginEpoch(0);
            e.step(0, 0);
            return ParamSet.fromFlat(c, e.parameters());
        }
    }

    private static FloatBuffer buf(ParamSet p, String t) { return p.get(t).data().asNioFloat(); }

    private static double norm(float[] v) {
        double s = 0;
        for (float x : v) s += (double) x * x;
        return Math.sqrt(s);
    }
}
