package io.ncf.core;

import java.util.Arrays;

/**
 * Shape of a NeuMF model (He et al. 2017, NVIDIA's layout).
 *
 * <p>{@code layers[0]} is the width of the concatenated MLP embeddings (so each of the user and item MLP
 * tables has {@code layers[0] / 2} columns); each following entry is the width of one dense ReLU layer.
 * The default {@code 256 256 128 64} therefore means 128+128 embeddings and dense layers 256→256→128→64.
 * The final layer maps {@code factors + layers[last]} to one logit.
 */
public record NeuMFConfig(int numUsers, int numItems, int factors, int[] layers, float dropout) {

    public static final int[] DEFAULT_LAYERS = {256, 256, 128, 64};
    public static final int DEFAULT_FACTORS = 64;
    public static final float DEFAULT_DROPOUT = 0.5f;

    public NeuMFConfig {
        if (numUsers <= 0) throw new IllegalArgumentException("numUsers must be positive, got " + numUsers);
        if (numItems <= 0) throw new IllegalArgumentException("numItems must be positive, got " + numItems);
        if (factors <= 0) throw new IllegalArgumentException("--factors must be positive, got " + factors);
        if (layers == null || layers.length < 2)
            throw new IllegalArgumentException("--layers needs at least two sizes (embedding width, then one dense layer), got "
                    + Arrays.toString(layers));
        for (int l : layers) if (l <= 0) throw new IllegalArgumentException("--layers sizes must be positive, got " + Arrays.toString(layers));
        if (layers[0] % 2 != 0)
            throw new IllegalArgumentException("--layers first size is the user+item MLP embedding width and must be even, got " + layers[0]);
        if (!(dropout >= 0f && dropout < 1f)) throw new IllegalArgumentException("--dropout must be in [0, 1), got " + dropout);
        layers = layers.clone();
    }

    public static NeuMFConfig defaults(int numUsers, int numItems) {
        return new NeuMFConfig(numUsers, numItems, DEFAULT_FACTORS, DEFAULT_LAYERS, DEFAULT_DROPOUT);
    }

    @Override public int[] layers() { return layers.clone(); }

    /** Width of each MLP embedding table (user and item). */
    public int mlpEmbeddingDim() { return layers[0] / 2; }

    /** Number of dense ReLU layers in the MLP branch. */
    public int denseLayerCount() { return layers.length - 1; }

    public int layer(int i) { return layers[i]; }

    /** Input width of the final (logit) layer: GMF output concatenated with the last MLP layer. */
    public int finalInputDim() { return factors + layers[layers.length - 1]; }

    public long parameterCount() {
        long emb = (long) (numUsers + numItems) * (factors + mlpEmbeddingDim());
        long dense = 0;
        for (int i = 0; i + 1 < layers.length; i++) dense += (long) layers[i] * layers[i + 1] + layers[i + 1];
        return emb + dense + finalInputDim() + 1;
    }

    /**
     * Multiply-adds times two of scoring one (user, item) pair once the first dense layer is factored through the
     * embedding tables: the dense layers after the first, the MLP head and the GMF head (what ranking costs per pair).
     */
    public long scoringFlopsPerPair() {
        long fl = 0;
        for (int k = 1; k < denseLayerCount(); k++) fl += (long) layers[k] * layers[k + 1];
        return 2 * (fl + layers[layers.length - 1] + factors);
    }

    public NeuMFConfig withDropout(float p) { return new NeuMFConfig(numUsers, numItems, factors, layers, p); }

    @Override public boolean equals(Object o) {
        return o instanceof NeuMFConfig c && c.numUsers == numUsers && c.numItems == numItems && c.factors == factors
                && Arrays.equals(c.layers, layers) && Float.compare(c.dropout, dropout) == 0;
    }

    @Override public int hashCode() { return Arrays.hashCode(layers) * 31 + Integer.hashCode(numUsers) * 17 + numItems * 7 + factors; }

    @Override public String toString() {
        return "NeuMFConfig[users=" + numUsers + ", items=" + numItems + ", factors=" + factors + ", layers="
                + Arrays.toString(layers) + ", dropout=" + dropout + "]";
    }
}
