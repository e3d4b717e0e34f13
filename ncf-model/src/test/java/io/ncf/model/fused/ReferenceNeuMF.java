package io.ncf.model.fused;

import io.ncf.model.DropoutMask;
import io.ncf.core.NeuMFConfig;
import io.ncf.model.ParamSet;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * NeuMF forward and backward written as plainly as possible, one sample at a time in double precision, straight
 * from the definition. Slow and obviously right: the yardstick for the fused engine.
 */
final class ReferenceNeuMF {

    /** Parameters as double arrays, by {@link ParamSet} name, row-major. */
    final Map<String, double[]> p = new LinkedHashMap<>();
    final NeuMFConfig c;

    ReferenceNeuMF(ParamSet params) {
        c = params.config();
        for (String n : params.names()) {
            var buf = params.get(n).data().asNioFloat();
            double[] d = new double[(int) params.get(n).length()];
            for (int i = 0; i < d.length; i++) d[i] = buf.get(i);
            p.put(n, d);
        }
    }

    Map<String, double[]> zeroGrads() {
        Map<String, double[]> g = new LinkedHashMap<>();
        p.forEach((n, a) -> g.put(n, new double[a.length]));
        return g;
    }

    /**
     * Where the 16-bit engine rounds (identity: nowhere): the dense products' inputs (activations, weights, and dZ
     * of the backward products), except the first layer's when {@link #factoredFirstLayer} (the engine computes it
     * from FP32 projections). Activations, the head, the loss and the bias gradients stay unrounded.
     */
    java.util.function.DoubleUnaryOperator productInputs = x -> x;
    boolean factoredFirstLayer;

    private double r(int layer, double x) { return layer == 0 && factoredFirstLayer ? x : productInputs.applyAsDouble(x); }

    double logit(int u, int i) {
        return sample(u, i, 0, DropoutMask.NONE, 0, 0, null);
    }

    /**
     * Forward (and, when {@code grads} is not null, backward with factor {@code weight}) for one sample;
     * returns the logit when grads is null, else the loss.
     */
    double sample(int u, int i, double y, DropoutMask mask, long pos, double weight, Map<String, double[]> grads) {
        int f = c.factors(), e = c.mlpEmbeddingDim(), L = c.denseLayerCount();
        double[] mfu = p.get(ParamSet.MF_USER), mfi = p.get(ParamSet.MF_ITEM);
        double[] mlu = p.get(ParamSet.MLP_USER), mli = p.get(ParamSet.MLP_ITEM);
        double[] gmf = new double[f];
        for (int j = 0; j < f; j++) gmf[j] = mfu[u * f + j] * mfi[i * f + j];
        double[][] h = new double[L + 1][];
        double[][] pre = new double[L + 1][];
        double[][] m = new double[L + 1][];
        h[0] = new double[2 * e];
        for (int j = 0; j < e; j++) { h[0][j] = mlu[u * e + j]; h[0][e + j] = mli[i * e + j]; }
        for (int k = 0; k < L; k++) {
            int in = c.layer(k), out = c.layer(k + 1);
            double[] w = p.get(ParamSet.denseWeight(k)), b = p.get(ParamSet.denseBias(k));
            float[] mf = new float[out];
            mask.fillRow(k, pos, out, mf, 0);
            m[k + 1] = new double[out];
            pre[k + 1] = new double[out];
            h[k + 1] = new double[out];
            for (int o = 0; o < out; o++) {
                double z = b[o];
                for (int q = 0; q < in; q++) z += r(k, h[k][q]) * r(k, w[q * out + o]);
                pre[k + 1][o] = z;
                m[k + 1][o] = mf[o];
                h[k + 1][o] = Math.max(z, 0) * mf[o];
            }
        }
        double[] fw = p.get(ParamSet.FINAL_W);
        double z = p.get(ParamSet.FINAL_B)[0];
        int last = c.layer(L);
        for (int j = 0; j < f; j++) z += gmf[j] * fw[j];
        for (int j = 0; j < last; j++) z += h[L][j] * fw[f + j];
        if (grads == null) return z;

        double loss = Math.max(z, 0) - z * y + Math.log1p(Math.exp(-Math.abs(z)));
        double dz = weight * (1 / (1 + Math.exp(-z)) - y);
        grads.get(ParamSet.FINAL_B)[0] += dz;
        double[] gfw = grads.get(ParamSet.FINAL_W);
        for (int j = 0; j < f; j++) gfw[j] += dz * gmf[j];
        for (int j = 0; j < last; j++) gfw[f + j] += dz * h[L][j];
        double[] gmfu = grads.get(ParamSet.MF_USER), gmfi = grads.get(ParamSet.MF_ITEM);
        for (int j = 0; j < f; j++) {
            double dg = dz * fw[j];
            gmfu[u * f + j] += dg * mfi[i * f + j];
            gmfi[i * f + j] += dg * mfu[u * f + j];
        }
        double[] dh = new double[last];
        for (int j = 0; j < last; j++) dh[j] = dz * fw[f + j];
        for (int k = L - 1; k >= 0; k--) {
            int in = c.layer(k), out = c.layer(k + 1);
            double[] w = p.get(ParamSet.denseWeight(k));
            double[] gw = grads.get(ParamSet.denseWeight(k)), gb = grads.get(ParamSet.denseBias(k));
            double[] dpre = new double[out];
            for (int o = 0; o < out; o++) dpre[o] = pre[k + 1][o] > 0 ? dh[o] * m[k + 1][o] : 0;
            double[] dprev = new double[in];
            for (int o = 0; o < out; o++) {
                gb[o] += dpre[o];
                double d = r(k, dpre[o]);
                for (int q = 0; q < in; q++) {
                    gw[q * out + o] += r(k, h[k][q]) * d;
                    dprev[q] += r(k, w[q * out + o]) * d;
                }
            }
            dh = dprev;
        }
        double[] gmlu = grads.get(ParamSet.MLP_USER), gmli = grads.get(ParamSet.MLP_ITEM);
        for (int j = 0; j < e; j++) { gmlu[u * e + j] += dh[j]; gmli[i * e + j] += dh[e + j]; }
        return loss;
    }

    /** Loss sum over samples [from, from+count), gradients added into {@code grads}. */
    double accumulate(int[] users, int[] items, float[] labels, int from, int count, double weight,
                      DropoutMask mask, long pos, Map<String, double[]> grads) {
        double loss = 0;
        for (int k = 0; k < count; k++)
            loss += sample(users[from + k], items[from + k], labels[from + k], mask, pos + k, weight, grads);
        return loss;
    }
}
