package io.ncf.cuda;

import io.ncf.train.AdamConfig;

import io.ncf.core.NeuMFConfig;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The precision flag, Adam's scalars and the host init (the harness's file formats are tested in ncf-bench). */
class FormatsTest {

    @Test void precisionParsingAndProperties() {
        assertEquals(Precision.FP16, Precision.parse(" fp16 "));
        assertTrue(Precision.TF32.usesTf32());
        assertTrue(Precision.FP16.needsLossScaling());
        assertFalse(Precision.BF16.needsLossScaling());
        assertEquals(2, Precision.BF16.activationBytes());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Precision.parse("fp8"));
        assertTrue(e.getMessage().contains("fp8"));
    }

    @Test void adamBiasCorrections() {
        AdamConfig a = AdamConfig.nvidia();
        assertEquals(0.0045 / 0.75, a.stepSize(1), 1e-9);
        assertEquals(Math.sqrt(0.5), a.bias2Sqrt(1), 1e-7);
        assertEquals(0.0045, a.stepSize(60), 1e-9);
        assertThrows(IllegalArgumentException.class, () -> new AdamConfig(0f, 0.9f, 0.99f, 1e-8f));
    }

    @Test void hostInitIsDeterministicAndFollowsNvidiasScales() {
        NeuMFConfig c = new NeuMFConfig(400, 300, 16, new int[]{32, 16, 8}, 0f);
        float[] a = io.ncf.model.ParamInit.nvidia(c, 5), b = io.ncf.model.ParamInit.nvidia(c, 5), d = io.ncf.model.ParamInit.nvidia(c, 6);
        assertArrayEquals(a, b);
        assertFalse(java.util.Arrays.equals(a, d));
        ParamLayout l = new ParamLayout(c);
        ParamLayout.Tensor emb = l.get("mf_user");
        double ss = 0;
        for (long i = emb.offset(); i < emb.offset() + emb.length(); i++) ss += a[(int) i] * a[(int) i];
        assertEquals(0.01, Math.sqrt(ss / emb.length()), 0.001);
        ParamLayout.Tensor w0 = l.denseWeight(0);
        double limit = Math.sqrt(6.0 / (32 + 16));
        for (long i = w0.offset(); i < w0.offset() + w0.length(); i++) assertTrue(Math.abs(a[(int) i]) <= limit);
        assertEquals(0f, a[(int) l.denseBias(0).offset()]);
    }
}
