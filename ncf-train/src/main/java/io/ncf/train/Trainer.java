package io.ncf.train;

import io.ncf.data.Progress;
import io.ncf.eval.EvalResult;
import io.ncf.core.NeuMFConfig;
import io.ncf.train.engine.TrainingEngine;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The one training loop, for every engine (the seed's loop, written by hand rather than {@code sd.fit}): epochs of
 * optimizer steps, each step owned by the {@link TrainingEngine} (samples, forward, backward, loss scaling, Adam on
 * its device); here the evaluation schedule (from {@code evalAfter} on, and always after the last epoch), the best
 * model (reported to listeners, which write checkpoints), the state to resume from after every epoch, the target-HR
 * bookkeeping, the divergence stop, progress and cancellation.
 */
public final class Trainer {

    private final TrainingEngine engine;
    private final NeuMFConfig config;
    private final TrainingOptions options;
    private final List<TrainingListener> listeners;
    private final TrainingState resumeFrom;
    private Consumer<TrainingState> stateSink;
    private Progress progress = Progress.NONE;
    private java.util.function.Predicate<EpochReport> stopWhen;
    private volatile boolean cancelled;

    public Trainer(TrainingEngine engine, NeuMFConfig config, TrainingOptions options, List<TrainingListener> listeners) {
        this(engine, config, options, listeners, null);
    }

    /**
     * Continues a run from a saved state: the engine must have been opened on {@code resume.engine()} (parameters,
     * Adam moments and step, loss scale); the epoch, step and best-so-far counters go on where they stopped. Samples
     * and dropout masks are functions of (seed, epoch) and (seed, global step), so nothing else is needed to continue
     * as an uninterrupted run would (bit for bit on the CPU engines).
     */
    public Trainer(TrainingEngine engine, NeuMFConfig config, TrainingOptions options, List<TrainingListener> listeners, TrainingState resume) {
        this.engine = Objects.requireNonNull(engine);
        this.config = Objects.requireNonNull(config);
        this.options = Objects.requireNonNull(options);
        this.listeners = List.copyOf(listeners);
        this.resumeFrom = resume;
    }

    /** Called after every completed epoch (after the listeners) with the state to continue from. */
    public Trainer onEpochState(Consumer<TrainingState> sink) {
        this.stateSink = sink;
        return this;
    }

    /**
     * Ends the run early, normally (with a summary, unlike {@link #cancel}), after the first epoch whose report
     * satisfies {@code rule}: early stopping on the evaluation metric, a tuner's pruning rule. The rule sees each
     * epoch's report after the listeners and the state sink have.
     */
    public Trainer stopWhen(java.util.function.Predicate<EpochReport> rule) {
        this.stopWhen = rule;
        return this;
    }

    /** Reports each epoch's optimizer steps (task "epoch N", 0-based as the log lines) and each evaluation's users. */
    public Trainer progress(Progress p) {
        this.progress = Progress.orNone(p);
        return this;
    }

    /**
     * Asks the run to stop at the next step boundary (from any thread): {@link #train} then throws
     * {@link TrainingCancelledException}; the state of the last completed epoch (already handed to the state sink)
     * is what a resumed run continues from. The same effect as SIGTERM on the command line.
     */
    public void cancel() { cancelled = true; }

    public boolean isCancelled() { return cancelled; }

    /** A batch size that gives an epoch roughly a hundred Adam steps: the largest power of two ≤ samples/100. */
    public static int suggestedBatch(long samplesPerEpoch) {
        long target = Math.max(256, samplesPerEpoch / 100);
        return (int) Long.highestOneBit(Math.min(target, 1 << 30));
    }

    /** Samples per epoch for a dataset under these options (the CPU engines' epoch; the GPU drops a last partial batch). */
    public static long samplesPerEpoch(io.ncf.data.NcfDataset data, TrainingOptions o) { return (long) data.trainSize() * (1 + o.negatives()); }

    public TrainingSummary train() {
        List<EpochReport> reports = new ArrayList<>();
        RunRecord record = resumeFrom == null ? new RunRecord(options.target()) : RunRecord.resumed(options.target(), resumeFrom);
        long runStart = System.nanoTime();
        long globalStep = 0;
        int firstEpoch = 0;
        if (resumeFrom != null) {
            globalStep = resumeFrom.globalStep();
            firstEpoch = resumeFrom.nextEpoch();
            runStart -= (long) (resumeFrom.elapsedSeconds() * 1e9); // times to train/best count the interrupted part too
        }
        boolean warned = false;
        for (int epoch = firstEpoch; epoch < options.epochs(); epoch++) {
            long t0 = System.nanoTime();
            TrainingEngine.EpochShape shape = engine.beginEpoch(epoch);
            if (!warned && options.batchSize() >= shape.samples()) {
                warned = true;
                warn("batchSize " + options.batchSize() + " is at least the whole epoch (" + shape.samples() + " samples): every epoch would be a single Adam step."
                        + " The seed's default is tuned for ml-20m; for this dataset try batchSize " + suggestedBatch(shape.samples()) + ".");
            }
            double lossSum = 0;
            long samples = 0;
            int perCall = Math.max(1, engine.stepsPerCall());
            for (int step = 0; step < shape.steps(); ) {
                if (cancelled) throw new TrainingCancelledException(epoch, step, epoch);
                int count = Math.min(perCall, shape.steps() - step);
                TrainingEngine.StepResult[] rs = engine.steps(step, count, globalStep);
                for (TrainingEngine.StepResult r : rs) {
                    globalStep++;
                    if (!Double.isFinite(r.lossSum()))
                        throw new TrainingDivergedException("training loss became " + r.lossSum() + " in epoch " + epoch + ", step " + step
                                + "; lower learningRate. The best checkpoint so far is kept.");
                    lossSum += r.lossSum();
                    samples += r.samples();
                    for (TrainingListener li : listeners) li.onStep(epoch, step, shape.steps(), r.lossSum() / r.samples());
                    progress.update("epoch " + epoch, step + 1, shape.steps());
                    step++;
                }
                if (rs.length != count)
                    throw new IllegalStateException(engine.describe() + " ran " + rs.length + " of " + count + " steps without a non-finite loss");
            }
            double trainSeconds = (System.nanoTime() - t0) / 1e9;
            boolean evaluate = epoch >= options.evalAfter() || epoch == options.epochs() - 1;
            double loss = samples == 0 ? Double.NaN : lossSum / samples;
            EpochReport r;
            if (evaluate) {
                EvalResult e = engine.evaluate(progress);
                boolean best = record.recordEvaluation(epoch, e.hitRate(), e.ndcg(), (System.nanoTime() - runStart) / 1e9);
                r = new EpochReport(epoch, trainSeconds, samples, shape.steps(), loss, true, e.seconds(), e.samples(), e.hitRate(), e.ndcg(), best);
                if (best && !listeners.isEmpty()) {
                    float[] params = engine.parameters();
                    for (TrainingListener li : listeners) li.onNewBest(r, config, params);
                }
            } else {
                r = new EpochReport(epoch, trainSeconds, samples, shape.steps(), loss, false, Double.NaN, 0, Double.NaN, Double.NaN, false);
            }
            reports.add(r);
            for (TrainingListener li : listeners) li.onEpoch(r);
            if (stateSink != null)
                stateSink.accept(new TrainingState(epoch + 1, globalStep, record.bestHr(), record.bestNdcg(), record.bestEpoch(), record.firstToHit(),
                        record.timeToTrain(), record.timeToBest(), (System.nanoTime() - runStart) / 1e9, engine.snapshot()));
            if (stopWhen != null && stopWhen.test(r)) break;
        }
        TrainingSummary summary = record.summary(reports, (System.nanoTime() - runStart) / 1e9);
        for (TrainingListener li : listeners) li.onEnd(summary);
        return summary;
    }

    private void warn(String m) { for (TrainingListener li : listeners) li.onWarning(m); }
}
