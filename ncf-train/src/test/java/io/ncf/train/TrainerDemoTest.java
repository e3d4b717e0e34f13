package io.ncf.train;

import io.ncf.data.DemoData;
import io.ncf.data.NcfDataset;
import io.ncf.eval.EvalResult;
import io.ncf.eval.Evaluator;
import io.ncf.eval.PopularityScorer;
import io.ncf.model.NeuMFConfig;
import io.ncf.model.ParamSet;
import io.ncf.model.TrainingEngine;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** NeuMF actually learns the demo data's planted structure, far beyond what item popularity explains. */
class TrainerDemoTest {

    @Test void neuMFBeatsPopularityByAWideMargin() {
        NcfDataset ds = DemoData.generate(5);
        TrainingOptions o = TrainingOptions.defaults().withEpochs(6).withBatch(4096).withEvalAfter(0).withSeed(5);
        NeuMFConfig c = NeuMFConfig.defaults(ds.numUsers(), ds.numItems());
        List<String> warnings = new ArrayList<>();
        List<EpochReport> epochs = new ArrayList<>();
        TrainingListener l = new TrainingListener() {
            @Override public void onWarning(String m) { warnings.add(m); }
            @Override public void onEpoch(EpochReport r) { epochs.add(r); }
        };
        TrainingSummary s;
        try (TrainingEngine e = EngineKind.FUSED.create(ParamSet.initialize(c, 5), 4096); Trainer t = new Trainer(ds, e, o, List.of(l))) {
            s = t.train();
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
        TrainingOptions o = TrainingOptions.defaults().withEpochs(1).withSeed(1); // batch 1,048,576 > demo epoch
        List<String> warnings = new ArrayList<>();
        try (TrainingEngine e = EngineKind.FUSED.create(ParamSet.initialize(NeuMFConfig.defaults(ds.numUsers(), ds.numItems()), 1), 4096)) {
            try (Trainer t = new Trainer(ds, e, o, List.of(new TrainingListener() {
                @Override public void onWarning(String m) { warnings.add(m); }
            }))) {
                t.train();
            }
        }
        assertEquals(1, warnings.size());
        assertTrue(warnings.get(0).contains("single Adam step") && warnings.get(0).contains("-b "), warnings.get(0));
    }
}
