package io.ncf.train;

import io.ncf.data.NcfDataset;
import io.ncf.data.NegativeSampler;
import io.ncf.data.Progress;
import io.ncf.data.TrainingSamples;
import io.ncf.eval.EvalResult;
import io.ncf.model.DropoutMask;
import io.ncf.model.GradientEngine;
import io.ncf.model.ModelKind;
import io.ncf.core.NeuMFConfig;
import io.ncf.model.ParamInit;
import io.ncf.model.ParamSet;
import io.ncf.train.engine.EngineProvider;
import io.ncf.train.engine.EngineRegistry;
import io.ncf.train.engine.EngineSetup;
import io.ncf.train.engine.EngineState;
import io.ncf.train.engine.Feature;
import io.ncf.train.engine.TrainingEngine;
import io.ncf.train.engine.UnknownEngineException;
import io.ncf.train.engine.UnsupportedFeatureException;
import io.ncf.train.host.HostTrainingEngine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static io.ncf.train.TestRuns.assertBitEqual;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The training-engine seam: the CPU engines are found in the registry, one step through the seam is the hand-made
 * step (kernel, Adam) bit for bit, an engine opened on another's snapshot continues as the original, and requests an
 * engine cannot serve are refused by name.
 */
class EngineSeamTest {

    static final NcfDataset DS = TestRuns.smallDemo(4, 300);
    static final NeuMFConfig C = new NeuMFConfig(DS.numUsers(), DS.numItems(), 8, new int[]{16, 8}, 0.2f);
    static final TrainingOptions O = TestRuns.withMicroBatch(TrainingOptions.defaults().withEpochs(3).withBatch(4096).withEvalAfter(0).withSeed(4), 1024);

    private static EngineSetup setup(ModelKind kind, boolean fp16, LossScaler scaler, EngineState initial) {
        return new EngineSetup(DS, C, kind, O, fp16, 1, scaler, initial);
    }

    // (1) the registry

    @Test void theRegistryListsTheCpuEnginesAndNamesTheKnownOnesForAnUnknownName() {
        List<String> names = EngineRegistry.names();
        assertTrue(names.containsAll(List.of("fused", "samediff")), names.toString());
        assertTrue(names.indexOf("fused") < names.indexOf("samediff"), "listed in order: " + names);
        assertEquals("fused", EngineRegistry.get("FUSED").name());
        assertEquals("samediff", EngineRegistry.get(" SameDiff ").name());
        for (EngineProvider p : EngineRegistry.providers()) {
            assertEquals(p.name(), EngineRegistry.get(p.name().toUpperCase(java.util.Locale.ROOT)).name());
            assertFalse(p.description().isBlank(), p.name());
            assertTrue(p.defaultMicroBatch() > 0, p.name());
        }
        assertTrue(EngineRegistry.get("fused").availability().available(), EngineRegistry.get("fused").availability().reason());
        assertTrue(EngineRegistry.get("samediff").availability().available(), EngineRegistry.get("samediff").availability().reason());

        UnknownEngineException ex = assertThrows(UnknownEngineException.class, () -> EngineRegistry.get("tpu"));
        assertEquals(names, ex.known());
        assertTrue(ex.getMessage().contains("'tpu'"), ex.getMessage());
        for (String n : names) assertTrue(ex.getMessage().contains(n), ex.getMessage());
        assertInstanceOf(IllegalArgumentException.class, ex, "a usage error");
    }

    // (2) one step through the seam = the hand-made step

