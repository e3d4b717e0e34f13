package io.ncf.train;

import io.ncf.model.NeuMFConfig;
import io.ncf.model.ParamSet;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class LossScalerTest {

    private static final NeuMFConfig TINY = new NeuMFConfig(5, 4, 2, new int[]{4, 4}, 0f);

    private static ParamSet grads(float fill) {
        ParamSet g = ParamSet.zeros(TINY);
        for (var a : g.arrays()) a.assign(fill);
        return g;
    }

    @Test void overflowSkipsTheStepHalvesTheScaleAndZeroesTheGradients() {
        LossScaler s = LossScaler.dynamic(1024, 3, 1);
        ParamSet g = grads(2f);
        g.get(ParamSet.MLP_ITEM).putScalar(3, Float.POSITIVE_INFINITY);
        assertFalse(s.beforeUpdate(g));
        assertEquals(512f, s.lossScale());
        assertEquals(1, s.skippedThisEpoch());
        for (var a : g.arrays()) assertEquals(0.0, a.amaxNumber().doubleValue(), "skipped step leaves zeroed gradients");

        ParamSet nan = grads(1f);
        nan.get(ParamSet.FINAL_B).putScalar(0, Float.NaN);
        assertFalse(s.beforeUpdate(nan), "NaN is an overflow too");
        assertEquals(256f, s.lossScale());
        assertEquals(2, s.skippedTotal());
        s.onEpochStart(1);
        assertEquals(0, s.skippedThisEpoch(), "per-epoch counter restarts");
        assertEquals(2, s.skippedTotal());
    }

    @Test void goodStepsUnscaleAndGrowAfterTheWindow() {
        LossScaler s = LossScaler.dynamic(8, 3, 1);
        ParamSet g = grads(16f);
        assertTrue(s.beforeUpdate(g));
        assertEquals(2f, g.get(ParamSet.MF_USER).getFloat(0), "gradients divided by the scale before Adam");
        assertEquals(8f, s.lossScale());
        assertTrue(s.beforeUpdate(grads(1)));
        assertEquals(8f, s.lossScale(), "no growth before the window is full");
        assertTrue(s.beforeUpdate(grads(1)));
        assertEquals(16f, s.lossScale(), "doubled after 3 consecutive good steps");

        // an overflow restarts the window
        assertTrue(s.beforeUpdate(grads(1)));
        assertTrue(s.beforeUpdate(grads(1)));
        assertFalse(s.beforeUpdate(grads(Float.POSITIVE_INFINITY)));
        assertEquals(8f, s.lossScale());
        assertTrue(s.beforeUpdate(grads(1)));
        assertTrue(s.beforeUpdate(grads(1)));
        assertEquals(8f, s.lossScale(), "window counts from the last overflow");
        assertTrue(s.beforeUpdate(grads(1)));
        assertEquals(16f, s.lossScale());
    }

    @Test void collapseBelowTheFloorIsAClearError() {
        LossScaler s = LossScaler.dynamic(4, 2000, 1);
        ParamSet bad = grads(Float.NaN);
        assertFalse(s.beforeUpdate(bad));   // 2
        assertFalse(s.beforeUpdate(grads(Float.NaN)));   // 1, still at the floor
        assertEquals(1f, s.lossScale());
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> s.beforeUpdate(grads(Float.NaN)));
        assertTrue(e.getMessage().contains("below --loss-scale-floor 1"), e.getMessage());
    }

    @Test void fixedScaleNeverChangesButStillSkipsOverflows() {
        LossScaler s = LossScaler.fixed(128);
        ParamSet ones = grads(1);
        for (int i = 0; i < 2500; i++) { ones.get(ParamSet.MF_USER).putScalar(0, 1f); assertTrue(s.beforeUpdate(ones)); }
        assertEquals(128f, s.lossScale());
        assertFalse(s.beforeUpdate(grads(Float.NEGATIVE_INFINITY)));
        assertEquals(128f, s.lossScale());
        assertEquals(1, s.skippedTotal());
    }

    @Test void rejectsBadSettings() {
        assertThrows(IllegalArgumentException.class, () -> LossScaler.fixed(0));
        assertThrows(IllegalArgumentException.class, () -> LossScaler.fixed(Float.POSITIVE_INFINITY));
        assertThrows(IllegalArgumentException.class, () -> LossScaler.dynamic(1024, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> LossScaler.dynamic(0.5f, 10, 1));
    }

    @Test void finiteCheckSeesEveryArrayAndNegativeZeroIsFine() {
        ParamSet g = grads(-0f);
        assertTrue(LossScaler.allFinite(g));
        g.get(ParamSet.denseBias(0)).putScalar(1, Float.NEGATIVE_INFINITY);
        assertFalse(LossScaler.allFinite(g));
    }
}
