package io.ncf.model;

import io.ncf.core.NeuMFConfig;
import io.ncf.core.Scorer;

/**
 * The host-side gradient kernel of the CPU engines: one way of computing NeuMF's loss and gradients (the SameDiff graph is the definition; faster engines
 * must match it). An engine reads the parameters of its {@link ParamSet} in place, so an optimizer that
 * updates that set changes what the engine computes next.
 *
 * <p>Gradients are <em>accumulated</em>: a global batch is processed as several micro-batches, each adding
 * {@code d(weight * sum_k loss_k)/d(theta)} into {@code grads}; with {@code weight = lossScale / globalBatch}
 * the sum over micro-batches is the (scaled) mean-loss gradient of the whole batch.
 *
 * <p>Step protocol. A training loop calls, per global step: {@link #accumulateGradients} once or more, then
 * {@link #finishGradients} once, then the optimizer reads {@code grads} and updates the parameters, then
 * {@link #parametersChanged}. It also calls {@link #parametersChanged} whenever it writes parameters some other
 * way (loading a checkpoint). Engines may cache functions of the parameters (e.g. embedding tables projected
 * through the first dense layer) until told the parameters changed, and may defer part of the gradient until
 * {@link #finishGradients}; an engine must not do either for a caller that has never called these methods, so
 * callers that ignore the protocol keep getting complete gradients and fresh parameters.
 */
public interface GradientEngine extends Scorer, AutoCloseable {

    NeuMFConfig config();

    /** The parameters this engine computes with (shared, not copied). */
    ParamSet params();

    /**
     * Forward and backward pass over samples {@code [from, from + count)} of the given arrays.
     *
     * @param labels   1 for a positive, 0 for a negative
     * @param weight   factor applied to the summed per-sample loss before differentiation (loss scale / global batch)
     * @param dropout  the mask to use (its sample index is {@code samplePosition + k - from}); {@link DropoutMask#NONE} for none
     * @param samplePosition position of sample {@code from} in the epoch, so masks do not depend on how a batch is split
     * @param grads    gradients are added here (same layout as {@link #params()})
     * @return the sum of the unweighted per-sample sigmoid cross-entropy losses
     */
    double accumulateGradients(int[] users, int[] items, float[] labels, int from, int count, float weight,
                               DropoutMask dropout, long samplePosition, ParamSet grads);

    /** Largest number of samples one call of {@link #accumulateGradients} handles at once (its buffers' size). */
    int microBatchSize();

    /**
     * Completes the gradients of the current global step in {@code grads} (the set given to every
     * {@link #accumulateGradients} call of the step); call once per step, after the last micro-batch and before an
     * optimizer reads {@code grads}. Also marks the start of the next step. The default does nothing.
     */
    default void finishGradients(ParamSet grads) {}

    /**
     * Tells the engine that the parameters of {@link #params()} were written (by an optimizer step, by loading),
     * so anything it derived from them is stale. The default does nothing.
     */
    default void parametersChanged() {}

    /**
     * The caller promises the step protocol from the first step on, and passes each global step (or, data-parallel,
     * each replica's share of it) in a single {@link #accumulateGradients} call. An engine may then choose how to
     * compute a step from that call alone rather than from the steps it has seen, so a fresh engine (a resumed run)
     * computes exactly what a long-running one does. The default ignores it.
     */
    default void promiseWholeSteps() {}

    @Override default void close() {}
}
