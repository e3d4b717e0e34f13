package io.ncf.cuda;

import io.ncf.core.NeuMFConfig;
import io.ncf.model.ParamSet;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class ParamLayoutTest {

    @Test void sameNamesOrderAndSizesAsParamSet() {
        NeuMFConfig c = new NeuMFConfig(11, 13, 6, new int[]{10, 8, 4}, 0.2f);
        ParamLayout l = new ParamLayout(c);
        List<String> names = new ArrayList<>();
        long expectedOffset = 0;
        for (Map.Entry<String, long[]> e : ParamSet.shapes(c).entrySet()) {
            ParamLayout.Tensor t = l.get(e.getKey());
            long len = 1;
            for (long d : e.getValue()) len *= d;
            assertEquals(len, t.length(), e.getKey());
            assertEquals(expectedOffset, t.offset(), e.getKey() + " is contiguous after the previous tensor");
            expectedOffset += len;
            names.add(e.getKey());
        }
        assertEquals(names, l.tensors().stream().map(ParamLayout.Tensor::name).toList());
        assertEquals(c.parameterCount(), l.totalLength());
        assertEquals(l.get("mlp_w0").offset(), l.denseOffset());
    }

    @Test void splitAndJoinRoundTripAndCheckLengths() {
        ParamLayout l = new ParamLayout(new NeuMFConfig(3, 4, 2, new int[]{4, 2}, 0f));
        float[] flat = new float[(int) l.totalLength()];
        for (int i = 0; i < flat.length; i++) flat[i] = i;
        assertArrayEquals(flat, l.join(l.split(flat)));
        assertThrows(IllegalArgumentException.class, () -> l.split(new float[3]));
        float[][] parts = l.split(flat);
        parts[2] = new float[1];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> l.join(parts));
        assertTrue(e.getMessage().contains("mlp_user"), e.getMessage());
    }
}
