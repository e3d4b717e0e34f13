package io.ncf.model.fused;

import io.ncf.model.DropoutMask;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

class MaskRowsTest {

    @Test
    void rowsAreExactlyTheDropoutMaskDefinition() {
        for (float rate : new float[]{0.5f, 0.1f, 0.9f, 0.3333f, 1e-5f, 0.99999f}) {
            DropoutMask mask = new DropoutMask(42, rate);
            MaskRows rows = new MaskRows(mask.threshold(), mask.keepValue());
            for (int w : new int[]{1, 3, 4, 5, 7, 8, 9, 12, 64, 100, 256, 4099}) {  // 4099: past the tabled draw offsets
                for (long sample = 0; sample < 50; sample++) {
                    for (int layer = 0; layer < 3; layer++) {
                        float[] expected = new float[w + 3], actual = new float[w + 3];
                        mask.fillRow(layer, sample, w, expected, 2);
                        rows.fill(actual, 2, w, mask.rowState(layer, sample), new long[MaskRows.draws(w)]);
                        assertArrayEquals(expected, actual, "rate " + rate + " width " + w + " sample " + sample);
                    }
                }
            }
        }
    }
}
