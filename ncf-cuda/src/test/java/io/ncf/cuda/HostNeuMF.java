package io.ncf.cuda;

import io.ncf.model.DropoutMask;
import io.ncf.core.NeuMFConfig;

/** Plain-Java, double-precision NeuMF forward (loss only) over flat parameters, for tests. */
final class HostNeuMF {

    private HostNeuMF() {}

    static double lossSum(NeuMFConfig c, float[] p, int[] users, int[] items, float[] labels, DropoutMask mask, long pos) {
        ParamLayout l = new ParamLayout(c);
        int f = c.factors(), e = c.mlpEmbeddingDim(), L = c.denseLayerCount();
        ParamLayout.Tensor mfU = l.get("mf_user"), mfI = l.get("mf_item"), mlpU = l.get("mlp_user"), mlpI = l.get("mlp_item");
        ParamLayout.Tensor fw = l.get("final_w"), fb = l.get("final_b");
        double total = 0;
        for (int b = 0; b < users.length; b++) {
            int u = users[b], it = items[b];
            double[] x = new double[2 * e];
            for (int j = 0; j < e; j++) {
                x[j] = p[(int) (mlpU.offset() + (long) u * e + j)];
                x[e + j] = p[(int) (mlpI.offset() + (long) it * e + j)];
            }
            for (int k = 0; k < L; k++) {
                int in = c.layer(k), out = c.layer(k + 1);
                ParamLayout.Tensor w = l.denseWeight(k), bias = l.denseBias(k);
                float[] m = new float[out];
                mask.fillRow(k, pos + b, out, m, 0);
                double[] y = new double[out];
                for (int o = 0; o < out; o++) {
                    double s = p[(int) (bias.offset() + o)];
                    for (int i = 0; i < in; i++) s += x[i] * p[(int) (w.offset() + (long) i * out + o)];
                    y[o] = Math.max(s, 0) * m[o];
                }
                x = y;
            }
            double z = p[(int) fb.offset()];
            for (int j = 0; j < f; j++)
                z += (double) p[(int) (mfU.offset() + (long) u * f + j)] * p[(int) (mfI.offset() + (long) it * f + j)] * p[(int) (fw.offset() + j)];
            for (int j = 0; j < x.length; j++) z += x[j] * p[(int) (fw.offset() + f + j)];
            double yv = labels[b];
            total += Math.max(z, 0) - z * yv + Math.log1p(Math.exp(-Math.abs(z)));
        }
        return total;
    }
}
