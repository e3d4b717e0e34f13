package io.ncf.train;

import io.ncf.model.NeuMFConfig;
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
        assertThrows(IllegalArgumentException.class, () -> new Adam(-1f, 0.25f, 0.5f, 1e-8f, p));
        assertThrows(IllegalArgumentException.class, () -> new Adam(0.1f, 1f, 0.5f, 1e-8f, p));
        assertThrows(IllegalArgumentException.class, () -> new Adam(0.1f, 0.2f, 0.5f, 0f, p));
    }
}
