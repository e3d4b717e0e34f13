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
    private final Sharding sharding;
    private final List<long[]> updated;   // sharding.updated(), once

    /**
     * User-sharded steps ({@link GpuTraining.Exchange#USER_SHARDS}): this rank's user block, its rows of the user tables,
     * the ranges every rank all-reduces, and the collectives. Null: every rank trains its contiguous share and the
     * whole gradient is all-reduced.
     */
    public record Sharding(UserBlocks blocks, RankExchange exchange, List<long[]> owned, List<long[]> shared) {
        public static Sharding of(UserBlocks blocks, RankExchange exchange, ParamLayout layout, int rank) {
            return new Sharding(blocks, exchange, blocks.ownedRanges(layout, rank), UserBlocks.sharedRanges(layout));
        }

        /** What this rank's Adam updates: its own user rows, then the shared ranges. */
        public List<long[]> updated() {
            List<long[]> u = new java.util.ArrayList<>(owned);
            u.addAll(shared);
            return List.copyOf(u);
        }
    }

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
        this(engine, seed, positives, negatives, globalBatch, rank, ranks, reducer, frozen, checked, null);
    }

    /** @param sharding non-null: user-sharded steps ({@code reducer} unused) */
    public GpuTrainer(CudaNeuMF engine, long seed, long positives, int negatives, int globalBatch, int rank, int ranks,
                      GradientReducer reducer, List<long[]> frozen, HostBatches checked, Sharding sharding) {
        if (globalBatch % ranks != 0) throw new IllegalArgumentException("global batch " + globalBatch + " is not divisible by " + ranks + " GPUs");
        if (sharding == null && globalBatch / ranks > engine.maxBatch()) throw new IllegalArgumentException("per-GPU batch " + globalBatch / ranks + " exceeds the engine's " + engine.maxBatch());
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
        this.sharding = sharding;
        this.updated = sharding == null ? null : sharding.updated();
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
        if (sharding != null) return shardedStep(plan, stepInEpoch, globalStep, dropout, adam, adamStep, scale);
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

    /**
     * A user-sharded step: this rank builds its contiguous share of the global batch (as a plain data-parallel rank
     * would), the shares are all-gathered (12 bytes a sample), and the rank trains the samples whose user it owns, in
     * chunks of at most the engine's batch; the dropout row of each is its position in the global batch, so masks are
     * a single GPU's. Its user rows' gradients are complete here (no other rank touches those users), so only the item
     * tables and the dense layers are all-reduced, with the overflow flag: every rank then decides alike. Adam runs on
     * the rank's own user rows and on the shared ranges; other ranks' user rows go stale here until
     * {@link GpuTraining} gathers them (evaluation, snapshots).
     */
    private boolean shardedStep(EpochPlan plan, long stepInEpoch, long globalStep, float dropout, AdamConfig adam, long adamStep, float scale) {
        int share = globalBatch / ranks;
        long batchStart = stepInEpoch * globalBatch, t0 = batchStart + (long) rank * share;
        if (checked == null) engine.makeBatchAt(plan, t0, share, rank * share);
        else {
            plan.fillChecked(t0, share, checked.posUsers, checked.posItems, checked.numItems, checked.index, checked.users, checked.items, checked.labels);
            engine.setBatchAt(checked.users, checked.items, checked.labels, share, rank * share);
        }
        RankExchange x = sharding.exchange();
        x.allGatherBatch(engine, rank, share);
        int kept = engine.selectOwned(sharding.blocks().lo(rank), sharding.blocks().hi(rank));
        DropoutMask mask = dropout == 0f ? DropoutMask.NONE : DropoutMask.forStep(seed, globalStep, dropout);
        for (int from = 0; from < kept; from += engine.maxBatch())
            engine.forwardBackwardKept(from, Math.min(engine.maxBatch(), kept - from), scale / globalBatch, mask, batchStart);
        for (long[] r : frozen) engine.zeroGradients(r[0], r[1]);
        engine.clearFlag();
        for (long[] r : sharding.owned()) engine.checkFinite(r[0], r[1]);   // local: these rows are complete here
        x.allReduceGradients(engine, rank, sharding.shared());              // sums the flags too
        for (long[] r : sharding.shared()) engine.checkFinite(r[0], r[1]);  // the sums, equal on every rank
        return engine.adamStepOn(updated, adam, adamStep, scale);
    }

    public CudaNeuMF engine() { return engine; }
}
