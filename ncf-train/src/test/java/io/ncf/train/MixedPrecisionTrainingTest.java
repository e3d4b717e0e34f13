package io.ncf.train;

import io.ncf.data.DemoData;
import io.ncf.data.NcfDataset;
import io.ncf.eval.Evaluator;
import io.ncf.eval.PopularityScorer;
import io.ncf.model.DropoutMask;
import io.ncf.core.NeuMFConfig;
import io.ncf.model.ParamSet;
import io.ncf.model.GradientEngine;
import io.ncf.model.ParamInit;
import io.ncf.model.samediff.SameDiffEngine;
import io.ncf.train.engine.TrainingEngine;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Loss scaling inside the real training loop (the host engine's step under the Trainer), and HALF training against FLOAT on the demo data (tiny model: HALF is slow on CPU). */
class MixedPrecisionTrainingTest {

    private static final NcfDataset DEMO = DemoData.generate(5);
    private static final NeuMFConfig SMALL = new NeuMFConfig(DEMO.numUsers(), DEMO.numItems(), 8, new int[]{16, 16, 8}, 0f);

    /** Adds an inf to one gradient on the given call, as a HALF overflow would. */
    static final class OverflowAt implements GradientEngine {
        final GradientEngine inner;
        final int badCall;
        int calls;

        OverflowAt(GradientEngine inner, int badCall) { this.inner = inner; this.badCall = badCall; }

        @Override public io.ncf.core.NeuMFConfig config() { return inner.config(); }
        @Override public ParamSet params() { return inner.params(); }
        @Override public int microBatchSize() { return inner.microBatchSize(); }
        @Override public void score(int[] u, int[] i, int n, float[] out) { inner.score(u, i, n, out); }
        @Override public void finishGradients(ParamSet grads) { inner.finishGradients(grads); }
        @Override public void parametersChanged() { inner.parametersChanged(); }
        @Override public void close() { inner.close(); }

        @Override public double accumulateGradients(int[] users, int[] items, float[] labels, int from, int count, float weight,
                                                    DropoutMask dropout, long pos, ParamSet grads) {
            double l = inner.accumulateGradients(users, items, labels, from, count, weight, dropout, pos, grads);
            if (calls++ == badCall) grads.get(ParamSet.denseWeight(1)).putScalar(3, Float.POSITIVE_INFINITY);
            return l;
        }
    }

    @Test void anInjectedOverflowSkipsExactlyThatStepAndLeavesTheParametersUntouched() {
        int bad = 5;
        TrainingOptions o = TestRuns.withMicroBatch(TrainingOptions.defaults().withEpochs(1).withBatch(8192).withEvalAfter(0).withSeed(3), 4096);
        List<float[]> after = new ArrayList<>();
        LossScaler scaler = LossScaler.dynamic(32768, 2000, 1);
        try (TrainingEngine e = TestRuns.host(DEMO, SMALL, o, false, scaler, ParamInit.nvidia(SMALL, 3),
                p -> new OverflowAt(EngineKind.FUSED.create(p, 4096), bad))) {
            new Trainer(e, SMALL, o, List.of(new TrainingListener() {
                @Override public void onStep(int epoch, int step, int steps, double loss) { after.add(e.parameters()); }
            })).train();
            assertEquals(after.size() - 1, e.snapshot().adamStep(), "Adam stepped on every step but the overflowing one");
            assertSame(scaler, e.lossScaler());
        }
        assertTrue(after.size() > bad + 2);
        assertEquals(1, scaler.skippedTotal());
        assertEquals(16384f, scaler.lossScale(), "halved once");
        assertTrue(TestRuns.maxAbsDiff(after.get(bad - 1), after.get(bad)) == 0.0, "parameters untouched by the skipped step");
        assertTrue(TestRuns.maxAbsDiff(after.get(bad - 2), after.get(bad - 1)) > 0, "the step before did update them");
        assertTrue(TestRuns.maxAbsDiff(after.get(bad), after.get(bad + 1)) > 0, "training resumes after the skipped step");
        assertTrue(TestRuns.allFinite(after.get(after.size() - 1)));
    }

    /** Minutes on 2 shared cores (HALF on CPU): e2e. */
    @Tag("e2e")
    @Test void fp16TrainingMatchesFp32HitRate() {
        double fp32 = trainHr(DataType.FLOAT, LossScaler.none());
        LossScaler scaler = LossScaler.dynamicDefaults();
        double fp16 = trainHr(DataType.HALF, scaler);
        double pop = new Evaluator(DEMO.candidates(), DEMO.numItems(), 10, 1000).evaluate(new PopularityScorer(DEMO.numItems(), DEMO.trainItems())).hitRate();
        System.out.printf("demo HR@10: FP32 %.4f, FP16 %.4f (loss scale %.0f, %d skipped), popularity %.4f%n", fp32, fp16, scaler.lossScale(), scaler.skippedTotal(), pop);
        assertTrue(fp32 > pop + 0.05, "FP32 learned something: " + fp32 + " vs popularity " + pop);
        assertEquals(fp32, fp16, 0.02, "FP16 HR@10 within 0.02 of FP32");
    }

    /** Feeds the kernel one fixed batch whatever the engine's samples are: the engine's steps then fit that batch. */
    static final class FixedBatch implements GradientEngine {
        final GradientEngine inner;
        final int[] u, it;
        final float[] y;

        FixedBatch(GradientEngine inner, int[] u, int[] it, float[] y) { this.inner = inner; this.u = u; this.it = it; this.y = y; }

        @Override public io.ncf.core.NeuMFConfig config() { return inner.config(); }
        @Override public ParamSet params() { return inner.params(); }
        @Override public int microBatchSize() { return inner.microBatchSize(); }
        @Override public void score(int[] us, int[] is, int n, float[] out) { inner.score(us, is, n, out); }
        @Override public void finishGradients(ParamSet grads) { inner.finishGradients(grads); }
        @Override public void parametersChanged() { inner.parametersChanged(); }
        @Override public void close() { inner.close(); }

        @Override public double accumulateGradients(int[] users, int[] items, float[] labels, int from, int count, float weight,
                                                    DropoutMask dropout, long pos, ParamSet grads) {
            if (count != u.length) throw new IllegalStateException("the engine's batch is " + count + ", the fixed one " + u.length);
            return inner.accumulateGradients(u, it, y, 0, u.length, weight, dropout, 0, grads);
        }
    }

    /**
     * The fast form: the host engine's step (scale through the loss weight, check, skip or unscale, Adam) in HALF on
     * one repeated batch.
     */
    @Test void aHugeInitialScaleRecoversAndFitsABatch() {
        LossScaler scaler = LossScaler.dynamic(0x1p32f, 2000, 1);
        int n = 2048;
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(9);
        int[] u = new int[n], it = new int[n];
        float[] y = new float[n];
        for (int k = 0; k < n; k++) { u[k] = rnd.nextInt(SMALL.numUsers()); it[k] = rnd.nextInt(SMALL.numItems()); y[k] = rnd.nextInt(3) == 0 ? 1 : 0; }
        TrainingOptions o = TestRuns.withMicroBatch(TestRuns.withAdam(TrainingOptions.defaults().withEpochs(1).withBatch(n).withSeed(9),
                0.01f, 0.9f, 0.999f, 1e-8f), n);
        double first = Double.NaN, last = Double.NaN;
        int taken = 0;
        float[] params;
        try (TrainingEngine e = TestRuns.host(DEMO, SMALL, o, true, scaler, ParamInit.nvidia(SMALL, 9),
                p -> new FixedBatch(new SameDiffEngine(p, n, DataType.HALF).gcAfterChunk(false), u, it, y))) {
            assertTrue(e.beginEpoch(0).steps() >= 30);
            for (int step = 0; step < 30; step++) {
                TrainingEngine.StepResult r = e.step(step, step);
                assertEquals(n, r.samples());
                double l = r.lossSum() / n;
                if (step == 0) first = l;
                last = l;
                if (r.applied()) taken++;
            }
            params = e.parameters();
            assertEquals(taken, e.snapshot().adamStep());
        }
        System.out.printf("start 2^32 (fast): scale now %.0f, %d skipped, %d taken; loss %.4f -> %.4f%n", scaler.lossScale(), scaler.skippedTotal(), taken, first, last);
        assertTrue(scaler.skippedTotal() >= 1, "2^32 overflows HALF");
        assertEquals(30 - taken, scaler.skippedTotal());
        assertTrue(scaler.lossScale() < 0x1p32f && scaler.lossScale() >= 1);
        assertTrue(taken >= 15, "most steps taken once the scale recovered: " + taken);
        assertTrue(TestRuns.allFinite(params));
        assertTrue(last < first - 0.05, "loss falls after recovery: " + first + " -> " + last);
    }

    /** The same through the whole Trainer on the demo data; minutes in HALF on CPU: e2e. */
    @Tag("e2e")
    @Test void aHugeInitialScaleRecoversAndTrains() {
        LossScaler scaler = LossScaler.dynamic(0x1p32f, 2000, 1);
        List<EpochReport> epochs = new ArrayList<>();
        TrainingOptions o = TestRuns.withMicroBatch(TrainingOptions.defaults().withEpochs(2).withBatch(8192).withEvalAfter(1).withSeed(4), 8192);
        try (TrainingEngine e = TestRuns.host(DEMO, SMALL, o, true, scaler, ParamInit.nvidia(SMALL, 4),
                p -> new SameDiffEngine(p, 8192, DataType.HALF).gcAfterChunk(false))) {
            new Trainer(e, SMALL, o, List.of(new TrainingListener() {
                @Override public void onEpoch(EpochReport r) { epochs.add(r); }
            })).train();
            assertTrue(TestRuns.allFinite(e.parameters()));
            assertTrue(e.snapshot().adamStep() > 0);
        }
        System.out.printf("start 2^32: now %.0f after %d skipped of %d steps; losses %s%n", scaler.lossScale(), scaler.skippedTotal(), scaler.steps(), epochs);
        assertTrue(scaler.skippedTotal() >= 1, "2^32 overflows HALF");
        assertTrue(scaler.lossScale() < 0x1p32f && scaler.lossScale() >= 1);
        assertTrue(epochs.get(1).loss() < epochs.get(0).loss(), "loss decreases after recovery: " + epochs);
        assertTrue(epochs.get(1).loss() < Math.log(2) * 0.9, "trains well below chance loss: " + epochs.get(1).loss());
    }

    private static double trainHr(DataType type, LossScaler scaler) {
        TrainingOptions o = TestRuns.withMicroBatch(TrainingOptions.defaults().withEpochs(3).withBatch(8192).withEvalAfter(2).withSeed(5), 8192);
        try (TrainingEngine e = TestRuns.host(DEMO, SMALL, o, type == DataType.HALF, scaler, ParamInit.nvidia(SMALL, 5),
                p -> new SameDiffEngine(p, 8192, type).gcAfterChunk(false))) {
            return new Trainer(e, SMALL, o, List.of()).train().bestHitRate();
        }
    }

    static double maxAbsDiff(ParamSet a, ParamSet b) {
        double m = 0;
        for (String n : a.names()) m = Math.max(m, a.get(n).sub(b.get(n)).amaxNumber().doubleValue());
        return m;
    }
}
