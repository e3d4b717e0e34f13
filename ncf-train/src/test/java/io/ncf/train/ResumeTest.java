package io.ncf.train;

import io.ncf.data.DemoData;
import io.ncf.data.NcfDataset;
import io.ncf.model.DropoutMask;
import io.ncf.model.GradientEngine;
import io.ncf.core.NeuMFConfig;
import io.ncf.model.ParamInit;
import io.ncf.model.ParamSet;
import io.ncf.train.engine.TrainingEngine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static io.ncf.train.TestRuns.assertBitEqual;
import static org.junit.jupiter.api.Assertions.*;

/** A run continued from a saved state ends where the uninterrupted run ends; a diverged run keeps its last state. */
class ResumeTest {

    @TempDir Path tmp;

    static final NcfDataset DS = DemoData.generate(3);
    static final NeuMFConfig C = new NeuMFConfig(DS.numUsers(), DS.numItems(), 8, new int[]{16, 8}, 0.5f);
    static final TrainingOptions O = TestRuns.withMicroBatch(TrainingOptions.defaults().withEpochs(3).withBatch(8192).withEvalAfter(0).withSeed(11), 4096);

    private static float[] train(TrainingEngine e, TrainingState resume, Path stateDir) {
        Trainer t = new Trainer(e, C, O, List.of(), resume);
        if (stateDir != null) t.onEpochState(s -> TrainingStateFile.write(stateDir, s, O, Map.of("data", "demo")));
        t.train();
        return e.parameters();
    }

    private static TrainingEngine fresh() { return TestRuns.open("fused", DS, C, io.ncf.model.ModelKind.NEUMF, O, LossScaler.none(), ParamInit.nvidia(C, 11)); }

    @Test void resumingFromEveryEpochGivesTheUninterruptedParametersBitForBit() {
        float[] full;
        Path dir = tmp.resolve("full");
        try (TrainingEngine e = fresh()) {
            full = train(e, null, dir);
        }
        TrainingStateFile.Loaded end = TrainingStateFile.read(dir);
        assertEquals(3, end.state().nextEpoch());
        assertEquals(O, end.options());
        assertEquals(Map.of("data", "demo"), end.run());
        assertEquals(C, end.state().engine().config());
        assertBitEqual(full, end.state().engine().params(), "params in the state file");

        // stop after epoch 1 (state saved then), resume in a fresh engine from the file
        Path part = tmp.resolve("part");
        try (TrainingEngine e = fresh()) {
            new Trainer(e, C, O.withEpochs(1), List.of()).onEpochState(s -> TrainingStateFile.write(part, s, O, Map.of())).train();
        }
        TrainingStateFile.Loaded l = TrainingStateFile.read(part);
        assertEquals(1, l.state().nextEpoch());
        assertEquals(l.state().globalStep(), l.state().adamStep());
        assertTrue(l.state().engine().hasMoments());
        float[] resumed;
        try (TrainingEngine e = TestRuns.resume("fused", DS, l.options(), LossScaler.none(), l.state().engine())) {
            resumed = train(e, l.state(), part);
        }
        assertBitEqual(full, resumed, "resumed params");
        TrainingStateFile.Loaded after = TrainingStateFile.read(part);
        assertEquals(end.state().bestEpoch(), after.state().bestEpoch());
        assertEquals(end.state().bestHr(), after.state().bestHr());
        assertEquals(end.state().globalStep(), after.state().globalStep());
        assertEquals(end.state().adamStep(), after.state().adamStep());
        assertBitEqual(end.state().engine().adamM(), after.state().engine().adamM(), "adam m");
        assertBitEqual(end.state().engine().adamV(), after.state().engine().adamV(), "adam v");
    }

    @Test void aNonFiniteLossStopsTrainingAndKeepsTheLastGoodState() {
        Path dir = tmp.resolve("nan");
        try (TrainingEngine poisoned = TestRuns.host(DS, C, O, false, LossScaler.none(), ParamInit.nvidia(C, 11),
                p -> new PoisonedEngine(EngineKind.FUSED.create(p, 4096), 2L * stepsPerEpoch() + 3))) {
            TrainingDivergedException ex = assertThrows(TrainingDivergedException.class, () -> train(poisoned, null, dir));
            assertTrue(ex.getMessage().contains("epoch 2") && ex.getMessage().contains("NaN"), ex.getMessage());
            assertTrue(ex.getMessage().contains("step 3"), ex.getMessage());
        }
        TrainingStateFile.Loaded l = TrainingStateFile.read(dir);
        assertEquals(2, l.state().nextEpoch(), "the state of the last completed epoch stays");
        assertEquals(2L * stepsPerEpoch(), l.state().globalStep());
        assertTrue(TestRuns.allFinite(l.state().engine().params()));
    }

    @Test void aTruncatedOrForeignStateIsRefusedWithAMessage() throws Exception {
        Path dir = tmp.resolve("t");
        try (TrainingEngine e = fresh()) {
            new Trainer(e, C, O.withEpochs(1), List.of()).onEpochState(s -> TrainingStateFile.write(dir, s, O, Map.of())).train();
        }
        Path f = TrainingStateFile.in(dir);
        byte[] b = Files.readAllBytes(f);
        Files.write(f, java.util.Arrays.copyOf(b, b.length / 2));
        var ex = assertThrows(java.io.UncheckedIOException.class, () -> TrainingStateFile.read(dir));
        assertTrue(ex.getMessage().contains(f.toString()), ex.getMessage());

        io.ncf.model.ModelIO.write(f, ParamSet.initialize(C, 1), Map.of());
        ex = assertThrows(java.io.UncheckedIOException.class, () -> TrainingStateFile.read(dir));
        assertTrue(ex.getMessage().contains("not a training state"), ex.getMessage());

        Files.delete(f);
        var usage = assertThrows(IllegalArgumentException.class, () -> TrainingStateFile.read(dir));
        assertTrue(usage.getMessage().contains("no state.ncf"), usage.getMessage());
    }

    private static int stepsPerEpoch() { return (int) ((Trainer.samplesPerEpoch(DS, O) + O.batchSize() - 1) / O.batchSize()); }

    /** Delegates to a real kernel but reports a NaN loss at one global step (as an overflowing model would). */
    private static final class PoisonedEngine implements GradientEngine {
        private final GradientEngine real;
        private final long poisonAt;
        private long calls;

        PoisonedEngine(GradientEngine real, long poisonAt) { this.real = real; this.poisonAt = poisonAt; }

        @Override public NeuMFConfig config() { return real.config(); }
        @Override public ParamSet params() { return real.params(); }
        @Override public int microBatchSize() { return real.microBatchSize(); }
        @Override public double accumulateGradients(int[] users, int[] items, float[] labels, int from, int count, float weight,
                                                    DropoutMask dropout, long samplePosition, ParamSet grads) {
            double l = real.accumulateGradients(users, items, labels, from, count, weight, dropout, samplePosition, grads);
            return calls++ == poisonAt ? Double.NaN : l;
        }
        @Override public void finishGradients(ParamSet grads) { real.finishGradients(grads); }
        @Override public void parametersChanged() { real.parametersChanged(); }
        @Override public void score(int[] users, int[] items, int count, float[] out) { real.score(users, items, count, out); }
        @Override public void close() { real.close(); }
    }
}
