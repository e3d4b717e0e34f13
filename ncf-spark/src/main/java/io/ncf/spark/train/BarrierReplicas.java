package io.ncf.spark.train;

import io.ncf.model.ModelKind;
import io.ncf.train.LossScaler;
import io.ncf.train.TrainingDivergedException;
import io.ncf.train.TrainingOptions;
import io.ncf.train.engine.EngineSetup;
import io.ncf.train.engine.EngineState;
import io.ncf.train.engine.TrainingEngine.StepResult;
import io.ncf.train.host.HostTrainingEngine;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.broadcast.Broadcast;

import java.io.Serializable;

/**
 * The executor side of barrier training: per executor JVM, one replica per (run, shard) — a whole training engine, the
 * one {@code ncf train --engine fused} runs, over an {@link AllGatherKernel} — kept between jobs. A job runs a run of
 * consecutive steps on every replica; the replicas exchange gradients within each step and take the same Adam step,
 * so they stay identical. A replica knows the global step it has reached; a task whose replica is elsewhere (a new or
 * restarted executor, a shard that moved, an attempt that died mid-job) builds it again from the job's start state (a
 * broadcast), which is what makes Spark's re-run of a failed barrier stage compute exactly what the first attempt would.
 */
final class BarrierReplicas {

    /**
     * What every task of a run needs, shipped once per run.
     *
     * @param gpu each task drives one GPU with ncf-cuda's engine, the tasks forming one NCCL group, instead of the fused
     *            CPU kernel with an all-gather per step
     */
    record Spec(RunSpec run, TrainingOptions options, int shards, boolean gpu) implements Serializable {}

    /**
     * One job: steps {@code first .. first+count-1} of {@code epoch}, global step {@code globalStep} first; replicas not
     * at {@code globalStep} start from {@code start}. {@code sendState}: task 0 returns the state after the last step.
     */
    record Job(Broadcast<Spec> spec, Broadcast<ShippedDataset> data, Broadcast<byte[]> start, int epoch, int first, int count,
               long globalStep, boolean sendState) implements Serializable {}

    /** What a task sends back: its shard; per step the loss sum, samples and whether it was applied (the same on every task); task 0: the state when asked. */
    record Outcome(int shard, double[] losses, int[] samples, boolean[] applied, byte[] state) implements Serializable {}

    /** Fault injection for tests: a task fails in the first attempt of its stage when it reaches an accepted global step. */
    static volatile java.util.function.LongPredicate failFirstAttemptAt;
    /** Fault injection for tests: a task fails in every attempt when it reaches an accepted global step, so the fit fails. */
    static volatile java.util.function.LongPredicate failEveryAttemptAt;
    /**
     * Fault injection across JVMs, for the multi-process test: an executor started with
     * {@code -Dncf.spark.test.haltAtStep=S} ends its JVM ({@code Runtime.halt}) at global step S in the first attempt of a
     * stage, as a crashed or killed executor would.
     */
    static final long HALT_AT_STEP = Long.getLong("ncf.spark.test.haltAtStep", -1L);

    private static final LatestRun<Replica> REPLICAS = new LatestRun<>(Replica::close);

    static { io.ncf.spark.NativeBlas.keepMllibOnJava(); }

    private BarrierReplicas() {}

    /** Runs {@code job} on this task's replica. */
    static Outcome run(Job job) {
        BarrierTaskContext ctx = BarrierTaskContext.get();
        Spec spec = job.spec().value();
        int shard = ctx.partitionId();
        Replica r = replica(spec, shard);
        synchronized (r) { // a killed attempt of an earlier stage may still hold it for a moment
            BarrierExchange exchange = new BarrierExchange(ctx);
            boolean current = r.isAt(job.globalStep());
            // GPU ranks share one NCCL communicator: one stale rank (a restarted executor) rebuilds them all
            if (spec.gpu()) current = java.util.Arrays.stream(exchange.allGather(current ? "1" : "0")).allMatch("1"::equals);
            if (!current) r.rebuild(spec, job, shard, ctx, exchange);
            r.globalStep = -1; // in flight: a replica left by a failed attempt is rebuilt
            r.bind(exchange);
            if (r.epoch != job.epoch()) {
                r.beginEpoch(job.epoch());
                r.epoch = job.epoch();
            }
            int n = job.count();
            double[] losses = new double[n];
            int[] samples = new int[n];
            boolean[] applied = new boolean[n];
            int done = 0;
            try {
                for (; done < n; done++) {
                    long g = job.globalStep() + done;
                    injectFault(ctx, g);
                    StepResult s = r.step(job.first() + done, g);
                    losses[done] = s.lossSum();
                    samples[done] = s.samples();
                    applied[done] = s.applied();
                }
            } catch (TrainingDivergedException e) { // every replica saw the same summed loss: all stop here, the loop reports it
                losses[done] = Double.NaN;
                samples[done] = 1;
                done++;
                return new Outcome(shard, java.util.Arrays.copyOf(losses, done), java.util.Arrays.copyOf(samples, done),
                        java.util.Arrays.copyOf(applied, done), null);
            } finally {
                r.bind(null);
            }
            losses = r.totalLosses(losses, exchange);
            r.globalStep = job.globalStep() + n;
            byte[] state = job.sendState() && shard == 0 ? StateBytes.pack(r.snapshot()) : null;
            return new Outcome(shard, losses, samples, applied, state);
        }
    }

