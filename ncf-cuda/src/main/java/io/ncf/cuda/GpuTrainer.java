package io.ncf.cuda;

import io.ncf.core.UserItemIndex;
import io.ncf.model.DropoutMask;
import io.ncf.train.AdamConfig;

import java.util.List;

/**
 * One GPU's part of a global step (of one rank of a data-parallel group): the batch built on the device from the
 * epoch plan (or, with checked negatives, on the host and uploaded), forward/backward with
 * {@code weight = lossScale / globalBatch}, optional gradient all-reduce, the frozen entries of a model variant zeroed,
 * then Adam, which the device skips when a gradient is inf/NaN. Rank r of n processes epoch positions
 * {@code [t0 + r*B/n, t0 + (r+1)*B/n)} of each global batch, so dropout masks and samples are those of a single-GPU
 * run. Holds no step counters: the run ({@link GpuTraining}) passes them in.
 */
public final class GpuTrainer {

    /** Sums the gradient buffer over the data-parallel group (identity for one GPU). */
    public interface GradientReducer { void allReduce(CudaNeuMF engine); }

    private final CudaNeuMF engine;
    private final long seed;
    private final int negatives;
    private final long positives;
    private final int globalBatch, rank, ranks;
    private final GradientReducer reducer;
    private final List<long[]> frozen;
    private final HostBatches checked;

    /** Host-side checked batches: the positives, their index and the buffers one batch is built in. */
    public static final class HostBatches {
        final int[] posUsers, posItems, users, items;
        final float[] labels;
        final int numItems;
        final UserItemIndex index;

        public HostBatches(int numUsers, int numItems, int[] posUsers, int[] posItems, int batch) {
            this.posUsers = posUsers;
            this.posItems = posItems;
            this.numItems = numItems;
            this.index = UserItemIndex.build(numUsers, posUsers, posItems, posUsers.length);
            this.users = new int[batch];
            this.items = new int[batch];
            this.labels = new float[batch];
        }
    }

    /**
     * @param frozen  gradient ranges to zero before every update ({@code ModelKind.frozenRanges}); empty for NeuMF
     * @param checked non-null: draw checked negatives on the host ({@link EpochPlan#fillChecked})
     */
    public GpuTrainer(CudaNeuMF engine, long seed, long positives, int negatives, int globalBatch, int rank, int ranks,
                      GradientReducer reducer, List<long[]> frozen, HostBatches checked) {
        if (globalBatch % ranks != 0) throw new IllegalArgumentException("global batch " + globalBatch + " is not divisible by " + ranks + " GPUs");
        if (globalBatch / ranks > engine.maxBatch()) throw new IllegalArgumentException("per-GPU batch " + globalBatch / ranks + " exceeds the engine's " + engine.maxBatch());
        this.engine = engine;
        this.seed = seed;
        this.positives = positives;
        this.negatives = negatives;
        this.globalBatch = globalBatch;
        this.rank = rank;
        this.ranks = ranks;
        this.reducer = reducer;
        this.frozen = List.copyOf(frozen);
        this.checked = checked;
    }

    public EpochPlan plan(int epoch) { return new EpochPlan(positives, negatives, seed, epoch); }

    /** Full global batches per epoch (the last partial batch is dropped, as NVIDIA's PyTorch does). */
    public long stepsPerEpoch() { return plan(0).size() / globalBatch; }

    /**
     * One global step over epoch positions {@code [step*B, (step+1)*B)}: dropout of run step {@code globalStep}, Adam
     * step {@code adamStep} (1-based) at loss scale {@code scale}. Returns whether the gradients were finite (the
     * device applied Adam only then).
     */
    public boolean step(EpochPlan plan, long stepInEpoch, long globalStep, float dropout, AdamConfig adam, long adamStep, float scale) {
        int local = globalBatch / ranks;
        long t0 = stepInEpoch * globalBatch + (long) rank * local;
        if (checked == null) {
            engine.makeBatch(plan, t0, local);
        } else {
            plan.fillChecked(t0, local, checked.posUsers, checked.posItems, checked.numItems, checked.index, checked.users, checked.items, checked.labels);
            engine.setBatch(checked.users, checked.items, checked.labels, 0, local);
        }
        DropoutMask mask = dropout == 0f ? DropoutMask.NONE : DropoutMask.forStep(seed, globalStep, dropout);
        engine.forwardBackward(local, scale / globalBatch, mask, t0);
        if (reducer != null) reducer.allReduce(engine);
        for (long[] r : frozen) engine.zeroGradients(r[0], r[1]);
        return engine.adamStep(adam, adamStep, scale);
    }

    public CudaNeuMF engine() { return engine; }
}
