package io.ncf.cuda;

import io.ncf.model.DropoutMask;

/**
 * The training loop of one GPU (or of one rank of a data-parallel group): epochs generated on the device,
 * forward/backward with {@code weight = lossScale / globalBatch}, optional gradient all-reduce, Adam with
 * dynamic loss scaling. Rank r of n processes epoch positions {@code [t0 + r*B/n, t0 + (r+1)*B/n)} of each global
 * batch, so dropout masks and samples are those of a single-GPU run.
 */
public final class GpuTrainer {

    /** Sums the gradient buffer over the data-parallel group (identity for one GPU). */
    public interface GradientReducer { void allReduce(CudaNeuMF engine); }

    private final CudaNeuMF engine;
    private final AdamConfig adam;
    private final LossScaler scaler;
    private final long seed;
    private final int negatives;
    private final long positives;
    private final int globalBatch, rank, ranks;
    private final GradientReducer reducer;
    private long adamSteps, globalSteps;

    public GpuTrainer(CudaNeuMF engine, AdamConfig adam, LossScaler scaler, long seed, long positives, int negatives,
                      int globalBatch, int rank, int ranks, GradientReducer reducer) {
        if (globalBatch % ranks != 0) throw new IllegalArgumentException("global batch " + globalBatch + " is not divisible by " + ranks + " GPUs");
        if (globalBatch / ranks > engine.maxBatch()) throw new IllegalArgumentException("per-GPU batch " + globalBatch / ranks + " exceeds the engine's " + engine.maxBatch());
        this.engine = engine;
        this.adam = adam;
        this.scaler = scaler;
        this.seed = seed;
        this.positives = positives;
        this.negatives = negatives;
        this.globalBatch = globalBatch;
        this.rank = rank;
        this.ranks = ranks;
        this.reducer = reducer;
    }

    public EpochPlan plan(int epoch) { return new EpochPlan(positives, negatives, seed, epoch); }

    /** Full global batches per epoch (the last partial batch is dropped, as NVIDIA's PyTorch does). */
    public long stepsPerEpoch() { return plan(0).size() / globalBatch; }

    /** One global step over epoch positions {@code [step*B, (step+1)*B)}; returns whether Adam applied it. */
    public boolean step(EpochPlan plan, long stepInEpoch, float dropout) {
        int local = globalBatch / ranks;
        long t0 = stepInEpoch * globalBatch + (long) rank * local;
        engine.makeBatch(plan, t0, local);
        DropoutMask mask = dropout == 0f ? DropoutMask.NONE : DropoutMask.forStep(seed, globalSteps, dropout);
        engine.forwardBackward(local, scaler.scale() / globalBatch, mask, t0);
        if (reducer != null) reducer.allReduce(engine);
        boolean finite = engine.adamStep(adam, adamSteps + 1, scaler.scale());
        boolean applied = scaler.update(finite);
        if (applied) adamSteps++;
        globalSteps++;
        return applied;
    }

    public CudaNeuMF engine() { return engine; }
    public LossScaler scaler() { return scaler; }
    public long adamSteps() { return adamSteps; }
}
