package io.ncf.train;

import io.ncf.data.DemoData;
import io.ncf.data.NcfDataset;
import io.ncf.core.NeuMFConfig;
import io.ncf.train.engine.TrainingEngine;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The trainer reports each epoch's steps and each evaluation's users, each ending at done == total. */
class TrainerProgressTest {

    @Test void epochsAndEvaluationsReportProgress() {
        NcfDataset ds = DemoData.generate(2);
        TrainingOptions o = TestRuns.withMicroBatch(TrainingOptions.defaults().withEpochs(2).withBatch(8192).withEvalAfter(1).withSeed(2), 4096);
        NeuMFConfig c = new NeuMFConfig(ds.numUsers(), ds.numItems(), 8, new int[]{16, 8}, 0f);
        List<String> updates = new ArrayList<>();
        try (TrainingEngine e = TestRuns.fused(ds, c, o)) {
            new Trainer(e, c, o, List.of()).progress((task, done, total) -> updates.add(task + " " + done + "/" + total)).train();
        }
        int steps = (int) ((Trainer.samplesPerEpoch(ds, o) + 8191) / 8192);
        assertTrue(updates.contains("epoch 0 1/" + steps), updates.toString());
        assertTrue(updates.contains("epoch 0 " + steps + "/" + steps), updates.toString());
        assertTrue(updates.contains("epoch 1 " + steps + "/" + steps), updates.toString());
        String evalDone = "evaluate " + ds.numUsers() + "/" + ds.numUsers();
        assertEquals(1, updates.stream().filter(evalDone::equals).count(), "one evaluation (epoch 1 only): " + updates);
        assertTrue(updates.indexOf(evalDone) > updates.indexOf("epoch 1 " + steps + "/" + steps), "evaluation after the epoch's steps");
    }
}
