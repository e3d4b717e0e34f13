package io.ncf.train.host;

import io.ncf.data.DemoData;
import io.ncf.data.NcfDataset;
import io.ncf.model.DropoutMask;
import io.ncf.model.GradientEngine;
import io.ncf.model.ModelKind;
import io.ncf.core.NeuMFConfig;
import io.ncf.model.ParamInit;
import io.ncf.model.ParamSet;
import io.ncf.train.Adam;
import io.ncf.train.LossScaler;
import io.ncf.train.TrainingDivergedException;
import io.ncf.train.TrainingOptions;
import io.ncf.train.engine.EngineSetup;
import io.ncf.train.engine.EngineState;
import io.ncf.train.engine.TrainingEngine;
import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The host engine's step around loss scaling: the finite check over every gradient array, unscaling before Adam, and a
 * skipped step that leaves the parameters, Adam and the next step's gradients untouched.
 */
class HostTrainingEngineTest {

    private static final NcfDataset DS = DemoData.generate(1);
    private static final NeuMFConfig C = new NeuMFConfig(DS.numUsers(), DS.numItems(), 4, new int[]{8, 4}, 0f);
    private static final TrainingOptions O = TrainingOptions.defaults().withEpochs(1).withBatch(4096).withSeed(1);
    private static final float G = 0.5f;

    /** Every gradient entry gets the (scaled) mean gradient {@link #G}; an inf on the given calls; records whether the gradients were zero on entry. */
    static final class ConstantGradients implements GradientEngine {
        final ParamSet params;
        final Set<Integer> overflowAt;
        final List<Boolean> zeroOnEntry = new ArrayList<>();
        int calls;

        ConstantGradients(ParamSet params, Set<Integer> overflowAt) { this.params = params; this.overflowAt = overflowAt; }

        @Override public NeuMFConfig config() { return params.config(); }
        @Override public ParamSet params() { return params; }
        @Override public int microBatchSize() { return 1 << 20; }
        @Override public void score(int[] u, int[] i, int n, float[] out) { java.util.Arrays.fill(out, 0, n, 0f); }

        @Override public double accumulateGradients(int[] users, int[] items, float[] labels, int from, int count, float weight,
                                                    DropoutMask dropout, long pos, ParamSet grads) {
            zeroOnEntry.add(allZero(grads));
            for (var a : grads.arrays()) a.addi(weight * count * G); // = lossScale * G, exactly (count and scale are powers of two)
            if (overflowAt.contains(calls++)) grads.get(ParamSet.denseWeight(0)).putScalar(1, Float.POSITIVE_INFINITY);
            return 0.5 * count;
        }
    }

    private static HostTrainingEngine open(LossScaler scaler, ConstantGradients[] kernel, Set<Integer> overflowAt) {
        EngineSetup s = new EngineSetup(DS, C, ModelKind.NEUMF, O, false, 1, scaler, EngineState.initial(C, ParamInit.nvidia(C, 1)));
        return new HostTrainingEngine("constant gradients", s, p -> kernel[0] = new ConstantGradients(p, overflowAt));
    }

