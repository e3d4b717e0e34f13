package io.ncf.model.samediff;

import io.ncf.model.DropoutMask;
import io.ncf.core.NeuMFConfig;
import io.ncf.model.ParamSet;
import org.nd4j.linalg.api.buffer.DataType;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * NeuMF's forward pass written out in plain double-precision Java, straight from the definition, as an
 * independent oracle for the SameDiff graph (loss values, logits, and finite differences of the gradients).
 */
final class NeuMFReference {

    final NeuMFConfig c;
    /** Parameters by ParamSet name, flattened row-major. */
    final Map<String, double[]> p = new LinkedHashMap<>();

    NeuMFReference(ParamSet params) {
        this.c = params.config();
        for (String n : params.names()) p.put(n, params.get(n).castTo(DataType.DOUBLE).dup('c').data().asDouble());
    }

    /** The logit of one (user, item) with the given mask rows position (null mask = inference). */
    double logit(int u, int i, DropoutMask mask, long position) {
        int f = c.factors(), e = c.mlpEmbeddingDim();
        double[] mfU = p.get(ParamSet.MF_USER), mfI = p.get(ParamSet.MF_ITEM);
        double[] mlpU = p.get(ParamSet.MLP_USER), mlpI = p.get(ParamSet.MLP_ITEM);
        double[] h = new double[2 * e];
        for (int j = 0; j < e; j++) {
            h[j] = mlpU[u * e + j];
            h[e + j] = mlpI[i * e + j];
        }
        for (int k = 0; k < c.denseLayerCount(); k++) {
            int in = c.layer(k), out = c.layer(k + 1);
            double[] w = p.get(ParamSet.denseWeight(k)), b = p.get(ParamSet.denseBias(k));
            float[] m = new float[out];
            if (mask == null) java.util.Arrays.fill(m, 1f); else mask.fillRow(k, position, out, m, 0);
            double[] next = new double[out];
            for (int o = 0; o < out; o++) {
                double s = b[o];
                for (int q = 0; q < in; q++) s += h[q] * w[q * out + o];
                next[o] = Math.max(s, 0) * m[o];
            }
            h = next;
        }
        double[] fw = p.get(ParamSet.FINAL_W);
        double z = p.get(ParamSet.FINAL_B)[0];
        for (int j = 0; j < f; j++) z += mfU[u * f + j] * mfI[i * f + j] * fw[j];
        for (int j = 0; j < h.length; j++) z += h[j] * fw[f + j];
        return z;
    }

    /** Unweighted summed sigmoid cross-entropy over samples [from, from+count); sample from+k uses mask row position+k. */
    double loss(int[] users, int[] items, float[] labels, int from, int count, DropoutMask mask, long position) {
        double sum = 0;
        for (int k = 0; k < count; k++) {
            double z = logit(users[from + k], items[from + k], mask, position + k);
            double y = labels[from + k];
            sum += Math.max(z, 0) - z * y + Math.log1p(Math.exp(-Math.abs(z)));
        }
        return sum;
    }
}
