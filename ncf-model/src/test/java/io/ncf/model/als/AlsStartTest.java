package io.ncf.model.als;

import io.ncf.core.NeuMFConfig;
import io.ncf.core.rank.ScoringKernel;
import io.ncf.data.DemoData;
import io.ncf.data.NcfDataset;
import io.ncf.model.ModelKind;
import io.ncf.model.ParamInit;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class AlsStartTest {

    static final NcfDataset DS = DemoData.generate(5);
    static final AlsModel ALS = ImplicitAls.train(DS.numUsers(), DS.numItems(), DS.trainUsers(), DS.trainItems(),
            new ImplicitAls.Params(16, 1f, 10f, 5, 3), 2, null);

    @Test
    void theCalibrationIsTheLogisticFitOfTheTrainingLabels() {
        AlsStart.Calibration c = AlsStart.calibrate(ALS, DS.trainUsers(), DS.trainItems(), 7);
        assertTrue(c.scale() > 0, "ALS ranks positives above random items: " + c);
        // at the maximum of the likelihood the bias's gradient is 0: the mean predicted probability is the positive share
        int n = DS.trainSize();
        int[] u = new int[n * 5], i = new int[n * 5];
        SplittableRandom r = io.ncf.data.Seeds.random(7, 0x616c73L);
        for (int k = 0, o = 0; k < n; k++) {
            u[o] = DS.trainUsers()[k];
            i[o++] = DS.trainItems()[k];
            for (int j = 0; j < 4; j++) {
                u[o] = DS.trainUsers()[k];
                i[o++] = io.ncf.data.Seeds.below(r, DS.numItems());
            }
        }
        float[] s = new float[u.length];
        ALS.score(u, i, u.length, s);
        double mean = 0;
        for (float x : s) mean += 1 / (1 + Math.exp(-(c.scale() * x + c.bias())));
        assertEquals(0.2, mean / s.length, 1e-3, "mean predicted probability against 1 positive in 5");
    }

    @Test
    void aNeuMFStartedFromAlsScoresAlsCalibrated() {
        NeuMFConfig config = new NeuMFConfig(DS.numUsers(), DS.numItems(), 16, new int[]{32, 16, 8}, 0f);
        AlsStart.Calibration c = AlsStart.calibrate(ALS, DS.trainUsers(), DS.trainItems(), 7);
        float[] random = ParamInit.nvidia(config, 11);
        float[] p = AlsStart.initialize(ALS, c, config, ModelKind.NEUMF, random.clone());
        int n = 500;
        int[] u = new int[n], i = new int[n];
        SplittableRandom r = new SplittableRandom(2);
        for (int k = 0; k < n; k++) {
            u[k] = r.nextInt(DS.numUsers());
            i[k] = r.nextInt(DS.numItems());
        }
        float[] model = new float[n], als = new float[n];
        try (ScoringKernel kernel = new ScoringKernel(config, p, 1)) {
            kernel.score(u, i, n, model);
        }
        ALS.score(u, i, n, als);
        for (int k = 0; k < n; k++)
            assertEquals(c.scale() * als[k] + c.bias(), model[k], 1e-4 * (1 + Math.abs(model[k])), "pair " + k + ": the MLP branch enters from 0");
        // the MLP branch keeps its random start (it trains from there)
        int mlp = (int) io.ncf.core.ParamShapes.offset(config, io.ncf.core.ParamShapes.denseWeight(0));
        assertEquals(random[mlp], p[mlp]);
    }

    @Test
    void shapesThatDoNotFitAreRefusedByName() {
        AlsStart.Calibration c = new AlsStart.Calibration(5f, -3f);
        NeuMFConfig wide = new NeuMFConfig(DS.numUsers(), DS.numItems(), 32, new int[]{32, 16}, 0f);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AlsStart.initialize(ALS, c, wide, ModelKind.NEUMF, ParamInit.nvidia(wide, 1)));
        assertTrue(e.getMessage().contains("ALS rank 16 differs from the model's factors 32"), e.getMessage());
        NeuMFConfig ok = new NeuMFConfig(DS.numUsers(), DS.numItems(), 16, new int[]{32, 16}, 0f);
        e = assertThrows(IllegalArgumentException.class, () -> AlsStart.initialize(ALS, c, ok, ModelKind.MLP, ParamInit.nvidia(ok, 1)));
        assertTrue(e.getMessage().contains("GMF branch"), e.getMessage());
    }
}