    @Test void gradientsAreUnscaledBeforeAdamAndASkippedStepChangesNothing() {
        ConstantGradients[] k = new ConstantGradients[1];
        LossScaler scaler = LossScaler.dynamic(8, 1000, 1);
        // what Adam makes of the true (unscaled) gradient G
        ParamSet ref = ParamSet.fromFlat(C, ParamInit.nvidia(C, 1)), g = ref.zerosLike();
        float[] refM, refV;
        try (Adam adam = new Adam(O.adam(), ref)) {
            for (var a : g.arrays()) a.assign(G);
            adam.step(ref, g);
            refM = adam.firstMoment().toFlat();
            refV = adam.secondMoment().toFlat();
        }
        try (HostTrainingEngine e = open(scaler, k, Set.of(1))) {
            assertSame(k[0], e.kernel());
            assertThrows(IllegalStateException.class, () -> e.step(0, 0), "no step before beginEpoch");
            TrainingEngine.EpochShape shape = e.beginEpoch(0);
            assertTrue(shape.steps() >= 3, shape.toString());

            TrainingEngine.StepResult r0 = e.step(0, 0);
            assertTrue(r0.applied());
            assertEquals(4096, r0.samples());
            assertEquals(0.5 * 4096, r0.lossSum());
            EngineState s0 = e.snapshot();
            assertEquals(1, s0.adamStep());
            assertBitEqual(refM, s0.adamM(), "Adam's m saw the unscaled gradient");
            assertBitEqual(refV, s0.adamV(), "Adam's v saw the unscaled gradient");
            assertBitEqual(ref.toFlat(), s0.params(), "parameters");
            assertEquals(8f, s0.lossScale());
            assertEquals(1, s0.lossScaleGoodSteps());

            TrainingEngine.StepResult r1 = e.step(1, 1);
            assertFalse(r1.applied(), "the overflowing step is skipped");
            EngineState s1 = e.snapshot();
            assertBitEqual(s0.params(), s1.params(), "parameters untouched by the skipped step");
            assertBitEqual(s0.adamM(), s1.adamM(), "m untouched by the skipped step");
            assertBitEqual(s0.adamV(), s1.adamV(), "v untouched by the skipped step");
            assertEquals(1, s1.adamStep());
            assertEquals(4f, s1.lossScale(), "halved");
            assertEquals(0, s1.lossScaleGoodSteps());
            assertSame(scaler, e.lossScaler());
            assertEquals(1, scaler.skippedThisEpoch());

            assertTrue(e.step(2, 2).applied(), "training goes on after the skipped step");
            assertEquals(2, e.snapshot().adamStep());
            assertEquals(List.of(true, true, true), k[0].zeroOnEntry, "every step starts from zeroed gradients, the skipped one's discarded");

            e.beginEpoch(1);
            assertEquals(0, scaler.skippedThisEpoch(), "the engine starts the scaler's epoch");
            assertEquals(1, scaler.skippedTotal());
        }
    }

    @Test void aDynamicScaleBelowItsFloorStopsTheRun() {
        ConstantGradients[] k = new ConstantGradients[1];
        try (HostTrainingEngine e = open(LossScaler.dynamic(2, 1000, 1), k, Set.of(0, 1, 2, 3))) {
            e.beginEpoch(0);
            assertFalse(e.step(0, 0).applied()); // scale 1: at the floor
            TrainingDivergedException ex = assertThrows(TrainingDivergedException.class, () -> e.step(1, 1));
            assertTrue(ex.getMessage().contains("below lossScaleFloor 1"), ex.getMessage());
            assertEquals(0, e.snapshot().adamStep());
        }
    }

    @Test void finiteCheckSeesEveryArrayAndNegativeZeroIsFine() {
        NeuMFConfig tiny = new NeuMFConfig(5, 4, 2, new int[]{4, 4}, 0f);
        ParamSet g = ParamSet.zeros(tiny);
        for (var a : g.arrays()) a.assign(-0f);
        assertTrue(HostTrainingEngine.allFinite(g));
        g.get(ParamSet.denseBias(0)).putScalar(1, Float.NEGATIVE_INFINITY);
        assertFalse(HostTrainingEngine.allFinite(g));
        for (String n : g.names()) {
            ParamSet h = ParamSet.zeros(tiny);
            for (var a : h.arrays()) a.assign(2f);
            h.get(n).putScalar(h.get(n).length() - 1, Float.NaN);
            assertFalse(HostTrainingEngine.allFinite(h), "NaN in the last entry of " + n);
        }
    }

    private static boolean allZero(ParamSet grads) {
        for (var a : grads.arrays()) {
            FloatBuffer b = a.data().asNioFloat();
            for (int i = 0, n = (int) a.length(); i < n; i++) if (b.get(i) != 0f) return false;
        }
        return true;
    }

    private static void assertBitEqual(float[] a, float[] b, String what) {
        assertEquals(a.length, b.length, what);
        for (int i = 0; i < a.length; i++)
            if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) fail(what + "[" + i + "]: " + a[i] + " vs " + b[i]);
    }
}
