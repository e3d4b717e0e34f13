package io.ncf.train;

import io.ncf.core.NeuMFConfig;
import io.ncf.model.ParamSet;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class AdamTest {

    @Test void matchesTheReferenceFormulaOverSeveralSteps() {
        NeuMFConfig c = new NeuMFConfig(5, 4, 3, new int[]{4, 3}, 0f);
        ParamSet p = ParamSet.initialize(c, 3);
        ParamSet g = p.zerosLike();
        float lr = 0.0045f, b1 = 0.25f, b2 = 0.5f, eps = 1e-8f;
        Adam adam = new Adam(lr, b1, b2, eps, p);
        int n = (int) p.get(ParamSet.MF_USER).length();
        double[] ref = new double[n], m = new double[n], v = new double[n];
        for (int i = 0; i < n; i++) ref[i] = p.get(ParamSet.MF_USER).getDouble(i);
        Random r = new Random(1);
        for (int t = 1; t <= 5; t++) {
            float[] gv = new float[n];
            for (int i = 0; i < n; i++) gv[i] = (float) r.nextGaussian();
            g.clear();
            g.get(ParamSet.MF_USER).data().setData(gv);
            adam.step(p, g);
            for (int i = 0; i < n; i++) {
                m[i] = b1 * m[i] + (1 - b1) * gv[i];
                v[i] = b2 * v[i] + (1 - b2) * gv[i] * gv[i];
                double mh = m[i] / (1 - Math.pow(b1, t)), vh = v[i] / (1 - Math.pow(b2, t));
                ref[i] -= lr * mh / (Math.sqrt(vh) + eps);
            }
        }
        for (int i = 0; i < n; i++) assertEquals(ref[i], p.get(ParamSet.MF_USER).getDouble(i), 1e-6, "element " + i);
        assertEquals(5, adam.stepCount());
        // tensors that only ever saw zero gradients did not move
        assertEquals(0.0, p.get(ParamSet.FINAL_B).getDouble(0), 0.0);
    }

    @Test void rejectsImpossibleHyperparameters() {
        ParamSet p = ParamSet.initialize(new NeuMFConfig(2, 2, 2, new int[]{2, 2}, 0f), 1);
        var e = assertThrows(IllegalArgumentException.class, () -> new Adam(-1f, 0.25f, 0.5f, 1e-8f, p));
        assertTrue(e.getMessage().contains("learningRate must"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Adam(0.1f, 1f, 0.5f, 1e-8f, p));
        assertTrue(e.getMessage().contains("beta1 must"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Adam(0.1f, 0.2f, 0.5f, 0f, p));
        assertTrue(e.getMessage().contains("eps must"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new AdamConfig(Float.NaN, 0.25f, 0.5f, 1e-8f));
        assertTrue(e.getMessage().contains("learningRate must"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Adam(AdamConfig.nvidia(), p.zerosLike(), p.zerosLike(), -1));
        assertTrue(e.getMessage().contains("negative Adam step"), e.getMessage());
        assertEquals(new AdamConfig(0.0045f, 0.25f, 0.5f, 1e-8f), TrainingOptions.defaults().adam(), "the options' Adam is NVIDIA's");
    }

    /** The resume constructor: moments and step count handed over continue exactly as the uninterrupted optimizer. */
    @Test void continuesBitForBitFromHandedOverMomentsAndStep() {
        NeuMFConfig c = new NeuMFConfig(5, 4, 3, new int[]{4, 3}, 0f);
        AdamConfig cfg = new AdamConfig(0.01f, 0.9f, 0.999f, 1e-8f);
        ParamSet a = ParamSet.initialize(c, 4), g = a.zerosLike();
        Random r = new Random(2);
        ParamSet b;
        try (Adam full = new Adam(cfg, a)) {
            for (int t = 0; t < 3; t++) { fill(g, r); full.step(a, g); }
            b = a.copy();
            try (Adam resumed = new Adam(cfg, full.firstMoment().copy(), full.secondMoment().copy(), full.stepCount())) {
                for (int t = 0; t < 2; t++) {
                    fill(g, r);
                    ParamSet g2 = g.copy();
                    full.step(a, g);
                    resumed.step(b, g2);
                }
                assertEquals(5, resumed.stepCount());
                assertArrayEquals(full.firstMoment().toFlat(), resumed.firstMoment().toFlat(), 0f);
                assertArrayEquals(full.secondMoment().toFlat(), resumed.secondMoment().toFlat(), 0f);
            }
        }
        float[] x = a.toFlat(), y = b.toFlat();
        for (int i = 0; i < x.length; i++) assertEquals(Float.floatToRawIntBits(x[i]), Float.floatToRawIntBits(y[i]), "element " + i);
    }

    private static void fill(ParamSet g, Random r) {
        for (var arr : g.arrays()) {
            float[] v = new float[(int) arr.length()];
            for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
            arr.data().setData(v);
        }
    }
}
