package io.ncf.spark.train;

import io.ncf.model.DropoutMask;
import io.ncf.model.ParamSet;
import io.ncf.model.fused.FusedCpuEngine;
import org.apache.spark.TaskContext;


/**
 * The executor side of synchronous training: per executor JVM, one replica per (run, shard) — parameters, a fused
 * gradient kernel and a gradient buffer — kept between steps so a step ships only what changed. A task finds its
 * replica at the version it needs or brings it there from the step's parameter broadcast; a replica that is missing
 * (a new or restarted executor, a shard that moved) is simply built again from that broadcast, which is what makes a
 * re-run task (Spark's retry of a failed one) compute exactly what the first attempt would have.
 *
 * <p>Only the replicas of the latest run are kept ({@link LatestRun}).
 */
final class Replicas {

    private static final LatestRun<Replica> REPLICAS = new LatestRun<>(r -> r.kernel.close());
    /**
     * Fault injection for tests: a task whose parameter version this accepts fails on its first attempt after this
     * JVM lost every replica, as a restarted executor would have. Spark then re-runs the task.
     */
    static volatile java.util.function.LongPredicate failFirstAttemptAt;
    /** Fault injection for tests: every attempt of a task at an accepted version fails, so the fit itself fails. */
    static volatile java.util.function.LongPredicate failEveryAttemptAt;
    /**
     * Fault injection across JVMs, for the multi-process test: an executor started with
     * {@code -Dncf.spark.test.haltAtVersion=V} ends its JVM ({@code Runtime.halt}) in the first attempt of a task at
     * parameter version V, as a crashed or killed executor would.
     */
    static final long HALT_AT_VERSION = Long.getLong("ncf.spark.test.haltAtVersion", -1L);

    static { io.ncf.spark.NativeBlas.keepMllibOnJava(); }

    private Replicas() {}

    /** Computes {@code task}'s gradient on this executor. */
    static ShardGradient compute(ShardTask task) {
        RunSpec spec = task.spec().value();
        injectFault(task.version());
        Replica r = replica(spec, task.shard());
        synchronized (r) {
            if (r.version != task.version()) {
                FlatBytes.unpack(task.params().value(), r.params);
                r.kernel.parametersChanged();
                r.version = task.version();
            }
            int n = task.users().length;
            DropoutMask mask = task.maskRate() > 0 ? new DropoutMask(task.maskSeed(), task.maskRate()) : DropoutMask.NONE;
            double loss = r.kernel.accumulateGradients(task.users(), task.items(), task.labels(), 0, n, task.weight(), mask,
                    task.samplePosition(), r.grads);
            r.kernel.finishGradients(r.grads);
            ShardGradient g = ShardGradient.of(loss, r.grads, task.users(), task.items());
            r.grads.clear();
            return g;
        }
    }

    private static void injectFault(long version) {
        java.util.function.LongPredicate f = failFirstAttemptAt, always = failEveryAttemptAt;
        TaskContext tc = TaskContext.get();
        if (always != null && always.test(version)) throw new IllegalStateException("injected permanent failure at parameter version " + version);
        if (version == HALT_AT_VERSION && tc != null && tc.attemptNumber() == 0) {
            System.err.println("ncf-spark test: halting executor JVM at parameter version " + version);
            Runtime.getRuntime().halt(137);
        }
        if (f == null || tc == null || tc.attemptNumber() > 0 || !f.test(version)) return;
        REPLICAS.forget(); // not closed: the other shard's task may still be computing with its replica
        throw new IllegalStateException("injected executor failure at parameter version " + version);
    }

    private static Replica replica(RunSpec spec, int shard) {
        return REPLICAS.get(spec.runId(), shard, () -> new Replica(spec, taskCpus()));
    }

    private static int taskCpus() {
        TaskContext tc = TaskContext.get();
        return tc != null ? Math.max(1, tc.cpus()) : 1;
    }

    /** Closes the replicas of {@code runId} on this JVM (the driver's own in local mode; executors drop theirs at the next run). */
    static void release(String runId) { REPLICAS.release(runId); }

    private static final class Replica {
        final ParamSet params, grads;
        final FusedCpuEngine kernel;
        long version = -1;

        Replica(RunSpec spec, int threads) {
            this.params = ParamSet.zeros(spec.config());
            this.grads = params.zerosLike();
            this.kernel = new FusedCpuEngine(params, spec.microBatch(), threads);
            kernel.promiseWholeSteps(); // each step arrives in one call: a fresh replica computes as a long-lived one
        }
    }
}
