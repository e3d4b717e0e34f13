package io.ncf.spark.train;

import io.ncf.core.NeuMFConfig;
import io.ncf.model.DropoutMask;
import io.ncf.model.GradientEngine;
import io.ncf.model.ParamSet;
import io.ncf.model.fused.FusedCpuEngine;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

/**
 * Synchronous data-parallel gradients over a Spark cluster, as a {@link GradientEngine}: the driver's training engine
 * (the same {@link io.ncf.train.host.HostTrainingEngine} that {@code ncf train} runs, so the same sampling plan,
 * Adam, weight decay and evaluation) asks it for each step's gradient, and it answers with one Spark job: the step's
 * samples are cut into {@code shards} contiguous slices (as the in-process data-parallel engine cuts them), each task
 * computes its slice's gradient on its executor's cached replica, and the row-sparse results are summed back here.
 * The global batch is the same whatever the shard count (strong scaling).
 *
 * <p>Parameters reach the replicas as a broadcast of the whole flat vector, made once per optimizer step (Adam changes
 * every entry each step, so a delta would be as large) and only when the parameters changed since the last one.
 * Evaluation scores with a local fused kernel over the driver's parameters.
 */
public final class SparkGradientKernel implements GradientEngine {

    private final JavaSparkContext jsc;
    private final ParamSet params;
    private final int shards;
    private final int microBatch;
    private final Broadcast<RunSpec> spec;
    private final FusedCpuEngine local;
    private final List<Broadcast<byte[]>> live = new ArrayList<>();
    private Broadcast<byte[]> current;
    private long version;
    private boolean stale = true;
    private long bytesBack;
    private int jobs;

    /**
     * @param params       the driver's parameters (read in place; the training engine updates them)
     * @param shards       tasks per step (usually the executors' total task slots)
     * @param driverThreads threads of the driver's scoring kernel (evaluation)
     */
    public SparkGradientKernel(JavaSparkContext jsc, ParamSet params, int shards, int microBatch, int driverThreads) {
        if (shards <= 0) throw new IllegalArgumentException("shards must be positive, got " + shards);
        this.jsc = jsc;
        this.params = params;
        this.shards = shards;
        this.microBatch = microBatch;
        this.spec = jsc.broadcast(RunSpec.of(UUID.randomUUID().toString(), params.config(), microBatch));
        this.local = new FusedCpuEngine(params, microBatch, driverThreads);
    }

    @Override public NeuMFConfig config() { return params.config(); }

    @Override public ParamSet params() { return params; }

    @Override public int microBatchSize() { return microBatch; }

    /** Tasks per step. */
    public int shards() { return shards; }

    /** Bytes of gradients the executors sent back so far, and the number of step jobs (benchmark figures). */
    public long bytesBack() { return bytesBack; }

    public int jobs() { return jobs; }

    @Override
    public double accumulateGradients(int[] users, int[] items, float[] labels, int from, int count, float weight,
                                      DropoutMask dropout, long samplePosition, ParamSet grads) {
        if (stale) publish();
        List<ShardTask> tasks = new ArrayList<>(shards);
        int base = count / shards, extra = count % shards, offset = 0;
        for (int s = 0; s < shards; s++) {
            int size = base + (s < extra ? 1 : 0);
            int a = from + offset;
            if (size > 0)
                tasks.add(new ShardTask(spec, s, version, current, Arrays.copyOfRange(users, a, a + size),
                        Arrays.copyOfRange(items, a, a + size), Arrays.copyOfRange(labels, a, a + size),
                        samplePosition + offset, weight, dropout.seed(), dropout.isNone() ? 0f : dropout.rate()));
            offset += size;
        }
        List<ShardGradient> parts = jsc.parallelize(tasks, tasks.size()).map(Replicas::compute).collect();
        jobs++;
        double loss = 0;
        for (ShardGradient g : parts) {
            g.addTo(grads);
            loss += g.loss();
            bytesBack += g.payloadBytes();
        }
        return loss;
    }

    /** A new parameter broadcast; the one before the previous is destroyed (a retried task may still need the last). */
    private void publish() {
        version++;
        current = jsc.broadcast(FlatBytes.pack(params));
        live.add(current);
        while (live.size() > 2) live.remove(0).destroy(false);
        stale = false;
    }

    @Override public void parametersChanged() {
        stale = true;
        local.parametersChanged();
    }

    @Override public void score(int[] users, int[] items, int count, float[] out) { local.score(users, items, count, out); }

    @Override public void close() {
        try {
            String runId = spec.value().runId();
            for (Broadcast<byte[]> b : live) b.destroy(false);
            live.clear();
            spec.destroy(false);
            Replicas.release(runId);
        } finally {
            local.close();
        }
    }
}
