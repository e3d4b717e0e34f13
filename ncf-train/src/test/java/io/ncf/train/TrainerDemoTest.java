package io.ncf.train;

import io.ncf.data.DemoData;
import io.ncf.data.NcfDataset;
import io.ncf.eval.EvalResult;
import io.ncf.eval.Evaluator;
import io.ncf.eval.PopularityScorer;
import io.ncf.core.NeuMFConfig;
import io.ncf.train.engine.TrainingEngine;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** NeuMF actually learns the demo data's planted structure, far beyond what item popularity explains. */
class TrainerDemoTest {

    @Test void neuMFBeatsPopularityByAWideMargin() {
        NcfDataset ds = DemoData.generate(5);
        TrainingOptions o = TestRuns.withMicroBatch(TrainingOptions.defaults().withEpochs(6).withBatch(4096).withEvalAfter(0).withSeed(5), 4096);
        NeuMFConfig c = NeuMFConfig.defaults(ds.numUsers(), ds.numItems());
        List<String> warnings = new ArrayList<>();
        List<EpochReport> epochs = new ArrayList<>();
        TrainingListener l = new TrainingListener() {
            @Override public void onWarning(String m) { warnings.add(m); }
            @Override public void onEpoch(EpochReport r) { epochs.add(r); }
        };
        TrainingSummary s;
        try (TrainingEngine e = TestRuns.fused(ds, c, o)) {
            s = TestRuns.train(e, c, o, l);
        }
        EvalResult pop = new Evaluator(ds.candidates(), ds.numItems(), 10, 1000).evaluate(new PopularityScorer(ds.numItems(), ds.trainItems()));
        assertTrue(warnings.isEmpty(), warnings.toString());
        assertEquals(6, epochs.size());
        assertTrue(epochs.get(5).loss() < epochs.get(0).loss(), "training loss decreases: " + epochs);
        assertTrue(s.bestHitRate() > pop.hitRate() + 0.15,
                "NeuMF HR@10 " + s.bestHitRate() + " should beat popularity's " + pop.hitRate() + " by a wide margin");
    }

    @Test void warnsWhenTheBatchIsLargerThanAnEpoch() {
        NcfDataset ds = DemoData.generate(5);
        TrainingOptions o = TestRuns.withMicroBatch(TrainingOptions.defaults().withEpochs(1).withSeed(1), 4096); // batch 1,048,576 > demo epoch
        NeuMFConfig c = NeuMFConfig.defaults(ds.numUsers(), ds.numItems());
        List<String> warnings = new ArrayList<>();
        try (TrainingEngine e = TestRuns.fused(ds, c, o)) {
            TestRuns.train(e, c, o, new TrainingListener() {
                @Override public void onWarning(String m) { warnings.add(m); }
            });
        }
        assertEquals(1, warnings.size());
        long perEpoch = Trainer.samplesPerEpoch(ds, o);
        assertTrue(warnings.get(0).contains("single Adam step") && warnings.get(0).contains("batchSize " + o.batchSize())
                && warnings.get(0).contains("(" + perEpoch + " samples)") && warnings.get(0).contains("try batchSize " + Trainer.suggestedBatch(perEpoch)), warnings.get(0));
    }
}
