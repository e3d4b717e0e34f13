package io.ncf.train;

import java.util.Locale;

/**
 * The update rule of a training step. Adam is the seed's (and the default); plain SGD is what the NCF paper fine-tunes
 * a pre-trained NeuMF with (§3.4.1: Adam's moments are not available for the combined model, so it is refined with
 * vanilla SGD rather than restarted with fresh moments).
 */
public enum Optimizer {
    /** Adam with the options' learning rate, β1, β2 and ε. */
    ADAM,
    /** {@code p ← p − lr·g}: no moments, β and ε unused. */
    SGD;

    public String id() { return name().toLowerCase(Locale.ROOT); }

    @Override public String toString() { return id(); }

    public static Optimizer parse(String s) {
        for (Optimizer o : values()) if (o.id().equalsIgnoreCase(s.trim())) return o;
        throw new IllegalArgumentException("unknown optimizer '" + s + "' (expected adam or sgd)");
    }
}
