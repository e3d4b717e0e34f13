package io.ncf.train;

import io.ncf.data.DemoData;
import io.ncf.data.NcfDataset;
import io.ncf.model.DropoutMask;
import io.ncf.model.NeuMFConfig;
import io.ncf.model.ParamSet;
import io.ncf.model.TrainingEngine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** A run continued from a saved state ends where the uninterrupted run ends; a diverged run keeps its last state. */
class ResumeTest {

    @TempDir Path tmp;

    static final NcfDataset DS = DemoData.generate(3);
    static final NeuMFConfig C = new NeuMFConfig(DS.numUsers(), DS.numItems(), 8, new int[]{16, 8}, 0.5f);
    static final TrainingOptions O = TrainingOptions.defaults().withEpochs(3).withBatch(8192).withEvalAfter(0).withSeed(11);

    private static ParamSet train(TrainingEngine e, TrainingState resume, Path stateDir) {
        try (Trainer t = new Trainer(DS, e, O, List.of(), resume)) {
            if (stateDir != null) t.onEpochState(s -> TrainingStateFile.write(stateDir, s, O, Map.of("data", "demo")));
            t.train();
        }
        return e.params();
    }

    @Test void resumingFromEveryEpochGivesTheUninterruptedParametersBitForBit() {
        ParamSet full;
        Path dir = tmp.resolve("full");
        try (TrainingEngine e = EngineKind.FUSED.create(ParamSet.initialize(C, 11), 4096)) {
            full = train(e, null, dir).copy();
        }
        TrainingStateFile.Loaded end = TrainingStateFile.read(dir);
        assertEquals(3, end.state().nextEpoch());
        assertEquals(O, end.options());
        assertBitEqual(full, end.state().params());

        // stop after epoch 1 (state saved then), resume in a fresh engine from the file
        Path part = tmp.resolve("part");
        try (TrainingEngine e = EngineKind.FUSED.create(ParamSet.initialize(C, 11), 4096);
             Trainer t = new Trainer(DS, e, O.withEpochs(1), List.of())) {
            t.onEpochState(s -> TrainingStateFile.write(part, s, O, Map.of()));
            t.train();
        }
        TrainingStateFile.Loaded l = TrainingStateFile.read(part);
        assertEquals(1, l.state().nextEpoch());
        assertEquals(l.state().globalStep(), l.state().adamStep());
        ParamSet resumed;
        try (TrainingEngine e = EngineKind.FUSED.create(l.state().params(), 4096)) {
            resumed = train(e, l.state(), part);
        }
        assertBitEqual(full, resumed);
        TrainingStateFile.Loaded after = TrainingStateFile.read(part);
        assertEquals(end.state().bestEpoch(), after.state().bestEpoch());
        assertEquals(end.state().bestHr(), after.state().bestHr());
        assertBitEqual(end.state().adamM(), after.state().adamM());
        assertBitEqual(end.state().adamV(), after.state().adamV());
    }

    @Test void aNonFiniteLossStopsTrainingAndKeepsTheLastGoodState() {
        Path dir = tmp.resolve("nan");
        try (TrainingEngine real = EngineKind.FUSED.create(ParamSet.initialize(C, 11), 4096)) {
            TrainingEngine poisoned = new PoisonedEngine(real, 2 * stepsPerEpoch() + 3);
            TrainingDivergedException ex = assertThrows(TrainingDivergedException.class, () -> train(poisoned, null, dir));
            assertTrue(ex.getMessage().contains("epoch 2") && ex.getMessage().contains("NaN"), ex.getMessage());
        }
        TrainingStateFile.Loaded l = TrainingStateFile.read(dir);
        assertEquals(2, l.state().nextEpoch(), "the state of the last completed epoch stays");
        assertTrue(l.state().params().allFinite());
    }

    @Test void aTruncatedOrForeignStateIsRefusedWithAMessage() throws Exception {
        Path dir = tmp.resolve("t");
        try (TrainingEngine e = EngineKind.FUSED.create(ParamSet.initialize(C, 11), 4096);
             Trainer t = new Trainer(DS, e, O.withEpochs(1), List.of())) {
            t.onEpochState(s -> TrainingStateFile.write(dir, s, O, Map.of()));
            t.train();
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

    static void assertBitEqual(ParamSet a, ParamSet b) {
        for (String n : a.names()) {
            INDArray x = a.get(n), y = b.get(n);
            float[] xs = x.data().asFloat(), ys = y.data().asFloat();
            assertEquals(xs.length, ys.length, n);
            for (int i = 0; i < xs.length; i++)
                if (Float.floatToRawIntBits(xs[i]) != Float.floatToRawIntBits(ys[i]))
                    fail(n + "[" + i + "]: " + xs[i] + " vs " + ys[i]);
        }
    }

    /** Delegates to a real engine but reports a NaN loss at one global step (as an overflowing model would). */
    private static final class PoisonedEngine implements TrainingEngine {
        private final TrainingEngine real;
        private final long poisonAt;
        private long calls;

        PoisonedEngine(TrainingEngine real, long poisonAt) { this.real = real; this.poisonAt = poisonAt; }

        @Override public NeuMFConfig config() { return real.config(); }
        @Override public ParamSet params() { return real.params(); }
        @Override public int microBatchSize() { return real.microBatchSize(); }
        @Override public double accumulateGradients(int[] users, int[] items, float[] labels, int from, int count, float weight,
                                                    DropoutMask dropout, long samplePosition, ParamSet grads) {
            double l = real.accumulateGradients(users, items, labels, from, count, weight, dropout, samplePosition, grads);
            return calls++ == poisonAt ? Double.NaN : l;
        }
        @Override public void score(int[] users, int[] items, int count, float[] out) { real.score(users, items, count, out); }
    }
}
