package io.ncf.train;

import io.ncf.data.DemoData;
import io.ncf.data.NcfDataset;
import io.ncf.model.ModelKind;
import io.ncf.model.NeuMFConfig;
import io.ncf.model.ParamSet;
import io.ncf.model.TrainingEngine;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.FloatBuffer;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Training a variant leaves what it must not train bit for bit as initialised, and trains the rest. */
class ModelVariantTrainingTest {

    @ParameterizedTest
    @CsvSource({"GMF, FUSED, 2", "MLP, FUSED, 2", "MF, FUSED, 2", "NEUMF, FUSED, 2", "GMF, SAMEDIFF, 1"}) // the graph is slow: one epoch
    void frozenEntriesStayBitIdentical(ModelKind kind, EngineKind engine, int epochs) {
        NcfDataset ds = DemoData.generate(3);
        NeuMFConfig c = new NeuMFConfig(ds.numUsers(), ds.numItems(), 8, new int[]{16, 8, 4}, 0.5f);
        TrainingOptions o = TrainingOptions.defaults().withEpochs(epochs).withBatch(16384).withEvalAfter(epochs - 1).withSeed(3);
        ParamSet p = kind.shape(ParamSet.initialize(c, 3));
        ParamSet before = p.copy();
        TrainingSummary s;
        ParamSet m;
        try (TrainingEngine e = engine.create(p, 4096); Trainer t = new Trainer(ds, e, o, List.of()).modelKind(kind)) {
            s = t.train();
            m = t.optimizer().firstMoment().copy();
        }
        assertTrue(s.bestHitRate() > 0, "evaluated");
        // which entries are frozen: zeroFrozen clears exactly those in a set of ones
        ParamSet ones = ParamSet.zeros(c);
        for (var a : ones.arrays()) a.assign(1);
        kind.zeroFrozen(ones);
        int f = c.factors();
        long frozenCount = 0, trainedChanged = 0, trainedCount = 0;
        for (String n : p.names()) {
            FloatBuffer now = p.get(n).data().asNioFloat(), was = before.get(n).data().asNioFloat(), mask = ones.get(n).data().asNioFloat(),
                    mom = m.get(n).data().asNioFloat();
            for (int k = 0; k < p.get(n).length(); k++) {
                if (mask.get(k) == 0f) {
                    frozenCount++;
                    assertEquals(Float.floatToRawIntBits(was.get(k)), Float.floatToRawIntBits(now.get(k)), kind + ": frozen " + n + "[" + k + "] changed");
                    assertEquals(0f, mom.get(k), kind + ": Adam moment of frozen " + n + "[" + k + "]");
                } else {
                    trainedCount++;
                    if (was.get(k) != now.get(k)) trainedChanged++;
                }
            }
        }
        assertEquals(kind == ModelKind.NEUMF, frozenCount == 0, kind + ": " + frozenCount + " frozen entries");
        // embedding rows of users/items never sampled may stay put; nearly all trained entries must move
        assertTrue(trainedChanged > 0.9 * trainedCount, kind + ": only " + trainedChanged + " of " + trainedCount + " trainable entries changed");
        if (kind == ModelKind.GMF || kind == ModelKind.MF)
            for (int r = f; r < c.finalInputDim(); r++) assertEquals(0f, p.get(ParamSet.FINAL_W).getFloat(r), "MLP rows of final_w stay 0");
        if (kind == ModelKind.MF)
            for (int r = 0; r < f; r++) assertEquals(1f, p.get(ParamSet.FINAL_W).getFloat(r), "GMF rows of final_w stay 1");
    }
}
