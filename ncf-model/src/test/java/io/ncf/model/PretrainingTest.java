package io.ncf.model;

import io.ncf.core.NeuMFConfig;

import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;

import static org.junit.jupiter.api.Assertions.*;

/** NeuMF pre-training puts every tensor where it belongs (checked entry by entry). */
class PretrainingTest {

    static final NeuMFConfig C = ModelKindTest.C;

    @Test void everyTensorComesFromTheRightModel() {
        ParamSet gmf = ModelKindTest.random(ModelKind.GMF, 11), mlp = ModelKindTest.random(ModelKind.MLP, 12);
        ParamSet p = Pretraining.combine(gmf, mlp, C.withDropout(0.25f), 0.5f);
        assertEquals(0.25f, p.config().dropout());
        for (String n : p.names()) {
            FloatBuffer got = p.get(n).data().asNioFloat();
            for (int k = 0; k < p.get(n).length(); k++) {
                float expected = switch (n) {
                    case ParamSet.MF_USER, ParamSet.MF_ITEM -> ModelKindTest.f(gmf, n, k);
                    case ParamSet.FINAL_W -> k < C.factors() ? 0.5f * ModelKindTest.f(gmf, n, k) : 0.5f * ModelKindTest.f(mlp, n, k);
                    case ParamSet.FINAL_B -> 0.5f * ModelKindTest.f(gmf, n, 0) + 0.5f * ModelKindTest.f(mlp, n, 0);
                    default -> ModelKindTest.f(mlp, n, k); // mlp tables, dense weights and biases
                };
                assertEquals(expected, got.get(k), n + "[" + k + "]");
            }
        }
        // the result is an independent copy
        p.get(ParamSet.MF_USER).addi(1);
        assertNotEquals(ModelKindTest.f(p, ParamSet.MF_USER, 0), ModelKindTest.f(gmf, ParamSet.MF_USER, 0));
    }

    @Test void alphaWeighsTheTwoHeads() {
        ParamSet gmf = ModelKindTest.random(ModelKind.GMF, 1), mlp = ModelKindTest.random(ModelKind.MLP, 2);
        ParamSet p = Pretraining.combine(gmf, mlp, C, 0.25f);
        assertEquals(0.25f * ModelKindTest.f(gmf, ParamSet.FINAL_W, 0), ModelKindTest.f(p, ParamSet.FINAL_W, 0));
        assertEquals(0.75f * ModelKindTest.f(mlp, ParamSet.FINAL_W, C.factors()), ModelKindTest.f(p, ParamSet.FINAL_W, C.factors()));
    }

    @Test void refusesModelsOfOtherShapes() {
        ParamSet gmf = ModelKindTest.random(ModelKind.GMF, 1), mlp = ModelKindTest.random(ModelKind.MLP, 2);
        NeuMFConfig otherFactors = new NeuMFConfig(C.numUsers(), C.numItems(), 8, C.layers(), 0.5f);
        var e1 = assertThrows(IllegalArgumentException.class, () -> Pretraining.combine(gmf, mlp, otherFactors, 0.5f));
        assertTrue(e1.getMessage().contains("--factors 4") && e1.getMessage().contains("8"), e1.getMessage());
        NeuMFConfig otherLayers = new NeuMFConfig(C.numUsers(), C.numItems(), 4, new int[]{6, 4, 3}, 0.5f);
        var e2 = assertThrows(IllegalArgumentException.class, () -> Pretraining.combine(gmf, mlp, otherLayers, 0.5f));
        assertTrue(e2.getMessage().contains("--layers 6 5 3"), e2.getMessage());
        NeuMFConfig otherUsers = new NeuMFConfig(C.numUsers() + 1, C.numItems(), 4, C.layers(), 0.5f);
        var e3 = assertThrows(IllegalArgumentException.class, () -> Pretraining.combine(gmf, mlp, otherUsers, 0.5f));
        assertTrue(e3.getMessage().contains("GMF model is for 7 users"), e3.getMessage());
    }
}
