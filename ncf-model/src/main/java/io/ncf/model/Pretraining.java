package io.ncf.model;

import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * NeuMF initialised from a trained GMF and a trained MLP model (He et al. 2017, §3.4.1): the GMF tables and
 * final_w's GMF rows from the GMF model; the MLP tables, dense layers and final_w's MLP rows from the MLP model;
 * then {@code final_w = [α·h_gmf ; (1-α)·h_mlp]} and {@code final_b = α·b_gmf + (1-α)·b_mlp} (the paper: α = 0.5).
 */
public final class Pretraining {

    public static final float DEFAULT_ALPHA = 0.5f;

    private Pretraining() {}

    /**
     * @param gmf   parameters of a GMF model; only its GMF part is read
     * @param mlp   parameters of an MLP model; only its MLP part is read
     * @param dropout dropout of the NeuMF model to train
     * @throws IllegalArgumentException when the two models do not share users and items, or a shape differs
     *                                  from {@code expected} (the message says which)
     */
    public static ParamSet combine(ParamSet gmf, ParamSet mlp, NeuMFConfig expected, float alpha) {
        if (!(alpha >= 0 && alpha <= 1)) throw new IllegalArgumentException("alpha must be in [0, 1], got " + alpha);
        NeuMFConfig g = gmf.config(), m = mlp.config();
        if (g.numUsers() != expected.numUsers() || g.numItems() != expected.numItems())
            throw new IllegalArgumentException("the GMF model is for " + g.numUsers() + " users × " + g.numItems() + " items but the data has "
                    + expected.numUsers() + " × " + expected.numItems());
        if (m.numUsers() != expected.numUsers() || m.numItems() != expected.numItems())
            throw new IllegalArgumentException("the MLP model is for " + m.numUsers() + " users × " + m.numItems() + " items but the data has "
                    + expected.numUsers() + " × " + expected.numItems());
        if (g.factors() != expected.factors())
            throw new IllegalArgumentException("the GMF model has --factors " + g.factors() + " but NeuMF is asked for " + expected.factors());
        if (!Arrays.equals(m.layers(), expected.layers()))
            throw new IllegalArgumentException("the MLP model has --layers " + join(m.layers()) + " but NeuMF is asked for " + join(expected.layers()));
        ParamSet p = ParamSet.zeros(expected);
        p.get(ParamSet.MF_USER).assign(gmf.get(ParamSet.MF_USER));
        p.get(ParamSet.MF_ITEM).assign(gmf.get(ParamSet.MF_ITEM));
        p.get(ParamSet.MLP_USER).assign(mlp.get(ParamSet.MLP_USER));
        p.get(ParamSet.MLP_ITEM).assign(mlp.get(ParamSet.MLP_ITEM));
        for (int k = 0; k < expected.denseLayerCount(); k++) {
            p.get(ParamSet.denseWeight(k)).assign(mlp.get(ParamSet.denseWeight(k)));
            p.get(ParamSet.denseBias(k)).assign(mlp.get(ParamSet.denseBias(k)));
        }
        FloatBuffer w = p.get(ParamSet.FINAL_W).data().asNioFloat();
        FloatBuffer wg = gmf.get(ParamSet.FINAL_W).data().asNioFloat(), wm = mlp.get(ParamSet.FINAL_W).data().asNioFloat();
        int f = expected.factors(), n = expected.finalInputDim();
        for (int r = 0; r < n; r++) w.put(r, r < f ? alpha * wg.get(r) : (1 - alpha) * wm.get(r));
        float bg = gmf.get(ParamSet.FINAL_B).getFloat(0), bm = mlp.get(ParamSet.FINAL_B).getFloat(0);
        p.get(ParamSet.FINAL_B).putScalar(0, alpha * bg + (1 - alpha) * bm);
        return p;
    }

    private static String join(int[] a) { return Arrays.toString(a).replaceAll("[\\[\\],]", ""); }
}