    private static void injectFault(BarrierTaskContext ctx, long globalStep) {
        java.util.function.LongPredicate always = failEveryAttemptAt;
        if (always != null && always.test(globalStep) && ctx.partitionId() == ctx.numPartitions() - 1)
            throw new IllegalStateException("injected permanent failure at global step " + globalStep);
        if (ctx.stageAttemptNumber() > 0) return;
        if (globalStep == HALT_AT_STEP) {
            System.err.println("ncf-spark test: halting executor JVM at global step " + globalStep);
            Runtime.getRuntime().halt(137);
        }
        java.util.function.LongPredicate f = failFirstAttemptAt;
        if (f != null && f.test(globalStep) && ctx.partitionId() == ctx.numPartitions() - 1)
            throw new IllegalStateException("injected task failure at global step " + globalStep);
    }

    private static Replica replica(Spec spec, int shard) {
        return REPLICAS.get(spec.run().runId(), shard, () -> spec.gpu() ? new GpuReplica() : new HostReplica());
    }

    /** Closes the replicas of {@code runId} on this JVM (the driver's own in local mode; executors drop theirs at the next run). */
    static void release(String runId) { REPLICAS.release(runId); }

    /**
     * A task's replica: the engine it steps, the global step it has reached (-1: none, or in flight) and the epoch it
     * has begun. A replica outlives tasks: each job binds the exchange of its own barrier stage.
     */
    abstract static class Replica {
        long globalStep = -1;
        int epoch = -1;

        boolean isAt(long step) { return globalStep == step && hasEngine(); }

        abstract boolean hasEngine();

        /** Builds the engine from the job's start state, at the job's global step. */
        void rebuild(Spec spec, Job job, int shard, BarrierTaskContext ctx, BarrierExchange exchange) {
            close();
            open(spec, job, shard, ctx, exchange);
            globalStep = job.globalStep();
            epoch = -1;
        }

        abstract void open(Spec spec, Job job, int shard, BarrierTaskContext ctx, BarrierExchange exchange);

        abstract void bind(BarrierExchange exchange);

        abstract void beginEpoch(int epoch);

        abstract StepResult step(int stepInEpoch, long globalStep);

        /** The steps' losses over all tasks, from this task's (the CPU replica's are already summed in each step). */
        abstract double[] totalLosses(double[] mine, BarrierExchange exchange);

        abstract io.ncf.train.engine.EngineState snapshot();

        abstract void close();
    }

    /** The CPU replica: {@code ncf train}'s host engine over an {@link AllGatherKernel} (an all-gather per step). */
    static final class HostReplica extends Replica {
        private HostTrainingEngine engine;
        private AllGatherKernel kernel;

        @Override boolean hasEngine() { return engine != null; }

        @Override void open(Spec spec, Job job, int shard, BarrierTaskContext ctx, BarrierExchange exchange) {
            EngineState start = StateBytes.unpack(job.start().value(), spec.run().config());
            EngineSetup setup = new EngineSetup(job.data().value().dataset(), spec.run().config(), ModelKind.NEUMF, spec.options(),
                    false, 1, LossScaler.none(), start);
            AllGatherKernel[] made = new AllGatherKernel[1];
            int threads = Math.max(1, ctx.cpus()); // the task's cores
            engine = new HostTrainingEngine("spark replica " + shard, setup,
                    p -> made[0] = new AllGatherKernel(p, spec.run().microBatch(), threads, shard, spec.shards()));
            kernel = made[0];
        }

        @Override void bind(BarrierExchange exchange) { if (kernel != null) kernel.bind(exchange); }

        @Override void beginEpoch(int e) { engine.beginEpoch(e); }

        @Override StepResult step(int stepInEpoch, long g) { return engine.step(stepInEpoch, g); }

        @Override double[] totalLosses(double[] mine, BarrierExchange exchange) { return mine; }

        @Override EngineState snapshot() { return engine.snapshot(); }

        @Override synchronized void close() {
            if (engine != null) engine.close();
            engine = null;
            kernel = null;
        }
    }
}
