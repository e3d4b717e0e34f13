package io.ncf.train;

import io.ncf.core.NeuMFConfig;
import io.ncf.data.NcfDataset;
import io.ncf.data.Progress;
import io.ncf.model.ModelKind;
import io.ncf.model.ParamInit;
import io.ncf.model.als.AlsModel;
import io.ncf.model.als.AlsStart;
import io.ncf.model.als.ImplicitAls;

import java.util.Locale;

/**
 * Where a run's parameters start: {@link Kind#RANDOM} (NVIDIA's initialisation, {@link ParamInit#nvidia}) or
 * {@link Kind#ALS}: the GMF branch from implicit ALS trained on the same training positives with rank = factors
 * ({@link AlsStart}), the rest random. Part of a {@link Recipe}, so {@code ncf tune} can choose it.
 *
 * @param alsReg        ALS regParam (MLlib's convention: scaled by each row's interactions)
 * @param alsAlpha      ALS confidence of an observed pair, {@code 1 + alpha}
 * @param alsIterations ALS alternations
 */
public record Start(Kind kind, float alsReg, float alsAlpha, int alsIterations) {

    public enum Kind {
        RANDOM, ALS;

        public String id() { return name().toLowerCase(Locale.ROOT); }

        public static Kind parse(String s) {
            for (Kind k : values()) if (k.id().equalsIgnoreCase(s.trim())) return k;
            throw new IllegalArgumentException("unknown start '" + s + "' (expected random or als)");
        }
    }

    /** ALS's settings when none are given: the best of the MLlib grid on ml-latest-small (regParam 1, alpha 10), 15 iterations. */
    public static final float DEFAULT_ALS_REG = 1f, DEFAULT_ALS_ALPHA = 10f;
    public static final int DEFAULT_ALS_ITERATIONS = 15;

    public Start {
        java.util.Objects.requireNonNull(kind, "kind");
        // ImplicitAls.Params checks the rest (rank 1 stands in for the model's factors)
        new ImplicitAls.Params(1, alsReg, alsAlpha, alsIterations, 0);
    }

    /** Whether a {@code model} can start this way: an ALS start sets the GMF branch, which an MLP lacks. */
    public boolean fits(ModelKind model) { return kind == Kind.RANDOM || model.hasGmf(); }

    /** @throws IllegalArgumentException where this start does not {@link #fits fit} {@code model} */
    public void requireFits(ModelKind model) {
        if (!fits(model)) throw new IllegalArgumentException("start " + kind.id() + " sets the GMF branch, which a " + model + " model does not have");
    }

    public static Start random() { return new Start(Kind.RANDOM, DEFAULT_ALS_REG, DEFAULT_ALS_ALPHA, DEFAULT_ALS_ITERATIONS); }

    public static Start als(float reg, float alpha) { return new Start(Kind.ALS, reg, alpha, DEFAULT_ALS_ITERATIONS); }

    /**
     * The starting parameters of a {@code model} of shape {@code config} trained on {@code data}'s training positives,
     * in {@link io.ncf.core.ParamShapes} order; everything random is a function of {@code seed}.
     *
     * @param progress the ALS iterations ({@link ImplicitAls#PROGRESS_TASK}), or null
     * @throws IllegalArgumentException for an ALS start of a model without a GMF branch (MLP)
     */
    public float[] parameters(NcfDataset data, NeuMFConfig config, ModelKind model, long seed, int threads, Progress progress) {
        requireFits(model);   // before ALS trains
        float[] init = model.shape(ParamInit.nvidia(config, seed), config);
        if (kind == Kind.RANDOM) return init;
        AlsModel als = ImplicitAls.train(data.numUsers(), data.numItems(), data.trainUsers(), data.trainItems(),
                new ImplicitAls.Params(config.factors(), alsReg, alsAlpha, alsIterations, seed), threads, progress);
        return AlsStart.initialize(als, AlsStart.calibrate(als, data.trainUsers(), data.trainItems(), seed), config, model, init);
    }

    /** One line, e.g. {@code als (regParam 1, alpha 10, 15 iterations)}. */
    public String describe() {
        return kind == Kind.RANDOM ? "random" : String.format(Locale.ROOT, "als (regParam %s, alpha %s, %d iterations)", Recipe.num(alsReg), Recipe.num(alsAlpha), alsIterations);
    }
}
