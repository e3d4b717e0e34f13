package io.ncf.train;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The loss scaler's bookkeeping: an engine reports whether a step's gradients were finite, the scaler answers whether
 * to apply the step and what the next scale is. What an engine does with its gradients (the finite check, unscaling,
 * discarding a skipped step's gradients) is tested on the host engine (io.ncf.train.host.HostTrainingEngineTest).
 */
class LossScalerTest {

    @Test void overflowSkipsTheStepAndHalvesTheScale() {
        LossScaler s = LossScaler.dynamic(1024, 3, 1);
        assertFalse(s.update(false));
        assertEquals(512f, s.lossScale());
        assertEquals(1, s.skippedThisEpoch());

        assertFalse(s.update(false), "every overflow (inf or NaN) is skipped");
        assertEquals(256f, s.lossScale());
        assertEquals(2, s.skippedTotal());
        assertEquals(2, s.steps());
        s.onEpochStart(1);
        assertEquals(0, s.skippedThisEpoch(), "per-epoch counter restarts");
        assertEquals(2, s.skippedTotal());
    }

    @Test void goodStepsAreAppliedAndGrowTheScaleAfterTheWindow() {
        LossScaler s = LossScaler.dynamic(8, 3, 1);
        assertTrue(s.update(true));
        assertEquals(8f, s.lossScale());
        assertEquals(1, s.goodSteps());
        assertTrue(s.update(true));
        assertEquals(8f, s.lossScale(), "no growth before the window is full");
        assertTrue(s.update(true));
        assertEquals(16f, s.lossScale(), "doubled after 3 consecutive good steps");
        assertEquals(0, s.goodSteps(), "the window restarts at a change of scale");

        // an overflow restarts the window
        assertTrue(s.update(true));
        assertTrue(s.update(true));
        assertFalse(s.update(false));
        assertEquals(8f, s.lossScale());
        assertEquals(0, s.goodSteps());
        assertTrue(s.update(true));
        assertTrue(s.update(true));
        assertEquals(8f, s.lossScale(), "window counts from the last overflow");
        assertTrue(s.update(true));
        assertEquals(16f, s.lossScale());
        assertEquals(9, s.steps());
        assertEquals(1, s.skippedTotal());
    }

    @Test void growthStopsAtTheMaximum() {
        LossScaler s = LossScaler.dynamic(LossScaler.MAX_SCALE / 2, 1, 1);
        assertTrue(s.update(true));
        assertEquals(LossScaler.MAX_SCALE, s.lossScale());
        assertTrue(s.update(true));
        assertEquals(LossScaler.MAX_SCALE, s.lossScale());
    }

    @Test void collapseBelowTheFloorIsAClearError() {
        LossScaler s = LossScaler.dynamic(4, 2000, 1);
        assertFalse(s.update(false));   // 2
        assertFalse(s.update(false));   // 1, still at the floor
        assertEquals(1f, s.lossScale());
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> s.update(false));
        assertTrue(e.getMessage().contains("below lossScaleFloor 1"), e.getMessage());
        assertTrue(e.getMessage().contains("3 skipped steps"), e.getMessage());
    }

    @Test void fixedScaleNeverChangesButStillSkipsOverflows() {
        LossScaler s = LossScaler.fixed(128);
        assertTrue(s.isActive());
        assertFalse(s.isDynamic());
        for (int i = 0; i < 2500; i++) assertTrue(s.update(true));
        assertEquals(128f, s.lossScale());
        assertFalse(s.update(false));
        assertEquals(128f, s.lossScale());
        assertEquals(1, s.skippedTotal());
        for (int i = 0; i < 10; i++) assertFalse(s.update(false), "a fixed scale has no floor: it skips, never diverges");
        assertEquals(128f, s.lossScale());
    }

    @Test void noneIsScaleOneAndInactive() {
        LossScaler s = LossScaler.none();
        assertFalse(s.isActive());
        assertFalse(s.isDynamic());
        assertEquals(1f, s.lossScale());
        assertTrue(LossScaler.dynamicDefaults().isActive());
        assertEquals(LossScaler.DEFAULT_INITIAL, LossScaler.dynamicDefaults().lossScale());
    }

    @Test void restoreContinuesFromASavedScaleAndWindow() {
        LossScaler s = LossScaler.dynamic(1024, 3, 1).restore(64, 2);
        assertEquals(64f, s.lossScale());
        assertEquals(2, s.goodSteps());
        assertTrue(s.update(true));
        assertEquals(128f, s.lossScale(), "the saved window's third good step doubles the scale");
        assertThrows(IllegalArgumentException.class, () -> s.restore(0, 0));
        assertThrows(IllegalArgumentException.class, () -> s.restore(Float.NaN, 0));
        assertThrows(IllegalArgumentException.class, () -> s.restore(8, -1));
    }

    @Test void rejectsBadSettings() {
        var e = assertThrows(IllegalArgumentException.class, () -> LossScaler.fixed(0));
        assertTrue(e.getMessage().contains("lossScale must be positive"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LossScaler.fixed(Float.POSITIVE_INFINITY));
        e = assertThrows(IllegalArgumentException.class, () -> LossScaler.dynamic(1024, 0, 1));
        assertTrue(e.getMessage().contains("lossScaleWindow"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> LossScaler.dynamic(0.5f, 10, 1));
        assertTrue(e.getMessage().contains("below lossScaleFloor"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> LossScaler.dynamic(8, 10, 0));
        assertTrue(e.getMessage().contains("lossScaleFloor must"), e.getMessage());
    }
}
