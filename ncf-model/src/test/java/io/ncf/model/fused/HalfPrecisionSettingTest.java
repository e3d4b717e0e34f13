package io.ncf.model.fused;

import io.ncf.core.Precision;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The fallback switch takes allow or refuse; another value is refused by name for any 16-bit run, on any CPU. */
class HalfPrecisionSettingTest {

    @AfterEach void clear() { System.clearProperty(HalfPrecision.PROPERTY); }

    @Test void aBadFallbackValueIsRefusedWhereverA16BitRunIsAskedFor() {
        System.setProperty(HalfPrecision.PROPERTY, "maybe");
        for (Precision p : new Precision[]{Precision.BF16, Precision.FP16}) {
            var ex = assertThrows(IllegalArgumentException.class, () -> HalfPrecision.unavailable(p));
            assertEquals("-Dncf.halfFallback=maybe: unknown setting: expected allow or refuse", ex.getMessage());
        }
        assertTrue(HalfPrecision.unavailable(Precision.FP32).isEmpty(), "FP32 never reads the switch");
        System.setProperty(HalfPrecision.PROPERTY, "allow");
        assertTrue(HalfPrecision.fallbackAllowed());
        System.setProperty(HalfPrecision.PROPERTY, " Refuse ");
        assertFalse(HalfPrecision.fallbackAllowed());
    }
}
