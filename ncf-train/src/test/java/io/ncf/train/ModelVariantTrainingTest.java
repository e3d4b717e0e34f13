package io.ncf.train;

import io.ncf.data.DemoData;
import io.ncf.data.NcfDataset;
import io.ncf.model.ModelKind;
import io.ncf.core.NeuMFConfig;
import io.ncf.model.ParamSet;
import io.ncf.model.ParamInit;
import io.ncf.train.engine.TrainingEngine;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.FloatBuffer;

import static org.junit.jupiter.api.Assertions.*;

/** Training a variant leaves what it must not train bit for bit as initialised, and trains the rest. */
class ModelVariantTrainingTest {

    @ParameterizedTest
    @CsvSource({"GMF, fused, 2", "MLP, fused, 2", "MF, fused, 2", "NEUMF, fused, 2", "GMF, samediff, 1"}) // the graph is slow: one epoch
    void frozenEntriesStayBitIdentical(ModelKind kind, String engine, int epochs) {
        NcfDataset ds = DemoData.generate(3);
        NeuMFConfig c = new NeuMFConfig(ds.numUsers(), ds.numItems(), 8, new int[]{16, 8, 4}, 0.5f);
        TrainingOptions o = TestRuns.withMicroBatch(TrainingOptions.defaults().withEpochs(epochs).withBatch(16384).withEvalAfter(epochs - 1).withSeed(3), 4096);
        float[] init = kind.shape(ParamInit.nvidia(c, 3), c);
        ParamSet before = ParamSet.fromFlat(c, init);
        assertArrayEquals(kind.shape(ParamSet.initialize(c, 3)).toFlat(), init, 0f, "flat and ParamSet shaping agree");
        TrainingSummary s;
        ParamSet p, m;
        try (TrainingEngine e = TestRuns.open(engine, ds, c, kind, o, LossScaler.none(), init)) {
            s = TestRuns.train(e, c, o);
            p = ParamSet.fromFlat(c, e.parameters());
            m = ParamSet.fromFlat(c, e.snapshot().adamM());
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
        // the flat form of the frozen set (what an engine without ParamSets freezes) is the same set
        float[] mask = ones.toFlat();
        long ranged = 0;
        for (long[] r : kind.frozenRanges(c)) {
            ranged += r[1];
            for (long k = r[0]; k < r[0] + r[1]; k++) assertEquals(0f, mask[(int) k], kind + ": frozen range entry " + k);
        }
        assertEquals(frozenCount, ranged, kind + ": frozenRanges covers exactly the frozen entries");
        // embedding rows of users/items never sampled may stay put; nearly all trained entries must move
        assertTrue(trainedChanged > 0.9 * trainedCount, kind + ": only " + trainedChanged + " of " + trainedCount + " trainable entries changed");
        if (kind == ModelKind.GMF || kind == ModelKind.MF)
            for (int r = f; r < c.finalInputDim(); r++) assertEquals(0f, p.get(ParamSet.FINAL_W).getFloat(r), "MLP rows of final_w stay 0");
        if (kind == ModelKind.MF)
            for (int r = 0; r < f; r++) assertEquals(1f, p.get(ParamSet.FINAL_W).getFloat(r), "GMF rows of final_w stay 1");
    }
}
