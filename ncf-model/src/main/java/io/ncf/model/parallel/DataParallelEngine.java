package io.ncf.model.parallel;

import io.ncf.model.DropoutMask;
import io.ncf.core.NeuMFConfig;
import io.ncf.model.ParamSet;
import io.ncf.model.GradientEngine;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Synchronous data parallelism with a constant global batch (strong scaling): N replicas of an engine, one per
 * device thread ({@code AffinityManager}; on the CPU backend every thread is "device 0"). Each call splits the
 * samples into N contiguous shards, replica r accumulates shard r into its own gradient set (replica 0 straight
 * into the caller's), and the sets are summed into the caller's gradients. A plain sum is the right reduction:
 * the caller's {@code weight} already divides by the global batch, so shard gradients are partial sums of one
 * mean. The caller then takes one Adam step on the master parameters, so all replicas see identical parameters.
 *
 * <p>Dropout masks are indexed by epoch sample position, and each shard passes its own position, so N workers
 * draw exactly the masks one worker would.
 *
 * <p>{@link Replication#SHARED}: every replica reads the master {@link ParamSet} in place, read-only during the
 * call (no copies; right for the CPU backend, where all threads share one memory). {@link Replication#COPIES}:
 * replicas 1..N-1 own a copy that is refreshed from the master at the start of every call (a broadcast; right
 * for several GPUs, where each replica's arrays should live on its own device).
 */
public final class DataParallelEngine implements GradientEngine {

    /** Makes replica {@code index}'s engine over the given parameters; called on that replica's device thread. */
    @FunctionalInterface
    public interface ReplicaFactory {
        GradientEngine create(ParamSet params, int index);
    }

    public enum Replication { SHARED, COPIES }

    private final ParamSet master;
    private final Replication replication;
    private final ExecutorService[] threads;
    private final GradientEngine[] replicas;
    private final ParamSet[] replicaGrads; // [0] unused: replica 0 accumulates into the caller's set
    private final int[] device;

    public DataParallelEngine(ParamSet master, int workers, Replication replication, ReplicaFactory factory) {
        if (workers <= 0) throw new IllegalArgumentException("--workers must be positive, got " + workers);
        this.master = master;
        this.replication = replication;
        this.threads = new ExecutorService[workers];
        this.replicas = new GradientEngine[workers];
        this.replicaGrads = new ParamSet[workers];
        this.device = new int[workers];
        int devices = Math.max(1, Nd4j.getAffinityManager().getNumberOfDevices());
        try {
            for (int r = 0; r < workers; r++) {
                final int idx = r, dev = r % devices;
                threads[r] = Executors.newSingleThreadExecutor(run -> {
                    Thread t = new Thread(() -> {
                        // pin before anything allocates, so this replica's arrays live on its device
                        Nd4j.getAffinityManager().unsafeSetDevice(dev);
                        run.run();
                    }, "ncf-replica-" + idx);
                    t.setDaemon(true);
                    return t;
                });
                device[r] = threads[r].submit(() -> Nd4j.getAffinityManager().getDeviceForCurrentThread()).get();
                replicas[r] = threads[r].submit(() -> {
                    ParamSet p = idx == 0 || replication == Replication.SHARED ? master : master.copy();
                    if (idx > 0) replicaGrads[idx] = master.zerosLike();
                    return factory.create(p, idx);
                }).get();
            }
        } catch (InterruptedException | ExecutionException e) {
            close();
            throw new IllegalStateException("could not create data-parallel replica: " + rootMessage(e), e);
        }
    }

    public int workers() { return replicas.length; }

    public Replication replication() { return replication; }

    /** The device each replica's thread is pinned to (all 0 on the CPU backend). */
    public int[] devices() { return device.clone(); }

    public GradientEngine replica(int r) { return replicas[r]; }

    @Override public NeuMFConfig config() { return master.config(); }

    @Override public ParamSet params() { return master; }

    @Override public int microBatchSize() { return replicas[0].microBatchSize(); }

    @Override
    public double accumulateGradients(int[] users, int[] items, float[] labels, int from, int count, float weight,
                                      DropoutMask dropout, long samplePosition, ParamSet grads) {
        int n = replicas.length;
        if (n == 1) return replicas[0].accumulateGradients(users, items, labels, from, count, weight, dropout, samplePosition, grads);
        if (replication == Replication.COPIES)
            for (int r = 1; r < n; r++) replicas[r].params().assign(master); // broadcast the last update
        List<Future<Double>> parts = new ArrayList<>(n);
        int base = count / n, extra = count % n, offset = 0;
        for (int r = 0; r < n; r++) {
            int size = base + (r < extra ? 1 : 0);
            int shardFrom = from + offset;
            long position = samplePosition + offset;
            offset += size;
            if (size == 0) { parts.add(null); continue; }
            final int idx = r;
            ParamSet target = r == 0 ? grads : replicaGrads[r];
            parts.add(threads[r].submit(() -> replicas[idx].accumulateGradients(users, items, labels, shardFrom, size, weight, dropout, position, target)));
        }
        double loss = 0;
        try {
            for (Future<Double> f : parts) if (f != null) loss += f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for data-parallel replicas", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new IllegalStateException("data-parallel replica failed: " + rootMessage(e), e);
        }
        for (int r = 1; r < n; r++) {
            if (parts.get(r) == null) continue;
            grads.addi(replicaGrads[r]);
            replicaGrads[r].clear();
        }
        return loss;
    }

    /** Scoring (evaluation) runs on replica 0 over the master parameters. */
    @Override public void score(int[] users, int[] items, int count, float[] out) {
        try {
            threads[0].submit(() -> replicas[0].score(users, items, count, out)).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while scoring", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new IllegalStateException("scoring failed: " + rootMessage(e), e);
        }
    }

    @Override public void close() {
        for (int r = 0; r < replicas.length; r++) {
            if (replicas[r] != null && threads[r] != null) {
                final GradientEngine e = replicas[r];
                try { threads[r].submit(e::close).get(); } catch (Exception ignored) { e.close(); }
            }
            if (threads[r] != null) threads[r].shutdownNow();
        }
    }

    private static String rootMessage(Throwable t) {
        while (t.getCause() != null) t = t.getCause();
        return t.toString();
    }
}
