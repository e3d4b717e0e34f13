package io.ncf.train;

import io.ncf.model.ParamSet;

/**
 * What the {@link Trainer} does between accumulating a global batch's gradients and the Adam step: the
 * factor the loss is scaled by (through the engine's loss weight) and whether the step is taken. The plain
 * policy scales by 1 and always steps; {@link LossScaler} implements mixed-precision loss scaling.
 */
public interface GradientPolicy {

    /** Factor applied to the loss of the next global batch (gradients come back multiplied by it). */
    float lossScale();

    /**
     * Called with the accumulated (scaled) gradients of one global batch. Returns true when Adam should step;
     * then the gradients must be the true (unscaled) ones. Returns false to skip the step; then the
     * gradients must have been zeroed, ready for the next accumulation.
     */
    boolean beforeUpdate(ParamSet grads);

    /** Start of an epoch: per-epoch counters restart. */
    default void onEpochStart(int epoch) {}

    GradientPolicy PLAIN = new GradientPolicy() {
        @Override public float lossScale() { return 1f; }
        @Override public boolean beforeUpdate(ParamSet grads) { return true; }
        @Override public String toString() { return "plain"; }
    };
}
