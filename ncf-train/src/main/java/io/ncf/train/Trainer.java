package io.ncf.train;

import io.ncf.data.NcfDataset;
import io.ncf.data.NegativeSampler;
import io.ncf.data.TrainingSamples;
import io.ncf.eval.EvalResult;
import io.ncf.eval.Evaluator;
import io.ncf.model.DropoutMask;
import io.ncf.model.ModelKind;
import io.ncf.model.ParamSet;
import io.ncf.model.TrainingEngine;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The seed's training loop, written by hand (not {@code sd.fit}): every epoch a fresh, shuffled set of
 * positives and sampled negatives; each global batch is processed as micro-batches whose gradients are
 * accumulated, then one Adam step; evaluation from {@code --eval-after} on, best model reported to listeners.
 */
public final class Trainer implements AutoCloseable {

    private final NcfDataset data;
    private final TrainingEngine engine;
    private final TrainingOptions options;
    private final List<TrainingListener> listeners;
    private final Adam adam;
    private final ParamSet grads;
    private final TrainingState resumeFrom;
    private Consumer<TrainingState> stateSink;
    private GradientPolicy policy = GradientPolicy.PLAIN;
    private ModelKind kind = ModelKind.NEUMF;
    private io.ncf.data.Progress progress = io.ncf.data.Progress.NONE;

    public Trainer(NcfDataset data, TrainingEngine engine, TrainingOptions options, List<TrainingListener> listeners) {
        this(data, engine, options, listeners, null);
    }

    /**
     * Continues a run from a saved state: the engine must compute with {@code resume.params()}; Adam starts from
     * the saved moments and step count, and the epoch, step and best-so-far counters go on where they stopped.
     * Negatives and dropout masks are functions of (seed, epoch) and (seed, global step), so nothing else is needed
     * to continue exactly as an uninterrupted run would.
     */
    public Trainer(NcfDataset data, TrainingEngine engine, TrainingOptions options, List<TrainingListener> listeners, TrainingState resume) {
        if (engine.config().numUsers() != data.numUsers() || engine.config().numItems() != data.numItems())
            throw new IllegalArgumentException("model is for " + engine.config().numUsers() + " users × " + engine.config().numItems()
                    + " items but the dataset has " + data.numUsers() + " × " + data.numItems());
        this.data = data;
        this.engine = engine;
        this.options = options;
        this.listeners = List.copyOf(listeners);
        if (resume != null && resume.params() != engine.params())
            throw new IllegalArgumentException("the engine must compute with the resumed state's parameters");
        this.resumeFrom = resume;
        this.adam = resume == null ? new Adam(options.learningRate(), options.beta1(), options.beta2(), options.eps(), engine.params())
                : new Adam(options.learningRate(), options.beta1(), options.beta2(), options.eps(), resume.adamM(), resume.adamV(), resume.adamStep());
        this.grads = engine.params().zerosLike();
    }

    /** Called after every completed epoch (after the listeners) with the state to continue from; the arrays are live. */
    public Trainer onEpochState(Consumer<TrainingState> sink) {
        this.stateSink = sink;
        return this;
    }

    public Adam optimizer() { return adam; }

    /** Loss scaling (mixed precision) or another step policy; {@link GradientPolicy#PLAIN} by default. */
    public Trainer gradientPolicy(GradientPolicy p) {
        this.policy = java.util.Objects.requireNonNull(p);
        return this;
    }

    /**
     * The model variant: what it must not train is frozen by zeroing those gradient entries before every step (the
     * parameters must already be shaped by {@link ModelKind#shape}). NeuMF by default.
     */
    public Trainer modelKind(ModelKind k) {
        this.kind = java.util.Objects.requireNonNull(k);
        return this;
    }

    /** Reports each epoch's optimizer steps (task "epoch N", 0-based as the log lines) and each evaluation's users. */
    public Trainer progress(io.ncf.data.Progress p) {
        this.progress = io.ncf.data.Progress.orNone(p);
        return this;
    }

    /** Samples per epoch for this dataset and these options. */
    public static long samplesPerEpoch(NcfDataset data, TrainingOptions o) { return (long) data.trainSize() * (1 + o.negatives()); }

    /** A batch size that gives an epoch roughly a hundred Adam steps: the largest power of two ≤ samples/100. */
    public static int suggestedBatch(long samplesPerEpoch) {
        long target = Math.max(256, samplesPerEpoch / 100);
        return (int) Long.highestOneBit(Math.min(target, 1 << 30));
    }