    @Test void stepsThroughTheSeamAreTheHandMadeStepsBitForBit() {
        float[] init = ParamInit.nvidia(C, O.seed());
        int steps = 3;
        TrainingEngine.StepResult[] seam = new TrainingEngine.StepResult[steps];
        float[] seamParams;
        EngineState seamState;
        try (TrainingEngine e = TestRuns.open("fused", DS, C, ModelKind.NEUMF, O, LossScaler.none(), init)) {
            TrainingEngine.EpochShape shape = e.beginEpoch(0);
            assertEquals(Trainer.samplesPerEpoch(DS, O), shape.samples());
            assertEquals((int) ((shape.samples() + O.batchSize() - 1) / O.batchSize()), shape.steps());
            assertTrue(shape.steps() > steps, shape.toString());
            for (int s = 0; s < steps; s++) seam[s] = e.step(s, s);
            seamParams = e.parameters();
            seamState = e.snapshot();
        }

        // by hand: the epoch's samples, the kernel over micro-batches, the step protocol, Adam
        NegativeSampler sampler = new NegativeSampler(DS, O.negatives(), O.verifyNegatives(), O.seed());
        TrainingSamples samples = sampler.sample(0, sampler.newSamples());
        ParamSet p = ParamSet.fromFlat(C, init), g = p.zerosLike();
        try (GradientEngine k = EngineKind.FUSED.create(p, O.microBatch()); Adam adam = new Adam(O.adam(), p)) {
            k.promiseWholeSteps(); // as the host engine does: each step in one call
            k.parametersChanged();
            for (int s = 0; s < steps; s++) {
                int from = s * O.batchSize(), count = O.batchSize();
                DropoutMask mask = DropoutMask.forStep(O.seed(), s, C.dropout());
                double loss = k.accumulateGradients(samples.users(), samples.items(), samples.labels(), from, count, 1f / count, mask, from, g);
                k.finishGradients(g);
                adam.step(p, g);
                k.parametersChanged();
                assertEquals(loss, seam[s].lossSum(), 0.0, "loss of step " + s);
                assertEquals(count, seam[s].samples());
                assertTrue(seam[s].applied());
            }
            assertBitEqual(p.toFlat(), seamParams, "parameters");
            assertBitEqual(adam.firstMoment().toFlat(), seamState.adamM(), "adam m");
            assertBitEqual(adam.secondMoment().toFlat(), seamState.adamV(), "adam v");
            assertEquals(adam.stepCount(), seamState.adamStep());
        }
        assertBitEqual(seamParams, seamState.params(), "snapshot parameters");
        assertEquals(C, seamState.config());
    }

    // (3) snapshot → a new engine → the same run

    /**
     * For the fused kernel the shape matters: epoch 0's last (partial) step has at least users + items samples here,
     * so an engine that ran it computes the next step's first layer FACTORED (FusedCpuEngine.FirstLayer.AUTO looks at
     * the kernel's previous step) — the engine opened on the snapshot must compute that step the same way.
     */
    @ParameterizedTest
    @CsvSource({"fused, false", "fused, true", "samediff, true"})
    void anEngineOpenedOnASnapshotContinuesAsTheOriginal(String engine, boolean dynamicScale) {
        // the graph is slow on 2 cores: fewer users and one micro-batch per step for it
        boolean graph = engine.equals("samediff");
        NcfDataset ds = graph ? TestRuns.smallDemo(4, 100) : DS;
        NeuMFConfig c = new NeuMFConfig(ds.numUsers(), ds.numItems(), C.factors(), new int[]{16, 8}, C.dropout());
        TrainingOptions o = graph ? TestRuns.withMicroBatch(O, O.batchSize()) : O;
        LossScaler scalerA = dynamicScale ? LossScaler.dynamic(1024, 5, 1) : LossScaler.none();
        LossScaler scalerB = dynamicScale ? LossScaler.dynamic(1024, 5, 1) : LossScaler.none();
        EngineProvider provider = EngineRegistry.get(engine);
        try (TrainingEngine a = provider.open(new EngineSetup(ds, c, ModelKind.NEUMF, o, false, 1, scalerA, EngineState.initial(c, ParamInit.nvidia(c, o.seed()))))) {
            long step = TestRuns.runEpoch(a, 0, 0);
            EngineState s = a.snapshot();
            assertTrue(s.hasMoments());
            assertEquals(step, s.adamStep());
            if (dynamicScale) assertTrue(s.lossScale() > 1024f, "the dynamic scale grew in epoch 0: " + s.lossScale());
            else assertFalse(s.hasLossScale(), "no scaling: no scale recorded");
            float[] paramsAtSnapshot = s.params().clone();
            try (TrainingEngine b = provider.open(new EngineSetup(ds, c, ModelKind.NEUMF, o, false, 1, scalerB, s))) {
                assertBitEqual(a.parameters(), b.parameters(), "parameters after opening");
                for (int epoch = 1; epoch <= 2; epoch++) {
                    long stepA = TestRuns.runEpoch(a, epoch, step);
                    long stepB = TestRuns.runEpoch(b, epoch, step);
                    assertEquals(stepA, stepB);
                    step = stepA;
                    EngineState sa = a.snapshot(), sb = b.snapshot();
                    assertBitEqual(sa.params(), sb.params(), engine + " parameters after epoch " + epoch);
                    assertBitEqual(sa.adamM(), sb.adamM(), engine + " adam m after epoch " + epoch);
                    assertBitEqual(sa.adamV(), sb.adamV(), engine + " adam v after epoch " + epoch);
                    assertEquals(sa.adamStep(), sb.adamStep());
                    assertEquals(sa.lossScale(), sb.lossScale(), "loss scale after epoch " + epoch);
                    assertEquals(sa.lossScaleGoodSteps(), sb.lossScaleGoodSteps());
                }
                assertTrue(TestRuns.maxAbsDiff(paramsAtSnapshot, b.parameters()) > 0, "the continued engine trained");
                assertBitEqual(paramsAtSnapshot, s.params(), "a snapshot is a copy: later steps leave it alone");
                EvalResult ea = a.evaluate(Progress.NONE), eb = b.evaluate(Progress.NONE);
                assertEquals(ea.hitRate(), eb.hitRate());
                assertEquals(ea.ndcg(), eb.ndcg());
            }
        }
    }

