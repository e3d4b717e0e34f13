package io.ncf.cuda;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class LossScalerTest {

    @Test void halvesAndSkipsOnOverflowThenGrowsAfterTheInterval() {
        LossScaler s = LossScaler.dynamic(1024f, 3);
        assertFalse(s.update(false));
        assertEquals(512f, s.scale());
        assertEquals(1, s.skippedSteps());
        assertTrue(s.update(true));
        assertTrue(s.update(true));
        assertEquals(512f, s.scale());
        assertTrue(s.update(true));
        assertEquals(1024f, s.scale(), "doubles after 3 good steps in a row");
        assertTrue(s.update(true));
        assertFalse(s.update(false));
        assertEquals(512f, s.scale());
        assertTrue(s.update(true));
        assertTrue(s.update(true));
        assertEquals(512f, s.scale(), "an overflow restarts the count of good steps");
    }

    @Test void neverBelowOneNorAboveTheCap() {
        LossScaler s = LossScaler.dynamic(2f, 1);
        for (int i = 0; i < 5; i++) s.update(false);
        assertEquals(1f, s.scale());
        for (int i = 0; i < 40; i++) s.update(true);
        assertEquals(1 << 24, s.scale());
    }

    @Test void fixedScalerKeepsItsScaleButStillSkipsNonFiniteSteps() {
        LossScaler s = LossScaler.fixed(1f);
        assertFalse(s.update(false));
        assertEquals(1f, s.scale());
        assertTrue(s.update(true));
        assertEquals(1f, s.scale());
        assertEquals(65536f, LossScaler.dynamicDefault().scale());
    }

    @Test void rejectsNonsense() {
        assertThrows(IllegalArgumentException.class, () -> LossScaler.dynamic(0f, 10));
        assertThrows(IllegalArgumentException.class, () -> LossScaler.dynamic(Float.POSITIVE_INFINITY, 10));
        assertThrows(IllegalArgumentException.class, () -> LossScaler.dynamic(8f, 0));
    }
}