    public TrainingSummary train() {
        long perEpoch = samplesPerEpoch(data, options);
        if (perEpoch > Integer.MAX_VALUE - 8)
            throw new IllegalArgumentException("an epoch of " + perEpoch + " samples does not fit in Java arrays; lower --negative-samples");
        if (options.batchSize() >= perEpoch) {
            warn("--batch-size " + options.batchSize() + " is at least the whole epoch (" + perEpoch + " samples): every epoch would be a single Adam step."
                    + " The seed's default is tuned for ml-20m; for this dataset try -b " + suggestedBatch(perEpoch) + ".");
        }
        Evaluator evaluator = new Evaluator(data.candidates(), data.numItems(), options.topK(), options.validUsersPerBatch());
        NegativeSampler sampler = new NegativeSampler(data, options.negatives(), options.verifyNegatives(), options.seed());
        TrainingSamples s = sampler.newSamples();
        List<EpochReport> reports = new ArrayList<>();
        RunRecord record = resumeFrom == null ? new RunRecord(options.target()) : RunRecord.resumed(options.target(), resumeFrom);
        long runStart = System.nanoTime();
        engine.parametersChanged(); // initial or loaded parameters
        long globalStep = 0;
        int firstEpoch = 0;
        TrainingState r0 = resumeFrom;
        if (r0 != null) {
            globalStep = r0.globalStep();
            firstEpoch = r0.nextEpoch();
            runStart -= (long) (r0.elapsedSeconds() * 1e9); // times to train/best count the interrupted part too
        }
        float dropout = engine.config().dropout();
        for (int epoch = firstEpoch; epoch < options.epochs(); epoch++) {
            long t0 = System.nanoTime();
            sampler.sample(epoch, s);
            int n = s.size();
            int steps = (int) ((n + (long) options.batchSize() - 1) / options.batchSize());
            double lossSum = 0;
            policy.onEpochStart(epoch);
            for (int step = 0; step < steps; step++) {
                int from = step * options.batchSize();
                int count = Math.min(options.batchSize(), n - from);
                DropoutMask mask = DropoutMask.forStep(options.seed(), globalStep++, dropout);
                double l = engine.accumulateGradients(s.users(), s.items(), s.labels(), from, count, policy.lossScale() / count, mask, from, grads);
                if (!Double.isFinite(l))
                    throw new TrainingDivergedException("training loss became " + l + " in epoch " + epoch + ", step " + step
                            + "; lower --learning-rate. The best checkpoint so far is kept.");
                engine.finishGradients(grads);
                kind.zeroFrozen(grads); // a zero gradient leaves Adam's moments at 0 and the entry exactly unchanged
                if (policy.beforeUpdate(grads)) { // a skipped step leaves grads zeroed and params untouched
                    adam.step(engine.params(), grads); // also zeroes grads for the next step
                    engine.parametersChanged();
                }
                lossSum += l;
                for (TrainingListener li : listeners) li.onStep(epoch, step, steps, l / count);
                progress.update("epoch " + epoch, step + 1, steps);
            }
            double trainSeconds = (System.nanoTime() - t0) / 1e9;
            boolean evaluate = epoch >= options.evalAfter() || epoch == options.epochs() - 1;
            EpochReport r;
            if (evaluate) {
                EvalResult e = evaluator.evaluate(engine, progress);
                boolean best = record.recordEvaluation(epoch, e.hitRate(), e.ndcg(), (System.nanoTime() - runStart) / 1e9);
                r = new EpochReport(epoch, trainSeconds, n, steps, lossSum / n, true, e.seconds(), e.samples(), e.hitRate(), e.ndcg(), best);
                if (best) {
                    for (TrainingListener li : listeners) li.onNewBest(r, engine.params());
                }
            } else {
                r = new EpochReport(epoch, trainSeconds, n, steps, lossSum / n, false, Double.NaN, 0, Double.NaN, Double.NaN, false);
            }
            reports.add(r);
            for (TrainingListener li : listeners) li.onEpoch(r);
            if (stateSink != null)
                stateSink.accept(new TrainingState(epoch + 1, globalStep, adam.stepCount(), record.bestHr(), record.bestNdcg(),
                        record.bestEpoch(), record.firstToHit(), record.timeToTrain(), record.timeToBest(), (System.nanoTime() - runStart) / 1e9, engine.params(), adam.firstMoment(), adam.secondMoment()));
        }
        TrainingSummary summary = record.summary(reports, (System.nanoTime() - runStart) / 1e9);
        for (TrainingListener li : listeners) li.onEnd(summary);
        return summary;
    }

    /** Releases the optimizer's worker threads (the engine belongs to the caller). */
    @Override public void close() { adam.close(); }

    private void warn(String m) { for (TrainingListener li : listeners) li.onWarning(m); }
}