    // (4) refusals

    @Test void sixteenBitPrecisionsAreFeaturesOfTheFusedEngineRefusedWhereTheMachineLacksTheHardware() {
        EngineProvider fused = EngineRegistry.get("fused");
        assertTrue(fused.unsupported(Feature.FP16).isEmpty());
        assertTrue(fused.unsupported(Feature.BF16).isEmpty());
        assertTrue(EngineRegistry.get("samediff").unsupported(Feature.FP16).isEmpty());
        assertTrue(EngineRegistry.get("samediff").unsupported(Feature.BF16).isPresent());
        // OpenBLAS has no 16-bit GEMM: a 16-bit run there would be no faster than FP32, so it is refused with the reason
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getenv(io.ncf.model.fused.HalfPrecision.ENV) == null, "NCF_HALF_FALLBACK is set");
        String before = io.ncf.core.blas.Blas.library();
        io.ncf.core.blas.Blas.select("openblas");
        try {
            for (io.ncf.core.Precision p : List.of(io.ncf.core.Precision.FP16, io.ncf.core.Precision.BF16)) {
                EngineSetup s = new EngineSetup(DS, C, ModelKind.NEUMF, O, p, 1, p.needsLossScaling() ? LossScaler.dynamicDefaults() : LossScaler.none(),
                        EngineState.initial(C, ParamInit.nvidia(C, 1)));
                UnsupportedFeatureException ex = assertThrows(UnsupportedFeatureException.class, () -> fused.open(s));
                assertEquals(p == io.ncf.core.Precision.FP16 ? Feature.FP16 : Feature.BF16, ex.feature());
                assertEquals("fused", ex.engine());
                assertTrue(ex.getMessage().contains(ex.feature().flags()) && ex.getMessage().contains("fused")
                        && ex.getMessage().contains("NCF_HALF_FALLBACK=allow"), ex.getMessage());
                assertTrue(ex.getMessage().contains("16-bit GEMM") || ex.getMessage().contains("AVX-512"), ex.getMessage());
            }
        } finally {
            io.ncf.core.blas.Blas.select(before);
        }
    }

    /** BF16 through the whole stack (the widened products where the CPU has no 16-bit hardware): it learns as FP32 does. */
    @Test void bf16TrainingLearnsAsFp32Does() {
        org.junit.jupiter.api.Assumptions.assumeTrue(io.ncf.core.blas.NativeKernels.trainingAvailable(),
                "skipped: ncf's AVX-512 kernels do not run here: " + io.ncf.core.blas.NativeKernels.status());
        NeuMFConfig c = new NeuMFConfig(DS.numUsers(), DS.numItems(), 16, new int[]{64, 64, 32, 16}, 0.2f);
        TrainingOptions o = TestRuns.withMicroBatch(TrainingOptions.defaults().withEpochs(6).withBatch(2048).withEvalAfter(0).withSeed(5), 1024);
        double[] best = new double[2];
        System.setProperty(io.ncf.model.fused.HalfPrecision.PROPERTY, "allow");
        try {
            for (io.ncf.core.Precision p : List.of(io.ncf.core.Precision.FP32, io.ncf.core.Precision.BF16)) {
                EngineSetup s = new EngineSetup(DS, c, ModelKind.NEUMF, o, p, 1, LossScaler.none(), EngineState.initial(c, ParamInit.nvidia(c, 5)));
                try (TrainingEngine e = EngineRegistry.get("fused").open(s)) {
                    assertTrue(e.describe().contains(p == io.ncf.core.Precision.FP32 ? "FP32" : "BF16 products"), e.describe());
                    best[p == io.ncf.core.Precision.FP32 ? 0 : 1] = TestRuns.train(e, c, o).bestHitRate();
                }
            }
        } finally {
            System.clearProperty(io.ncf.model.fused.HalfPrecision.PROPERTY);
        }
        double pop = io.ncf.eval.RankingProtocols.sampled(DS, io.ncf.eval.RankingProtocols.popularity(DS), new int[]{10}).hitRate(10);
        assertTrue(best[0] > pop + 0.05, "FP32 learns: best HR " + best[0] + " against popularity " + pop);
        assertEquals(best[0], best[1], 0.03, "BF16 best HR against FP32's");
    }

    @Test void aSetupForAnotherModelOrDatasetIsRefused() {
        NeuMFConfig other = new NeuMFConfig(DS.numUsers(), DS.numItems(), 4, new int[]{16, 8}, 0.2f);
        var ex = assertThrows(IllegalArgumentException.class, () -> setup(ModelKind.NEUMF, false, LossScaler.none(), EngineState.initial(other, ParamInit.nvidia(other, 1))));
        assertTrue(ex.getMessage().contains("initial state"), ex.getMessage());
        NeuMFConfig bigger = new NeuMFConfig(DS.numUsers() + 1, DS.numItems(), 8, new int[]{16, 8}, 0.2f);
        ex = assertThrows(IllegalArgumentException.class, () -> new EngineSetup(DS, bigger, ModelKind.NEUMF, O, false, 1, LossScaler.none(),
                EngineState.initial(bigger, ParamInit.nvidia(bigger, 1))));
        assertTrue(ex.getMessage().contains("dataset has"), ex.getMessage());
        // a state saved with another dropout rate is the same model
        EngineState noDropout = EngineState.initial(C.withDropout(0f), ParamInit.nvidia(C, 1));
        assertDoesNotThrow(() -> setup(ModelKind.NEUMF, false, LossScaler.none(), noDropout));
    }

    // (5) a model variant through the seam (ModelVariantTrainingTest trains every variant through the Trainer)

    @Test void gmfThroughTheSeamLeavesItsFrozenRangesUntouched() {
        float[] init = ModelKind.GMF.shape(ParamInit.nvidia(C, 2), C);
        List<long[]> frozen = ModelKind.GMF.frozenRanges(C);
        assertFalse(frozen.isEmpty());
        float[] after, m;
        try (TrainingEngine e = TestRuns.open("fused", DS, C, ModelKind.GMF, O, LossScaler.none(), init)) {
            assertInstanceOf(HostTrainingEngine.class, e);
            TestRuns.runEpoch(e, 0, 0);
            after = e.parameters();
            m = e.snapshot().adamM();
        }
        boolean[] isFrozen = new boolean[init.length];
        for (long[] r : frozen) for (long k = r[0]; k < r[0] + r[1]; k++) isFrozen[(int) k] = true;
        long changed = 0, trainable = 0;
        for (int k = 0; k < init.length; k++) {
            if (isFrozen[k]) {
                assertEquals(Float.floatToRawIntBits(init[k]), Float.floatToRawIntBits(after[k]), "frozen entry " + k + " changed");
                assertEquals(0f, m[k], "Adam moment of frozen entry " + k);
            } else {
                trainable++;
                if (init[k] != after[k]) changed++;
            }
        }
        assertTrue(changed > 0.5 * trainable, "only " + changed + " of " + trainable + " trainable entries changed");
    }
}
