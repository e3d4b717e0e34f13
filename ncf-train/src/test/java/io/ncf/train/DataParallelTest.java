package io.ncf.train;

import io.ncf.model.DropoutMask;
import io.ncf.core.NeuMFConfig;
import io.ncf.model.ParamSet;
import io.ncf.model.GradientEngine;
import io.ncf.model.fused.FusedCpuEngine;
import io.ncf.model.parallel.DataParallelEngine;
import io.ncf.model.parallel.DataParallelEngine.Replication;
import io.ncf.model.samediff.SameDiffEngine;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

import java.util.SplittableRandom;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.*;

/** --workers N is the same optimisation as one worker: same samples, same masks, summed shard gradients, one Adam step. */
class DataParallelTest {

    private static final NeuMFConfig C = new NeuMFConfig(60, 45, 8, new int[]{16, 16, 8}, 0f);
    private static final int BATCH = 1001, STEPS = 20; // odd batch: shards of unequal size

    private static ParamSet train(NeuMFConfig c, Function<ParamSet, GradientEngine> make) {
        ParamSet params = ParamSet.initialize(c, 2), grads = params.zerosLike();
        SplittableRandom rnd = new SplittableRandom(17);
        int n = BATCH * STEPS;
        int[] u = new int[n], it = new int[n];
        float[] y = new float[n];
        for (int k = 0; k < n; k++) { u[k] = rnd.nextInt(c.numUsers()); it[k] = rnd.nextInt(c.numItems()); y[k] = rnd.nextInt(5) == 0 ? 1 : 0; }
        try (GradientEngine e = make.apply(params); Adam adam = new Adam(0.005f, 0.25f, 0.5f, 1e-8f, params)) {
            for (int s = 0; s < STEPS; s++) {
                DropoutMask mask = DropoutMask.forStep(4, s, c.dropout());
                e.accumulateGradients(u, it, y, s * BATCH, BATCH, 1f / BATCH, mask, s * BATCH, grads);
                adam.step(params, grads);
            }
        }
        return params;
    }

    private static void assertClose(ParamSet a, ParamSet b, double rel) {
        for (String n : a.names()) {
            double diff = a.get(n).sub(b.get(n)).norm2Number().doubleValue();
            double norm = a.get(n).norm2Number().doubleValue();
            assertTrue(diff <= rel * Math.max(norm, 1e-12), n + ": relative difference " + diff / norm + " > " + rel);
        }
    }

    @Test void twoFusedWorkersMatchOneAfterTwentySteps() {
        ParamSet one = train(C, p -> new FusedCpuEngine(p, 256, 1));
        for (Replication r : Replication.values()) {
            ParamSet two = train(C, p -> new DataParallelEngine(p, 2, r, (q, i) -> new FusedCpuEngine(q, 256, 1)));
            assertClose(one, two, 1e-5);
        }
        assertTrue(MixedPrecisionTrainingTest.maxAbsDiff(one, ParamSet.initialize(C, 2)) > 1e-3, "the parameters did move");
    }

    @Test void twoSameDiffWorkersMatchOne() {
        ParamSet one = train(C, p -> new SameDiffEngine(p, 1024).gcAfterChunk(false));
        ParamSet two = train(C, p -> new DataParallelEngine(p, 2, Replication.COPIES, (q, i) -> new SameDiffEngine(q, 1024).gcAfterChunk(false)));
        assertClose(one, two, 1e-5);
    }

    @Test void dropoutMasksFollowSamplePositionsSoShardsReproduceOneWorker() {
        NeuMFConfig withDropout = C.withDropout(0.3f);
        ParamSet one = train(withDropout, p -> new FusedCpuEngine(p, 300, 1));
        ParamSet three = train(withDropout, p -> new DataParallelEngine(p, 3, Replication.SHARED, (q, i) -> new FusedCpuEngine(q, 300, 1)));
        assertClose(one, three, 1e-5);
    }

    @Test void replicasArePinnedAndReported() {
        ParamSet p = ParamSet.initialize(C, 1);
        try (DataParallelEngine e = new DataParallelEngine(p, 2, Replication.COPIES, (q, i) -> new FusedCpuEngine(q, 128, 1))) {
            assertEquals(2, e.workers());
            int devices = Nd4j.getAffinityManager().getNumberOfDevices();
            for (int d : e.devices()) assertTrue(d >= 0 && d < devices, "device " + d + " of " + devices);
            assertSame(e.params(), e.replica(0).params());
            assertNotSame(e.params(), e.replica(1).params(), "COPIES: replica 1 owns a copy");
            float[] a = new float[5], b = new float[5];
            int[] us = {0, 1, 2, 3, 4}, its = {4, 3, 2, 1, 0};
            e.score(us, its, 5, a);
            try (GradientEngine single = new FusedCpuEngine(p, 128, 1)) { single.score(us, its, 5, b); }
            assertArrayEquals(b, a, 0f, "scoring uses the master parameters");
        }
    }

    @Test void enginesFactoryRejectsBf16OnTheSameDiffEngine() {
        ParamSet p = ParamSet.initialize(C, 1);
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> Engines.create(EngineKind.SAMEDIFF, p, 128, io.ncf.core.Precision.BF16, 1));
        assertTrue(ex.getMessage().contains("bf16 needs the fused engine"), ex.getMessage());
        try (GradientEngine e = Engines.create(EngineKind.FUSED, p, 128, false, 2)) {
            assertInstanceOf(DataParallelEngine.class, e);
        }
    }
}
