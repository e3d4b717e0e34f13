package io.ncf.cuda;

import io.ncf.model.NeuMFConfig;

import java.util.Random;

/**
 * NVIDIA's initialisation as a flat FP32 array in {@link ParamLayout} order, drawing the same {@link Random}
 * sequence as {@code ParamSet.initialize(config, seed)} (embeddings N(0, 0.01) in table order, dense weights
 * Glorot-uniform, final layer LeCun-uniform, biases zero), so a GPU run and a CPU run of the same seed start
 * from the same model without the GPU path loading ND4J.
 */
public final class HostInit {

    private HostInit() {}

    public static float[] nvidia(NeuMFConfig c, long seed) {
        ParamLayout layout = new ParamLayout(c);
        float[] flat = new float[Math.toIntExact(layout.totalLength())];
        Random rng = new Random(seed);
        for (String n : new String[]{"mf_user", "mf_item", "mlp_user", "mlp_item"}) {
            ParamLayout.Tensor t = layout.get(n);
            for (long i = t.offset(); i < t.offset() + t.length(); i++) flat[(int) i] = (float) (rng.nextGaussian() * 0.01);
        }
        for (int k = 0; k < c.denseLayerCount(); k++) {
            int in = c.layer(k), out = c.layer(k + 1);
            uniform(flat, layout.denseWeight(k), Math.sqrt(6.0 / (in + out)), rng);
        }
        uniform(flat, layout.get("final_w"), Math.sqrt(3.0 / c.finalInputDim()), rng);
        return flat;
    }

    private static void uniform(float[] flat, ParamLayout.Tensor t, double limit, Random rng) {
        for (long i = t.offset(); i < t.offset() + t.length(); i++) flat[(int) i] = (float) ((rng.nextDouble() * 2 - 1) * limit);
    }
}
