package io.ncf.spark.train;

import io.ncf.data.NcfDataset;
import io.ncf.data.Progress;
import io.ncf.eval.EvalResult;
import io.ncf.eval.Evaluator;
import io.ncf.model.ParamSet;
import io.ncf.model.fused.FusedCpuEngine;
import io.ncf.train.LossScaler;
import io.ncf.train.Trainer;
import io.ncf.train.TrainingOptions;
import io.ncf.train.engine.EngineSetup;
import io.ncf.train.engine.EngineState;
import io.ncf.train.engine.TrainingEngine;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.rdd.RDD;
import scala.reflect.ClassTag$;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Synchronous data-parallel training in Spark's barrier execution mode: each call of {@link #steps} (an epoch: the loop
 * asks for {@link #stepsPerCall} steps at a time) is one barrier job of {@code shards} tasks, started together. Each task
 * keeps a whole replica of the training engine on its executor; within every step the tasks exchange their slices'
 * gradients through {@code BarrierTaskContext.allGather} and each takes the same Adam step ({@link BarrierReplicas},
 * {@link AllGatherKernel}). What crosses per step is only the row-sparse gradients, once per task; the driver sees the
 * state once per job (task 0 sends it back), evaluates it and keeps it for checkpoints and for restarting replicas.
 *
 * <p>The loop ({@link Trainer}) is unchanged: it owns epochs, evaluation, best model, checkpoints and logs; the engine
 * runs the steps it is asked for, as {@code ncf train}'s host engine would, and the per-step losses come back with the job.
 */
public final class BarrierTrainingEngine implements TrainingEngine {

    private final JavaSparkContext jsc;
    private final String description;
    private final NcfDataset data;
    private final TrainingOptions options;
    private final LossScaler scaler;
    private final Broadcast<BarrierReplicas.Spec> spec;
    private final Broadcast<ShippedDataset> shipped;
    private final List<Broadcast<byte[]>> live = new ArrayList<>();
    private final ParamSet params;
    private final FusedCpuEngine scorer;
    private final Evaluator evaluator;
    private final int shards;
    private EngineState state;
    private Broadcast<byte[]> start;
    private int epoch = -1;

    private final boolean gpu;

    /** @param gpu each task drives one GPU (ncf-cuda's engine, the tasks one NCCL group) instead of the fused CPU kernel */
    public BarrierTrainingEngine(JavaSparkContext jsc, String description, EngineSetup s, int shards, int driverThreads, boolean gpu) {
        if (shards <= 0) throw new IllegalArgumentException("shards must be positive, got " + shards);
        this.jsc = jsc;
        this.description = description;
        this.data = s.data();
        this.options = s.options();
        this.scaler = s.restoredLossScaler();
        this.shards = shards;
        this.gpu = gpu;
        this.state = s.initial();
        this.spec = jsc.broadcast(new BarrierReplicas.Spec(RunSpec.of(UUID.randomUUID().toString(), s.config(), options.microBatch()), options, shards, gpu));
        this.shipped = jsc.broadcast(ShippedDataset.of(data));
        this.params = ParamSet.fromFlat(s.config(), state.params());
        this.scorer = new FusedCpuEngine(params, options.microBatch(), driverThreads);
        this.evaluator = new Evaluator(data.candidates(), data.numItems(), options.topK(), options.validUsersPerBatch());
        publish(StateBytes.pack(state));
    }

    @Override public String describe() { return description; }

    /** A whole epoch per job: one barrier round trip per epoch. */
    @Override public int stepsPerCall() { return Integer.MAX_VALUE; }

    @Override public EpochShape beginEpoch(int e) {
        scaler.onEpochStart(e);
        this.epoch = e;
        long n = Trainer.samplesPerEpoch(data, options);
        if (gpu) return io.ncf.cuda.CudaEngine.wholeBatches(n, options.batchSize()); // as ncf train --engine cuda
        return new EpochShape(n, (int) ((n + options.batchSize() - 1) / options.batchSize()));
    }

    @Override public StepResult step(int stepInEpoch, long globalStep) { return steps(stepInEpoch, 1, globalStep)[0]; }

    @Override public StepResult[] steps(int first, int count, long globalStep) {
        if (epoch < 0) throw new IllegalStateException("beginEpoch must be called before steps");
        BarrierReplicas.Job job = new BarrierReplicas.Job(spec, shipped, start, epoch, first, count, globalStep, true);
        RDD<Integer> slots = jsc.parallelize(range(shards), shards).rdd();
        RDD<BarrierReplicas.Outcome> out = slots.barrier().mapPartitions(new RunJob(job), false,
                ClassTag$.MODULE$.apply(BarrierReplicas.Outcome.class));
        // The outcomes come back through a shuffle, so the barrier stage is a shuffle-map stage: Spark re-runs a failed
        // one (every task, from the job's start state), where a failed barrier result stage would abort the job.
        List<BarrierReplicas.Outcome> outcomes = new JavaRDD<>(out, ClassTag$.MODULE$.apply(BarrierReplicas.Outcome.class)).repartition(1).collect();
        BarrierReplicas.Outcome o = null;
        for (BarrierReplicas.Outcome b : outcomes) if (b.shard() == 0) o = b; // task 0's carries the state
        if (o == null) throw new IllegalStateException("task 0 of the barrier job sent no outcome");
        StepResult[] rs = new StepResult[o.losses().length];
        for (int k = 0; k < rs.length; k++) rs[k] = new StepResult(o.losses()[k], o.samples()[k], o.applied()[k]);
        if (o.state() != null) {
            state = StateBytes.unpack(o.state(), params.config());
            params.copyFromFlat(state.params());
            scorer.parametersChanged();
            publish(o.state()); // already packed: ship task 0's bytes as they came
        }
        return rs;
    }

    /** The state replicas (re)start from, shipped lazily: a task whose replica is current never reads it. */
    private void publish(byte[] packed) {
        start = jsc.broadcast(packed);
        live.add(start);
        while (live.size() > 2) live.remove(0).destroy(false); // a retried stage still needs the current one
    }

    @Override public EvalResult evaluate(Progress progress) { return evaluator.evaluate(scorer, Progress.orNone(progress)); }

    @Override public float[] parameters() { return state.params().clone(); }

    @Override public EngineState snapshot() {
        return EngineState.of(state.config(), state.params().clone(), state.hasMoments() ? state.adamM().clone() : null,
                state.hasMoments() ? state.adamV().clone() : null, state.adamStep(), scaler);
    }

    @Override public LossScaler lossScaler() { return scaler; }

    @Override public void close() {
        try {
            String runId = spec.value().run().runId();
            for (Broadcast<byte[]> b : live) b.destroy(false);
            live.clear();
            shipped.destroy(false);
            spec.destroy(false);
            BarrierReplicas.release(runId);
        } finally {
            scorer.close();
        }
    }

    private static List<Integer> range(int n) {
        List<Integer> r = new ArrayList<>(n);
        for (int i = 0; i < n; i++) r.add(i);
        return r;
    }

    /** The barrier stage's function: this task's share of the job; only task 0's outcome carries the state. */
    private static final class RunJob extends scala.runtime.AbstractFunction1<scala.collection.Iterator<Integer>, scala.collection.Iterator<BarrierReplicas.Outcome>>
            implements Serializable {
        private static final long serialVersionUID = 1L;
        private final BarrierReplicas.Job job;

        RunJob(BarrierReplicas.Job job) { this.job = job; }

        @Override public scala.collection.Iterator<BarrierReplicas.Outcome> apply(scala.collection.Iterator<Integer> ignored) {
            return scala.collection.Iterator$.MODULE$.single(BarrierReplicas.run(job));
        }
    }
}
