package io.ncf.model;

import java.util.LinkedHashMap;

/**
 * Names and shapes of a config's tensors in {@link ParamSet} order, without ND4J: the raw (flat float[]) model
 * writers of the GPU path use it, so that path never loads ND4J classes.
 */
public final class ParamShapes {

    private ParamShapes() {}

    /** The tensors of {@code c}, in order; a flat array in this order, each tensor row-major, is a whole model. */
    public static LinkedHashMap<String, long[]> of(NeuMFConfig c) {
        LinkedHashMap<String, long[]> s = new LinkedHashMap<>();
        int e = c.mlpEmbeddingDim();
        s.put(ParamSet.MF_USER, new long[]{c.numUsers(), c.factors()});
        s.put(ParamSet.MF_ITEM, new long[]{c.numItems(), c.factors()});
        s.put(ParamSet.MLP_USER, new long[]{c.numUsers(), e});
        s.put(ParamSet.MLP_ITEM, new long[]{c.numItems(), e});
        for (int k = 0; k < c.denseLayerCount(); k++) {
            s.put("mlp_w" + k, new long[]{c.layer(k), c.layer(k + 1)});
            s.put("mlp_b" + k, new long[]{c.layer(k + 1)});
        }
        s.put(ParamSet.FINAL_W, new long[]{c.finalInputDim(), 1});
        s.put(ParamSet.FINAL_B, new long[]{1});
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
