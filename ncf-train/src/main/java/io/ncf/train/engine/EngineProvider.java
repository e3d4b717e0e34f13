package io.ncf.train.engine;

import java.util.Optional;

/**
 * A training engine as a plug-in, found with {@link java.util.ServiceLoader} (list the class in
 * {@code META-INF/services/io.ncf.train.engine.EngineProvider}): adding an engine touches no switch anywhere.
 */
public interface EngineProvider {

    /** The name users select it by ({@code --engine NAME}); lower case. */
    String name();

    /** One line: what it is. */
    String description();

    /** Sort key of listings (smaller first); ties by name. */
    default int order() { return 100; }

    /** Whether it can run here; must not throw (a probe that fails says why). */
    Availability availability();

    /** Empty when the engine has the feature; else why not (shown in messages and the README's table). */
    default Optional<String> unsupported(Feature feature) { return Optional.empty(); }

    /** Lines a command prints before training with this engine (backend, device, BLAS); may load its runtime. */
    default java.util.List<String> startupLines(boolean fp16) { return java.util.List.of(); }

    /** {@link #startupLines(boolean)} for a precision (engines whose lines depend on more than FP16 or not override it). */
    default java.util.List<String> startupLines(io.ncf.core.Precision p) { return startupLines(p == io.ncf.core.Precision.FP16); }

    /**
     * Empty where this engine runs precision {@code p} well on this machine; else why not (the CPU's extensions, the
     * libraries). Checked with the features ({@link #requireAll}), before any work; the feature table says what the
     * engine can do anywhere, this what it does here.
     */
    default Optional<String> precisionUnavailable(io.ncf.core.Precision p) { return Optional.empty(); }

    /** The feature a 16-bit precision asks for (null for FP32). */
    static Feature featureOf(io.ncf.core.Precision p) {
        return switch (p) {
            case FP32 -> null;
            case BF16 -> Feature.BF16;
            case FP16 -> Feature.FP16;
        };
    }

    /** Throws {@link UnsupportedFeatureException} where this engine lacks {@code p} or cannot run it well here. */
    default void requirePrecision(io.ncf.core.Precision p) {
        Feature f = featureOf(p);
        if (f == null) return;
        require(f);
        Optional<String> why = precisionUnavailable(p);
        if (why.isPresent()) throw new UnsupportedFeatureException(name(), f, why.get());
    }

    /** Fields a run's JSON log records about this engine's runtime (backend, devices, BLAS). */
    default java.util.Map<String, Object> logParameters(boolean fp16) { return java.util.Map.of(); }

    /** The micro-batch it uses when the user gives none. */
    int defaultMicroBatch();

    /**
     * Opens the engine on {@code setup}. A request it cannot serve is refused with {@link UnsupportedFeatureException}
     * (naming the feature and why) before any work.
     */
    TrainingEngine open(EngineSetup setup);

    /**
     * A ranker for a trained model on this engine's device: top-K for many users and full-ranking ranks
     * ({@code ncf recommend} / {@code ncf evaluate --engine}). Engines without one refuse with
     * {@link UnsupportedFeatureException} for {@link Feature#RANKING}.
     *
     * @param flatParams every tensor of the model in ParamShapes order
     * @param threads    CPU threads (host engines)
     * @param fp16       16-bit activations and GEMM inputs with FP32 accumulation (where the engine has them)
     */
    default io.ncf.core.rank.BatchRanker openRanker(io.ncf.core.NeuMFConfig config, float[] flatParams, int threads, boolean fp16) {
        require(Feature.RANKING);
        throw new UnsupportedFeatureException(name(), Feature.RANKING, "this engine declares ranking but does not implement openRanker");
    }

    /**
     * {@link #openRanker(io.ncf.core.NeuMFConfig, float[], int, boolean)} at a precision: FP32 or FP16 there; engines
     * that rank in BF16 override this (the default refuses it).
     */
    default io.ncf.core.rank.BatchRanker openRanker(io.ncf.core.NeuMFConfig config, float[] flatParams, int threads, io.ncf.core.Precision p) {
        if (p == io.ncf.core.Precision.BF16) throw new UnsupportedFeatureException(name(), Feature.BF16, "this engine ranks in FP32 or FP16");
        return openRanker(config, flatParams, threads, p == io.ncf.core.Precision.FP16);
    }

    /** Throws {@link UnsupportedFeatureException} if this engine lacks {@code f}. */
    default void require(Feature f) {
        Optional<String> why = unsupported(f);
        if (why.isPresent()) throw new UnsupportedFeatureException(name(), f, why.get());
    }

    /** The features {@code setup} asks for, checked against {@link #unsupported}. */
    default void requireAll(EngineSetup s) {
        requirePrecision(s.precision());
        if (s.workers() > 1) require(Feature.WORKERS);
        if (s.options().verifyNegatives()) require(Feature.CHECKED_NEGATIVES);
        if (s.options().regularized()) require(Feature.REGULARIZATION);
        if (s.options().optimizer() == io.ncf.train.Optimizer.SGD) require(Feature.SGD);
        if (s.kind() != io.ncf.model.ModelKind.NEUMF) require(Feature.MODEL_VARIANTS);
        if (s.initial().hasMoments()) require(Feature.RESUME);
        if (s.lossScaler().isActive()) require(Feature.LOSS_SCALING);
    }
}
