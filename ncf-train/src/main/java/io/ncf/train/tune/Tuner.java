package io.ncf.train.tune;

import io.ncf.data.NcfDataset;
import io.ncf.data.Seeds;
import io.ncf.data.ValidationSplit;
import io.ncf.core.NeuMFConfig;
import io.ncf.train.EpochReport;
import io.ncf.train.LossScaler;
import io.ncf.train.Recipe;
import io.ncf.train.Trainer;
import io.ncf.train.TrainingCancelledException;
import io.ncf.train.TrainingDivergedException;
import io.ncf.train.TrainingListener;
import io.ncf.train.TrainingOptions;
import io.ncf.train.engine.EngineProvider;
import io.ncf.train.engine.EngineSetup;
import io.ncf.train.engine.EngineState;
import io.ncf.train.engine.TrainingEngine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Chooses a {@link Recipe} on the validation split ({@link ValidationSplit}: each user's latest training positive
 * held out with its own negatives), never on the test items. Trials are drawn from a {@link SearchSpace} (the first
 * is its anchor) and each is trained with evaluation after every epoch until one of:
 * <ul>
 *   <li><b>patience</b>: validation HR has not improved for {@code patience} epochs (early stopping);</li>
 *   <li><b>median</b>: from the third epoch on, its best HR so far is below the median of the earlier trials' best
 *       HR up to the same epoch (the median stopping rule of Google Vizier; needs three earlier trials);</li>
 *   <li><b>max-epochs</b>, <b>budget</b> (the wall-time budget ran out mid-trial: what it reached so far counts) or
 *       <b>diverged</b>.</li>
 * </ul>
 * The winner is the trial with the best validation HR (then NDCG); its recipe's epochs are its best epoch + 1.
 * Everything random is a function of {@link Options#seed}, so a tune with a trial budget repeats exactly on the CPU
 * engines; a wall-time budget repeats up to where time cut it.
 */
public final class Tuner {

    /**
     * @param budget    wall time for all trials (null: none; then {@code maxTrials} must be set)
     * @param maxTrials trials at most (0: as many as the budget allows)
     * @param patience  epochs without a better validation HR before a trial stops
     */
    public record Options(Duration budget, int maxTrials, int maxEpochs, int patience, long seed, int topK, SearchSpace space,
                          io.ncf.core.Precision precision) {
        public Options {
            Objects.requireNonNull(space, "space");
            Objects.requireNonNull(precision, "precision");
            if (budget == null && maxTrials <= 0) throw new IllegalArgumentException("give a time budget or a number of trials");
            if (budget != null && (budget.isNegative() || budget.isZero())) throw new IllegalArgumentException("budget must be positive, got " + budget);
            if (maxTrials < 0) throw new IllegalArgumentException("maxTrials must be ≥ 0, got " + maxTrials);
            if (maxEpochs <= 0) throw new IllegalArgumentException("maxEpochs must be positive, got " + maxEpochs);
            if (patience <= 0) throw new IllegalArgumentException("patience must be positive, got " + patience);
            if (topK <= 0) throw new IllegalArgumentException("topK must be positive, got " + topK);
        }

        /** Trials in FP32. */
        public Options(Duration budget, int maxTrials, int maxEpochs, int patience, long seed, int topK, SearchSpace space) {
            this(budget, maxTrials, maxEpochs, patience, seed, topK, space, io.ncf.core.Precision.FP32);
        }
    }

    /**
     * One trial.
     *
     * @param hitRates validation HR after each epoch run
     * @param stop     why it stopped: patience, median, max-epochs, budget, diverged
     */
    public record Trial(int id, Recipe recipe, long seed, double[] hitRates, double[] ndcgs, int bestEpoch, double seconds, String stop) {
        public double bestHr() { return bestEpoch < 0 ? Double.NaN : hitRates[bestEpoch]; }

        public double bestNdcg() { return bestEpoch < 0 ? Double.NaN : ndcgs[bestEpoch]; }

        public int epochsRun() { return hitRates.length; }

        /** Best HR among epochs 0..e (its last if it stopped earlier). */
        double bestHrUpTo(int e) {
            double b = Double.NEGATIVE_INFINITY;
            for (int k = 0; k <= Math.min(e, hitRates.length - 1); k++) b = Math.max(b, hitRates[k]);
            return b;
        }

        /** The recipe to train on the full training set: this trial's, for its best epoch count. */
        public Recipe tunedRecipe() { return recipe.withEpochs(bestEpoch + 1); }
    }

    /** The outcome: every trial in order, and the best. */
    public record Result(List<Trial> trials, Trial best, double seconds) {
        public Recipe recipe() { return best.tunedRecipe(); }
    }

    /** Hears about trials as they run (the command line prints and logs through it). */
    public interface Listener {
        default void onTrialStart(int id, Recipe recipe) {}

        default void onEpoch(int id, EpochReport report) {}

        default void onTrialEnd(Trial trial) {}
    }

    private final NcfDataset validation;
    private final EngineProvider engine;
    private final Options options;
    private volatile Trainer current;
    private volatile boolean cancelled, outOfTime;

    /**
     * @param data a prepared dataset; only its validation view is trained and evaluated on
     */
    public Tuner(NcfDataset data, EngineProvider engine, Options options) {
        this.validation = ValidationSplit.of(data, options.seed());
        this.engine = Objects.requireNonNull(engine);
        this.options = options;
    }

    /** The validation view the trials use. */
    public NcfDataset validation() { return validation; }

    /** Stops the tune at the next step boundary (from any thread); {@link #run} returns the trials so far. */
    public void cancel() {
        cancelled = true;
        Trainer t = current;
        if (t != null) t.cancel();
    }

    /**
     * Runs trials until the budget or the trial count is spent.
     *
     * @throws IllegalStateException when no trial completed an epoch (the budget is too small for one)
     */
    public Result run(Listener listener) {
        long t0 = System.nanoTime();
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ncf-tune-budget");
            t.setDaemon(true);
            return t;
        });
        if (options.budget() != null)
            timer.schedule(() -> {
                outOfTime = true;
                Trainer t = current;
                if (t != null) t.cancel();
            }, options.budget().toNanos(), TimeUnit.NANOSECONDS);
        List<Trial> trials = new ArrayList<>();
        try {
            for (int id = 0; (options.maxTrials() == 0 || id < options.maxTrials()) && !outOfTime && !cancelled; id++) {
                Recipe recipe = options.space().draw(options.seed(), id);
                listener.onTrialStart(id, recipe);
                Trial t = trial(id, recipe, trials, listener);
                if (t.epochsRun() > 0) trials.add(t);
                listener.onTrialEnd(t);
            }
        } finally {
            timer.shutdownNow();
        }
        Trial best = null;
        for (Trial t : trials)
            if (t.bestEpoch() >= 0 && (best == null || t.bestHr() > best.bestHr() || t.bestHr() == best.bestHr() && t.bestNdcg() > best.bestNdcg()))
                best = t;
        if (best == null) throw new IllegalStateException("no trial completed an epoch within the budget; give a larger --budget");
        return new Result(List.copyOf(trials), best, (System.nanoTime() - t0) / 1e9);
    }

    private Trial trial(int id, Recipe recipe, List<Trial> earlier, Listener listener) {
        long seed = Seeds.mix(options.seed(), id);
        NeuMFConfig config = recipe.config(validation.numUsers(), validation.numItems());
        // the recipe's training settings for up to maxEpochs, evaluated after every epoch; the rest the defaults'
        TrainingOptions def = TrainingOptions.defaults();
        TrainingOptions opts = recipe.withEpochs(options.maxEpochs()).apply(new TrainingOptions(def.epochs(), def.batchSize(), def.negatives(),
                def.learningRate(), def.beta1(), def.beta2(), def.eps(), options.topK(), def.validUsersPerBatch(), 0, def.target(), false, seed,
                engine.defaultMicroBatch()));
        float[] init = recipe.start().parameters(validation, config, recipe.model(), seed, Runtime.getRuntime().availableProcessors(), null);
        // the trials' precision is a speed choice of this machine, not part of the recipe (ncf train chooses its own)
        LossScaler scaler = options.precision() == io.ncf.core.Precision.FP16 ? LossScaler.dynamicDefaults() : LossScaler.none();
        EngineSetup setup = new EngineSetup(validation, config, recipe.model(), opts, options.precision(), 1, scaler, EngineState.initial(config, init));
        List<EpochReport> reports = new ArrayList<>();
        String[] stop = {"max-epochs"};
        long t0 = System.nanoTime();
        try (TrainingEngine e = engine.open(setup)) {
            Trainer trainer = new Trainer(e, config, opts, List.of(new TrainingListener() {
                @Override public void onEpoch(EpochReport r) {
                    reports.add(r);
                    listener.onEpoch(id, r);
                }
            }));
            trainer.stopWhen(r -> {
                int best = bestEpoch(reports);
                if (r.epoch() - best >= options.patience()) {
                    stop[0] = "patience";
                    return true;
                }
                if (r.epoch() >= 2 && earlier.size() >= 3 && reports.get(best).hitRate() < median(earlier, r.epoch())) {
                    stop[0] = "median";
                    return true;
                }
                return false;
            });
            current = trainer;
            if (outOfTime || cancelled) trainer.cancel();
            try {
                trainer.train();
            } catch (TrainingCancelledException c) {
                stop[0] = cancelled ? "cancelled" : "budget";
            } catch (TrainingDivergedException d) {
                stop[0] = "diverged";
            } finally {
                current = null;
            }
        }
        double[] hr = reports.stream().mapToDouble(EpochReport::hitRate).toArray();
        double[] nd = reports.stream().mapToDouble(EpochReport::ndcg).toArray();
        return new Trial(id, recipe, seed, hr, nd, reports.isEmpty() ? -1 : bestEpoch(reports), (System.nanoTime() - t0) / 1e9, stop[0]);
    }

    /** The epoch of the best HR so far (the first on ties, as the training loop's best model). */
    private static int bestEpoch(List<EpochReport> reports) {
        int best = 0;
        for (int k = 1; k < reports.size(); k++) if (reports.get(k).hitRate() > reports.get(best).hitRate()) best = k;
        return best;
    }

    private static double median(List<Trial> trials, int epoch) {
        double[] v = trials.stream().mapToDouble(t -> t.bestHrUpTo(epoch)).sorted().toArray();
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }
}
