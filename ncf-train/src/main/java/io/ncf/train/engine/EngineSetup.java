package io.ncf.train.engine;

import io.ncf.data.NcfDataset;
import io.ncf.model.ModelKind;
import io.ncf.core.NeuMFConfig;
import io.ncf.train.LossScaler;
import io.ncf.train.TrainingOptions;

import java.util.Objects;

/**
 * What an engine is opened with: the data, the model and its variant, the loop's options (batch, negatives, Adam,
 * seed, checked negatives, micro-batch), precision, data-parallel workers, the loss scaler to step with, and the
 * state to start from.
 *
 * @param precision FP32, or 16-bit products (BF16, FP16) with FP32 accumulation and master weights
 * @param workers data-parallel replicas (threads on the CPU, GPUs on the CUDA engine); the global batch is split
 */
public record EngineSetup(NcfDataset data, NeuMFConfig config, ModelKind kind, TrainingOptions options, io.ncf.core.Precision precision, int workers,
                          LossScaler lossScaler, EngineState initial) {

    /** FP16 where {@code fp16}, else FP32. */
    public EngineSetup(NcfDataset data, NeuMFConfig config, ModelKind kind, TrainingOptions options, boolean fp16, int workers,
                       LossScaler lossScaler, EngineState initial) {
        this(data, config, kind, options, fp16 ? io.ncf.core.Precision.FP16 : io.ncf.core.Precision.FP32, workers, lossScaler, initial);
    }

    /** Whether the run computes in FP16 (the seed's mixed precision, with loss scaling). */
    public boolean fp16() { return precision == io.ncf.core.Precision.FP16; }

    public EngineSetup {
        Objects.requireNonNull(precision, "precision");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(lossScaler, "lossScaler");
        Objects.requireNonNull(initial, "initial");
        if (workers <= 0) throw new IllegalArgumentException("workers must be positive, got " + workers);
        if (config.numUsers() != data.numUsers() || config.numItems() != data.numItems())
            throw new IllegalArgumentException("model is for " + config.numUsers() + " users × " + config.numItems()
                    + " items but the dataset has " + data.numUsers() + " × " + data.numItems());
        // dropout is a training setting, not a shape: a state may come from a run with another rate
        if (!initial.config().withDropout(config.dropout()).equals(config))
            throw new IllegalArgumentException("the initial state is for " + initial.config() + ", not " + config);
    }

    /**
     * The loss scaler an engine steps with: {@code lossScaler}, continued from the initial state's saved scale where
     * both are dynamic (resume). Every engine opens its scaler through this, so they restore it alike.
     */
    public io.ncf.train.LossScaler restoredLossScaler() {
        if (initial.hasLossScale() && lossScaler.isDynamic()) lossScaler.restore(initial.lossScale(), initial.lossScaleGoodSteps());
        return lossScaler;
    }
}
