package io.ncf.train;

import io.ncf.data.NcfDataset;
import io.ncf.core.NeuMFConfig;
import io.ncf.train.engine.TrainingEngine;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.ncf.train.TestRuns.assertBitEqual;
import static org.junit.jupiter.api.Assertions.*;

/** {@link Trainer#cancel()} stops at the next step boundary; the last completed epoch's state is what a resumed run continues from. */
class TrainerCancelTest {

    static final NcfDataset DS = TestRuns.smallDemo(7, 400);
    static final NeuMFConfig C = new NeuMFConfig(DS.numUsers(), DS.numItems(), 8, new int[]{16, 8}, 0.2f);
    static final TrainingOptions O = TestRuns.withMicroBatch(TrainingOptions.defaults().withEpochs(3).withBatch(4096).withEvalAfter(0).withSeed(7), 4096);
    static final int CANCEL_AT_STEP = 2;

    @Test void cancelFromAListenerStopsAtTheNextStepAndKeepsTheLastCompletedEpoch() {
        int stepsPerEpoch = (int) ((Trainer.samplesPerEpoch(DS, O) + O.batchSize() - 1) / O.batchSize());
        assertTrue(stepsPerEpoch > CANCEL_AT_STEP + 1, "epochs of " + stepsPerEpoch + " steps");
        List<TrainingState> states = new ArrayList<>();
        List<EpochReport> epochs = new ArrayList<>();
        List<String> steps = new ArrayList<>();
        Trainer[] trainer = new Trainer[1];
        TrainingListener canceller = new TrainingListener() {
            @Override public void onStep(int epoch, int step, int stepsInEpoch, double meanLoss) {
                steps.add(epoch + "/" + step);
                if (epoch == 1 && step == CANCEL_AT_STEP) trainer[0].cancel();
            }
            @Override public void onEpoch(EpochReport r) { epochs.add(r); }
        };
        TrainingCancelledException ex;
        try (TrainingEngine e = TestRuns.fused(DS, C, O)) {
            trainer[0] = new Trainer(e, C, O, List.of(canceller)).onEpochState(states::add);
            assertFalse(trainer[0].isCancelled());
            ex = assertThrows(TrainingCancelledException.class, () -> trainer[0].train());
            assertTrue(trainer[0].isCancelled());
        }
        assertEquals(1, ex.epoch());
        assertEquals(CANCEL_AT_STEP + 1, ex.step(), "stopped before the step after the cancel");
        assertEquals(1, ex.completedEpochs());
        assertTrue(ex.getMessage().contains("epoch 1") && ex.getMessage().contains("1 epoch(s) completed"), ex.getMessage());
        assertEquals(stepsPerEpoch + CANCEL_AT_STEP + 1, steps.size(), "no step ran after the cancel: " + steps);
        assertEquals("1/" + CANCEL_AT_STEP, steps.get(steps.size() - 1));
        assertEquals(1, epochs.size(), "only epoch 0 was reported");
        assertEquals(1, states.size(), "the state sink saw epoch 0's state only");
        TrainingState s = states.get(0);
        assertEquals(1, s.nextEpoch());
        assertEquals(stepsPerEpoch, s.globalStep());
        assertEquals(stepsPerEpoch, s.adamStep());
        assertEquals(0, s.bestEpoch());

        // that state continues as the uninterrupted run
        float[] full, resumed;
        try (TrainingEngine e = TestRuns.fused(DS, C, O)) {
            TestRuns.train(e, C, O);
            full = e.parameters();
        }
        try (TrainingEngine e = TestRuns.resume("fused", DS, O, LossScaler.none(), s.engine())) {
            new Trainer(e, C, O, List.of(), s).train();
            resumed = e.parameters();
        }
        assertBitEqual(full, resumed, "resumed after cancel");
    }
}
