package io.ncf.spark.train;

import io.ncf.core.NeuMFConfig;
import io.ncf.model.DropoutMask;
import io.ncf.model.GradientEngine;
import io.ncf.model.ParamSet;
import io.ncf.model.fused.FusedCpuEngine;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The gradient kernel of one barrier task's replica: it computes its shard's slice of the step (the contiguous slices
 * {@link SparkGradientKernel} cuts) with the fused kernel, exchanges the packed slice gradients of all shards through
 * an all-gather among the barrier tasks ({@link BarrierExchange}) and adds them up in shard order. Every task therefore holds the same summed
 * gradient — the one the driver sums in {@code job} mode, bit for bit — and the training engine above it takes the same
 * Adam step on every replica, so the replicas stay identical without shipping parameters.
 *
 * <p>allGather carries strings: the packed bytes travel as an ISO-8859-1 string, one char per byte (in local mode the
 * string is handed over in memory; across JVMs it goes through Spark's RPC to the driver's barrier coordinator and back).
 */
final class AllGatherKernel implements GradientEngine {

    private final FusedCpuEngine local;
    private final ParamSet shardGrads;
    private final int shard, shards;
    private BarrierExchange exchange;

    AllGatherKernel(ParamSet params, int microBatch, int threads, int shard, int shards) {
        this.local = new FusedCpuEngine(params, microBatch, threads);
        this.shardGrads = params.zerosLike();
        this.shard = shard;
        this.shards = shards;
    }

    /** The barrier task this replica runs in now (a replica outlives tasks; each job binds its own). */
    void bind(BarrierExchange e) { this.exchange = e; }

    @Override public NeuMFConfig config() { return local.config(); }

    @Override public ParamSet params() { return local.params(); }

    @Override public int microBatchSize() { return local.microBatchSize(); }

    @Override
    public double accumulateGradients(int[] users, int[] items, float[] labels, int from, int count, float weight,
                                      DropoutMask dropout, long samplePosition, ParamSet grads) {
        if (exchange == null) throw new IllegalStateException("no barrier task bound");
        int base = count / shards, extra = count % shards;
        int offset = shard * base + Math.min(shard, extra), size = base + (shard < extra ? 1 : 0);
        int a = from + offset;
        double loss = 0;
        if (size > 0) loss = local.accumulateGradients(users, items, labels, a, size, weight, dropout, samplePosition + offset, shardGrads);
        local.finishGradients(shardGrads);
        byte[] mine = ShardGradient.of(loss, shardGrads, Arrays.copyOfRange(users, a, a + size), Arrays.copyOfRange(items, a, a + size)).payload();
        shardGrads.clear();
        String[] all = exchange.allGather(new String(mine, StandardCharsets.ISO_8859_1));
        double total = 0;
        for (String part : all) { // in partition order: every task sums the same way
            ShardGradient g = ShardGradient.wrap(part.getBytes(StandardCharsets.ISO_8859_1));
            g.addTo(grads);
            total += g.loss();
        }
        return total;
    }

    @Override public void parametersChanged() { local.parametersChanged(); }

    @Override public void promiseWholeSteps() { local.promiseWholeSteps(); }

    @Override public void score(int[] users, int[] items, int count, float[] out) { local.score(users, items, count, out); }

    @Override public void close() { local.close(); }
}
