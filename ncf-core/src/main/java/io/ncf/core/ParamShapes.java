package io.ncf.core;

import java.util.LinkedHashMap;

/**
 * Names and shapes of a config's tensors, in the order of every flat parameter array (the artifact's, the
 * kernels', ncf-model's ParamSet), without ND4J.
 */
public final class ParamShapes {

    public static final String MF_USER = "mf_user", MF_ITEM = "mf_item", MLP_USER = "mlp_user", MLP_ITEM = "mlp_item";
    public static final String FINAL_W = "final_w", FINAL_B = "final_b";

    public static String denseWeight(int k) { return "mlp_w" + k; }

    public static String denseBias(int k) { return "mlp_b" + k; }

    private ParamShapes() {}

    /** The tensors of {@code c}, in order; a flat array in this order, each tensor row-major, is a whole model. */
    public static LinkedHashMap<String, long[]> of(NeuMFConfig c) {
        LinkedHashMap<String, long[]> s = new LinkedHashMap<>();
        int e = c.mlpEmbeddingDim();
        s.put(MF_USER, new long[]{c.numUsers(), c.factors()});
        s.put(MF_ITEM, new long[]{c.numItems(), c.factors()});
        s.put(MLP_USER, new long[]{c.numUsers(), e});
        s.put(MLP_ITEM, new long[]{c.numItems(), e});
        for (int k = 0; k < c.denseLayerCount(); k++) {
            s.put(denseWeight(k), new long[]{c.layer(k), c.layer(k + 1)});
            s.put(denseBias(k), new long[]{c.layer(k + 1)});
        }
        s.put(FINAL_W, new long[]{c.finalInputDim(), 1});
        s.put(FINAL_B, new long[]{1});
        return s;
    }

    /** Values of all tensors together. */
    public static long totalLength(NeuMFConfig c) {
        long n = 0;
        for (long[] shape : of(c).values()) n += length(shape);
        return n;
    }

    /** Where tensor {@code tensor} starts in the flat layout of {@code c}. */
    public static long offset(NeuMFConfig c, String tensor) {
        long off = 0;
        for (var e : of(c).entrySet()) {
            if (e.getKey().equals(tensor)) return off;
            off += length(e.getValue());
        }
        throw new IllegalArgumentException("no tensor '" + tensor + "' in " + c);
    }

    public static long length(long[] shape) {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }
}
