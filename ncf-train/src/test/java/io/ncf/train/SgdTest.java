package io.ncf.train;

import io.ncf.model.ModelKind;
import io.ncf.core.NeuMFConfig;
import io.ncf.model.ParamInit;
import io.ncf.train.engine.EngineState;
import io.ncf.train.engine.TrainingEngine;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** Plain SGD steps p − lr·g: a first step moves every parameter in proportion to lr, and Adam's moments stay empty. */
class SgdTest {

    @Test
    void firstStepIsLinearInTheLearningRateAndKeepsNoMoments() {
        var ds = TestRuns.smallDemo(4, 80);
        NeuMFConfig c = new NeuMFConfig(ds.numUsers(), ds.numItems(), 8, new int[]{16, 8, 4}, 0f);
        float[] init = ParamInit.nvidia(c, 1);
        TrainingOptions o = TrainingOptions.defaults().withBatch(128).withSeed(1).withEpochs(1).withOptimizer(Optimizer.SGD);
        float[] one = step(ds, c, TestRuns.withAdam(o, 0.05f, 0.9f, 0.999f, 1e-8f), init), two = step(ds, c, TestRuns.withAdam(o, 0.1f, 0.9f, 0.999f, 1e-8f), init);
        int moved = 0;
        for (int k = 0; k < init.length; k++) {
            double d1 = one[k] - init[k], d2 = two[k] - init[k];
            assertEquals(2 * d1, d2, 1e-6 + 1e-3 * Math.abs(d2), "entry " + k);
            if (d1 != 0) moved++;
        }
        assertTrue(moved > 1000, "SGD moved " + moved + " entries");
        try (TrainingEngine e = TestRuns.open("fused", ds, c, ModelKind.NEUMF, TestRuns.withAdam(o, 0.05f, 0.9f, 0.999f, 1e-8f), LossScaler.none(), init.clone())) {
            e.beginEpoch(0);
            e.step(0, 0);
            EngineState s = e.snapshot();
            for (float m : s.adamM()) assertEquals(0f, m);
        }
    }

    @Test
    void sgdIsKeptByTheStateFileForResume(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        TrainingOptions o = TrainingOptions.defaults().withOptimizer(Optimizer.SGD).withL2(0.5f, 0.25f);
        NeuMFConfig c = new NeuMFConfig(3, 4, 2, new int[]{4, 2}, 0f);
        EngineState es = EngineState.initial(c, ParamInit.nvidia(c, 1));
        TrainingStateFile.write(dir, new TrainingState(1, 2, 0.5, 0.3, 0, -1, -1, 0.1, 0.2, es), o, java.util.Map.of());
        TrainingOptions back = TrainingStateFile.read(dir).options();
        assertEquals(o, back);
    }

    private static float[] step(io.ncf.data.NcfDataset ds, NeuMFConfig c, TrainingOptions o, float[] init) {
        try (TrainingEngine e = TestRuns.open("fused", ds, c, ModelKind.NEUMF, o, LossScaler.none(), init.clone())) {
            e.beginEpoch(0);
            e.step(0, 0);
            return e.parameters();
        }
    }
}
