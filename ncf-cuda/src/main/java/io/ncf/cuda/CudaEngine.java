package io.ncf.cuda;

import io.ncf.data.NcfDataset;
import io.ncf.data.Progress;
import io.ncf.eval.EvalResult;
import io.ncf.model.ModelKind;
import io.ncf.train.LossScaler;
import io.ncf.train.TrainingOptions;
import io.ncf.train.engine.EngineSetup;
import io.ncf.train.engine.EngineState;
import io.ncf.train.engine.TrainingEngine;

/**
 * The GPU engine behind the training loop's seam: a {@link GpuTraining} run on 1..n GPUs. Each {@link #step} is one
 * global step on the device (batch built from the epoch plan, forward, backward, NCCL all-reduce, frozen entries of a
 * model variant zeroed, overflow check and Adam), and one flag comes back to decide the loss scaler's update.
 * Parameters and moments come to the host only for {@link #snapshot()} / {@link #parameters()}. Loads no ND4J class.
 *
 * <p>Differences from the CPU engines, by design: whole batches only (an epoch's last partial batch is dropped, as
 * NVIDIA's PyTorch does) and a device-side epoch plan ({@link EpochPlan}: a keyed permutation, not the host
 * sampler's shuffle), so GPU and CPU runs of one seed learn alike but not bit for bit.
 */
public final class CudaEngine implements TrainingEngine {

    private final GpuTraining run;
    private final TrainingOptions options;
    private final LossScaler scaler;
    private final float dropout;
    private final String description;
    private int epoch = -1;
    private final long epochSamples;

    CudaEngine(EngineSetup s, Precision precision) {
        NcfDataset ds = s.data();
        EngineState st = s.initial();
        this.options = s.options();
        this.scaler = s.restoredLossScaler();
        this.dropout = s.config().dropout();
        GpuTraining.Settings settings = new GpuTraining.Settings(s.config(), precision, options.adam(), options.seed(), options.negatives(),
                options.batchSize(), s.workers());
        GpuTraining.Start start = new GpuTraining.Start(st.params(), st.adamM(), st.adamV(), st.adamStep());
        this.run = new GpuTraining(settings, start, s.kind().frozenRanges(s.config()), options.verifyNegatives(), ds.trainUsers(), ds.trainItems(),
                ds.candidates().users(), ds.candidates().items(), ds.candidates().width(), scaler, GpuTraining.Placement.forWorkers(s.workers()));
        this.epochSamples = (long) ds.trainSize() * (1 + options.negatives());
        boolean ok = false;
        try {
            this.description = "cuda (" + run.describe() + "), " + precision + (s.kind() != ModelKind.NEUMF ? ", " + s.kind() : "")
                    + (options.verifyNegatives() ? ", checked negatives (host-drawn)" : "");
            ok = true;
        } finally {
            if (!ok) run.close();
        }
    }

    @Override public String describe() { return description; }

    @Override public EpochShape beginEpoch(int e) {
        // checked here, not at open: evaluating a model (--mode test) needs no batch
        EpochShape shape = wholeBatches(epochSamples, options.batchSize());
        this.epoch = e;
        scaler.onEpochStart(e);
        return shape;
    }

    /**
     * An epoch of {@code epochSamples} as the GPU trains it: whole batches only (the last partial batch dropped, as
     * NVIDIA's PyTorch does); refused, naming the fix, where not one batch fits. Also the shape of ncf-spark's GPU
     * executors' epochs.
     */
    public static EpochShape wholeBatches(long epochSamples, int batchSize) {
        long steps = epochSamples / batchSize;
        if (steps == 0)
            throw new IllegalArgumentException("batchSize " + batchSize + " is larger than an epoch (" + epochSamples
                    + " samples): the GPU trains on whole batches only; lower batchSize");
        return new EpochShape(steps * batchSize, (int) steps);
    }

    @Override public StepResult step(int stepInEpoch, long globalStep) {
        if (epoch < 0) throw new IllegalStateException("beginEpoch must be called before step");
        long before = scaler.skippedTotal();
        double loss = run.trainSteps(epoch, stepInEpoch, 1, globalStep, dropout);
        return new StepResult(loss, options.batchSize(), scaler.skippedTotal() == before);
    }

    @Override public EvalResult evaluate(Progress progress) { return run.evaluate(options.topK()); }

    @Override public float[] parameters() { return run.parameters(); }

    @Override public EngineState snapshot() {
        float[] p = run.parameters();
        float[][] mv = run.adamMoments();
        return EngineState.of(run.config(), p, mv[0], mv[1], run.adamSteps(), scaler);
    }

    @Override public LossScaler lossScaler() { return scaler; }

    @Override public void close() { run.close(); }
}
