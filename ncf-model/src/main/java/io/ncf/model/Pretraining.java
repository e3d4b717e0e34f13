package io.ncf.model;

import io.ncf.core.NeuMFConfig;
import io.ncf.core.ParamShapes;

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
        NeuMFConfig g = gmf.config(), m = mlp.config();
        return ParamSet.fromFlat(expected, combineFlat(gmf.toFlat(), g, mlp.toFlat(), m, expected, alpha));
    }

    /** The checks of {@link #combine}; throws IllegalArgumentException naming what differs. */
    public static void check(NeuMFConfig g, NeuMFConfig m, NeuMFConfig expected, float alpha) {
        if (!(alpha >= 0 && alpha <= 1)) throw new IllegalArgumentException("alpha must be in [0, 1], got " + alpha);
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
    }

    /**
     * {@link #combine} on flat parameters in {@link ParamShapes} order (the engine-neutral form; loads no ND4J). Both
     * inputs must already have {@code expected}'s shapes in the branch they contribute; the other branch's tensors
     * only need the layout of their own model, which for GMF and MLP models of the same users and items differs
     * only in the branch not read, so offsets are taken per model.
     */
    public static float[] combineFlat(float[] gmf, NeuMFConfig gmfConfig, float[] mlp, NeuMFConfig mlpConfig, NeuMFConfig expected, float alpha) {
        check(gmfConfig, mlpConfig, expected, alpha);
        float[] p = new float[Math.toIntExact(ParamShapes.totalLength(expected))];
        copy(gmf, gmfConfig, p, expected, ParamSet.MF_USER);
        copy(gmf, gmfConfig, p, expected, ParamSet.MF_ITEM);
        copy(mlp, mlpConfig, p, expected, ParamSet.MLP_USER);
        copy(mlp, mlpConfig, p, expected, ParamSet.MLP_ITEM);
        for (int k = 0; k < expected.denseLayerCount(); k++) {
            copy(mlp, mlpConfig, p, expected, ParamSet.denseWeight(k));
            copy(mlp, mlpConfig, p, expected, ParamSet.denseBias(k));
        }
        int w = (int) ParamShapes.offset(expected, ParamSet.FINAL_W);
        int wg = (int) ParamShapes.offset(gmfConfig, ParamSet.FINAL_W), wm = (int) ParamShapes.offset(mlpConfig, ParamSet.FINAL_W);
        int f = expected.factors(), n = expected.finalInputDim();
        int fm = mlpConfig.factors(); // the MLP model's own GMF width: its MLP rows of final_w start there
        for (int r = 0; r < n; r++) p[w + r] = r < f ? alpha * gmf[wg + r] : (1 - alpha) * mlp[wm + fm + (r - f)];
        int b = (int) ParamShapes.offset(expected, ParamSet.FINAL_B);
        p[b] = alpha * gmf[(int) ParamShapes.offset(gmfConfig, ParamSet.FINAL_B)] + (1 - alpha) * mlp[(int) ParamShapes.offset(mlpConfig, ParamSet.FINAL_B)];
        return p;
    }

    private static void copy(float[] src, NeuMFConfig srcConfig, float[] dst, NeuMFConfig dstConfig, String tensor) {
        int n = Math.toIntExact(ParamShapes.length(ParamShapes.of(dstConfig).get(tensor)));
        System.arraycopy(src, (int) ParamShapes.offset(srcConfig, tensor), dst, (int) ParamShapes.offset(dstConfig, tensor), n);
    }

    private static String join(int[] a) { return Arrays.toString(a).replaceAll("[\\[\\],]", ""); }
}
