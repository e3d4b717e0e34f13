package io.ncf.train.host;

import io.ncf.data.NegativeSampler;
import io.ncf.data.Progress;
import io.ncf.data.TrainingSamples;
import io.ncf.eval.EvalResult;
import io.ncf.eval.Evaluator;
import io.ncf.model.DropoutMask;
import io.ncf.model.GradientEngine;
import io.ncf.model.ModelKind;
import io.ncf.model.ParamSet;
import io.ncf.train.Adam;
import io.ncf.train.LossScaler;
import io.ncf.train.TrainingDivergedException;
import io.ncf.train.TrainingOptions;
import io.ncf.train.engine.EngineSetup;
import io.ncf.train.engine.EngineState;
import io.ncf.train.engine.TrainingEngine;

import java.util.function.Function;

/**
 * A training engine whose parameters live in host memory (the CPU engines): a {@link GradientEngine} kernel (fused
 * or SameDiff, possibly data-parallel) computes each step's gradients over micro-batches, then loss scaling and
 * {@link Adam} run here on the same host buffers. Each epoch's samples come from {@link NegativeSampler} (a function
 * of seed and epoch, checked against the user's positives with {@code verifyNegatives}); the last partial batch of
 * an epoch is a step of its own.
 */
public final class HostTrainingEngine implements TrainingEngine {

    private final String description;
    private final GradientEngine kernel;
    private final ParamSet params, grads;
    private final Adam adam;
    private final LossScaler scaler;
    private final ModelKind kind;
    private final TrainingOptions options;
    private final NegativeSampler sampler;
    private final TrainingSamples samples;
    private final Evaluator evaluator;
    private final float dropout;
    private final WeightDecay decay;
    private int epoch = -1;

    /**
     * @param kernel makes the gradient kernel over the given parameters (which it must compute with in place)
     */
    public HostTrainingEngine(String description, EngineSetup s, Function<ParamSet, GradientEngine> kernel) {
        EngineState st = s.initial();
        this.params = ParamSet.fromFlat(s.config(), st.params());
        this.options = s.options();
        this.kind = s.kind();
        this.scaler = s.restoredLossScaler();
        this.adam = st.hasMoments()
                ? new Adam(options.adam(), ParamSet.fromFlat(s.config(), st.adamM()), ParamSet.fromFlat(s.config(), st.adamV()), st.adamStep())
                : new Adam(options.adam(), params);
        GradientEngine k = null;
        try {
            k = kernel.apply(params);
            k.promiseWholeSteps(); // step() passes each step in one call: a fresh kernel then computes as a long-running one
            this.grads = params.zerosLike();
            this.sampler = new NegativeSampler(s.data(), options.negatives(), options.verifyNegatives(), options.seed());
            this.samples = sampler.newSamples();
            this.evaluator = new Evaluator(s.data().candidates(), s.data().numItems(), options.topK(), options.validUsersPerBatch());
        } catch (RuntimeException | Error e) {
            if (k != null) k.close();
            adam.close();
            throw e;
        }
        this.kernel = k;
        this.dropout = s.config().dropout();
        this.decay = options.regularized() ? new WeightDecay(s.config(), s.kind(), options.embeddingL2(), options.weightL2()) : null;
        this.description = description;
        this.kernel.parametersChanged(); // initial or loaded parameters
    }

    @Override public String describe() { return description; }

    @Override public EpochShape beginEpoch(int e) {
        sampler.sample(e, samples);
        scaler.onEpochStart(e);
        this.epoch = e;
        int n = samples.size();
        return new EpochShape(n, (int) ((n + (long) options.batchSize() - 1) / options.batchSize()));
    }

    @Override public StepResult step(int step, long globalStep) {
        if (epoch < 0) throw new IllegalStateException("beginEpoch must be called before step");
        int n = samples.size();
        int from = step * options.batchSize();
        if (from < 0 || from >= n) throw new IllegalArgumentException("step " + step + " is outside epoch " + epoch);
        int count = Math.min(options.batchSize(), n - from);
        float scale = scaler.lossScale();
        DropoutMask mask = DropoutMask.forStep(options.seed(), globalStep, dropout);
        double loss = kernel.accumulateGradients(samples.users(), samples.items(), samples.labels(), from, count, scale / count, mask, from, grads);
        if (!Double.isFinite(loss))
            throw new TrainingDivergedException("training loss became " + loss + " in epoch " + epoch + ", step " + step
                    + "; lower learningRate. The best checkpoint so far is kept.");
        kernel.finishGradients(grads);
        kind.zeroFrozen(grads); // a zero gradient leaves Adam's moments at 0 and the entry exactly unchanged
        boolean apply = scaler.isActive() ? scaler.update(allFinite(grads)) : true;
        if (apply) {
            if (scaler.isActive() && scale != 1f) for (var a : grads.arrays()) a.muli(1f / scale);
            if (decay != null) decay.apply(params, samples.users(), samples.items(), from, count, options.learningRate());
            if (options.optimizer() == io.ncf.train.Optimizer.SGD) sgd(params, grads, options.learningRate());
            else adam.step(params, grads); // also zeroes grads for the next step
            kernel.parametersChanged();
        } else {
            grads.clear();
        }
        return new StepResult(loss, count, apply);
    }

    @Override public EvalResult evaluate(Progress progress) { return evaluator.evaluate(kernel, Progress.orNone(progress)); }

    @Override public float[] parameters() { return params.toFlat(); }

    @Override public EngineState snapshot() {
        return EngineState.of(params.config(), params.toFlat(), adam.firstMoment().toFlat(), adam.secondMoment().toFlat(), adam.stepCount(), scaler);
    }

    @Override public LossScaler lossScaler() { return scaler; }

    /** The gradient kernel (tests, benchmarks). */
    public GradientEngine kernel() { return kernel; }

    @Override public void close() {
        try {
            kernel.close();
        } finally {
            adam.close();
        }
    }

    /** Plain SGD, {@code p ← p − lr·g}; leaves {@code grads} zeroed as Adam's step does. Adam's moments stay as they are. */
    private static void sgd(ParamSet params, ParamSet grads, float lr) {
        var ps = params.arrays();
        var gs = grads.arrays();
        for (int t = 0; t < ps.size(); t++) {
            ps.get(t).addi(gs.get(t).muli(-lr));
            gs.get(t).assign(0);
        }
    }

    /** The step's overflow check (ParamSet's one pass per array). */
    static boolean allFinite(ParamSet grads) { return grads.allFinite(); }
}
