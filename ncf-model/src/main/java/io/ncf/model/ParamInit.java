package io.ncf.model;

import io.ncf.core.NeuMFConfig;
import io.ncf.core.ParamShapes;

import java.util.Random;

/**
 * NVIDIA's initialisation as one flat FP32 array in {@link ParamShapes} order: embeddings N(0, 0.01) in table order,
 * dense weights Glorot-uniform, the final layer LeCun-uniform, biases zero. Deterministic in {@code seed} and loads
 * no ND4J class, so every engine (the GPU one included) starts a run of one seed from the same model;
 * {@link ParamSet#initialize} is this array wrapped.
 */
public final class ParamInit {

    private ParamInit() {}

    public static float[] nvidia(NeuMFConfig c, long seed) {
        long total = ParamShapes.totalLength(c);
        if (total > Integer.MAX_VALUE - 8) throw new IllegalArgumentException(c + " has too many parameters for one Java array: " + total);
        float[] flat = new float[(int) total];
        Random rng = new Random(seed);
        for (String n : new String[]{ParamSet.MF_USER, ParamSet.MF_ITEM, ParamSet.MLP_USER, ParamSet.MLP_ITEM}) {
            int off = (int) ParamShapes.offset(c, n), len = (int) ParamShapes.length(ParamShapes.of(c).get(n));
            for (int i = off; i < off + len; i++) flat[i] = (float) (rng.nextGaussian() * 0.01);
        }
        for (int k = 0; k < c.denseLayerCount(); k++) {
            int in = c.layer(k), out = c.layer(k + 1);
            uniform(flat, c, ParamSet.denseWeight(k), Math.sqrt(6.0 / (in + out)), rng);
        }
        uniform(flat, c, ParamSet.FINAL_W, Math.sqrt(3.0 / c.finalInputDim()), rng);
        return flat;
    }

    private static void uniform(float[] flat, NeuMFConfig c, String tensor, double limit, Random rng) {
        int off = (int) ParamShapes.offset(c, tensor), len = (int) ParamShapes.length(ParamShapes.of(c).get(tensor));
        for (int i = off; i < off + len; i++) flat[i] = (float) ((rng.nextDouble() * 2 - 1) * limit);
    }
}
