package io.ncf.train;

import io.ncf.data.DemoData;
import io.ncf.data.NcfDataset;
import io.ncf.data.Preprocessor;
import io.ncf.data.RawInteractions;
import io.ncf.model.GradientEngine;
import io.ncf.model.ModelKind;
import io.ncf.core.NeuMFConfig;
import io.ncf.model.ParamInit;
import io.ncf.model.ParamSet;
import io.ncf.train.engine.EngineRegistry;
import io.ncf.train.engine.EngineSetup;
import io.ncf.train.engine.EngineState;
import io.ncf.train.engine.TrainingEngine;
import io.ncf.train.host.HostTrainingEngine;

import java.util.List;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** Opens engines through the registry, as the command line does, for the loop's tests. */
final class TestRuns {

    private TestRuns() {}

    static TrainingEngine open(String engine, NcfDataset ds, NeuMFConfig c, ModelKind kind, TrainingOptions o, LossScaler scaler, float[] params) {
        return EngineRegistry.get(engine).open(new EngineSetup(ds, c, kind, o, false, 1, scaler, EngineState.initial(c, params)));
    }

    /** Continues from a saved engine state (NeuMF, FP32, one worker), as {@code --resume} does. */
    static TrainingEngine resume(String engine, NcfDataset ds, TrainingOptions o, LossScaler scaler, EngineState state) {
        return EngineRegistry.get(engine).open(new EngineSetup(ds, state.config(), ModelKind.NEUMF, o, false, 1, scaler, state));
    }

    /** A fresh NeuMF of {@code o}'s seed on the fused engine, plain FP32. */
    static TrainingEngine fused(NcfDataset ds, NeuMFConfig c, TrainingOptions o) {
        return open("fused", ds, c, ModelKind.NEUMF, o, LossScaler.none(), ParamInit.nvidia(c, o.seed()));
    }

    /**
     * A host engine (NeuMF, one worker) around a kernel of the test's making, e.g. a real kernel wrapped in a test
     * double that injects an overflow or a NaN loss.
     */
    static HostTrainingEngine host(NcfDataset ds, NeuMFConfig c, TrainingOptions o, boolean fp16, LossScaler scaler, float[] params,
                                   Function<ParamSet, GradientEngine> kernel) {
        return new HostTrainingEngine("test kernel", new EngineSetup(ds, c, ModelKind.NEUMF, o, fp16, 1, scaler, EngineState.initial(c, params)), kernel);
    }

    static TrainingSummary train(TrainingEngine e, NeuMFConfig c, TrainingOptions o, TrainingListener... listeners) {
        return new Trainer(e, c, o, List.of(listeners)).train();
    }

    /** {@code o} with another micro-batch (TrainingOptions has no wither for it). */
    static TrainingOptions withMicroBatch(TrainingOptions o, int microBatch) {
        return new TrainingOptions(o.epochs(), o.batchSize(), o.negatives(), o.learningRate(), o.beta1(), o.beta2(), o.eps(), o.topK(),
                o.validUsersPerBatch(), o.evalAfter(), o.target(), o.verifyNegatives(), o.seed(), microBatch, o.embeddingL2(), o.weightL2(), o.optimizer());
    }

    /** {@code o} with other Adam hyper-parameters. */
    static TrainingOptions withAdam(TrainingOptions o, float lr, float beta1, float beta2, float eps) {
        return new TrainingOptions(o.epochs(), o.batchSize(), o.negatives(), lr, beta1, beta2, eps, o.topK(),
                o.validUsersPerBatch(), o.evalAfter(), o.target(), o.verifyNegatives(), o.seed(), o.microBatch(), o.embeddingL2(), o.weightL2(), o.optimizer());
    }

    /** The demo data of the first {@code users} users only: the same structure, a fraction of the work per epoch. */
    static NcfDataset smallDemo(long seed, int users) {
        RawInteractions all = DemoData.raw(seed), some = new RawInteractions("demo-" + users, all.hasTimestamps());
        for (int r = 0; r < all.size(); r++)
            if (all.user(r) < users) some.add(all.userIds().id(all.user(r)), all.itemIds().id(all.item(r)), all.timestamp(r));
        return new Preprocessor(new Preprocessor.Options(20, 100, seed)).run(some);
    }

    /** Runs one whole epoch through the seam; returns the global step after it. */
    static long runEpoch(TrainingEngine e, int epoch, long globalStep) {
        TrainingEngine.EpochShape shape = e.beginEpoch(epoch);
        for (int s = 0; s < shape.steps(); s++) e.step(s, globalStep++);
        return globalStep;
    }

    static void assertBitEqual(float[] a, float[] b, String what) {
        assertEquals(a.length, b.length, what + ": lengths");
        for (int i = 0; i < a.length; i++)
            if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) fail(what + "[" + i + "]: " + a[i] + " vs " + b[i]);
    }

    static double maxAbsDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs((double) a[i] - b[i]));
        return m;
    }

    static boolean allFinite(float[] a) {
        for (float v : a) if (!Float.isFinite(v)) return false;
        return true;
    }
}
