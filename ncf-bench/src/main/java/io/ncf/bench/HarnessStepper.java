package io.ncf.bench;

import io.ncf.cuda.EpochPlan;
import io.ncf.cuda.GpuTrainer;

import io.ncf.train.AdamConfig;
import io.ncf.train.LossScaler;

/**
 * The step counters and loss scaler of one GPU for the GPU harness ({@link CudaMain}: benchmarks, the
 * multi-GPU equivalence check, training from a file); the command line goes through {@link io.ncf.cuda.GpuTraining} instead.
 */
final class HarnessStepper {

    private final GpuTrainer trainer;
    private final AdamConfig adam;
    private final LossScaler scaler;
    private long adamSteps, globalSteps;

    HarnessStepper(GpuTrainer trainer, AdamConfig adam, LossScaler scaler) {
        this.trainer = trainer;
        this.adam = adam;
        this.scaler = scaler;
    }

    EpochPlan plan(int epoch) { return trainer.plan(epoch); }

    long stepsPerEpoch() { return trainer.stepsPerEpoch(); }

    /** One global step; returns whether Adam applied it. */
    boolean step(EpochPlan plan, long stepInEpoch, float dropout) {
        float scale = scaler.lossScale();
        boolean applied = scaler.update(trainer.step(plan, stepInEpoch, globalSteps++, dropout, adam, adamSteps + 1, scale));
        if (applied) adamSteps++;
        return applied;
    }

    LossScaler scaler() { return scaler; }
}
