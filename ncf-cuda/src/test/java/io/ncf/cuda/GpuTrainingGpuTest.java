package io.ncf.cuda;

import io.ncf.train.AdamConfig;
import io.ncf.train.LossScaler;

import io.ncf.core.NeuMFConfig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The command line's GPU run ({@link GpuTraining}) on small synthetic data: it learns, and on two GPUs (NCCL) its
 * parameters after 20 steps without dropout match one GPU's. Skipped without a GPU (CI), as {@link CudaGpuTest}.
 */
class GpuTrainingGpuTest {

    static final int USERS = 300, ITEMS = 200;

    @BeforeEach void needGpu() {
        CudaProbe.Result r = CudaProbe.probe();
        assumeTrue(r.available(), "skipped, no GPU: " + r.message());
    }

    /** Each user likes the items of its own "taste" group (user % 10 == item % 10): learnable structure. */
    static int[][] data(long seed) {
        Random r = new Random(seed);
        int perUser = 30;
        int[] u = new int[USERS * perUser], i = new int[USERS * perUser];
        int[] eu = new int[USERS], ei = new int[USERS * 101];
        for (int user = 0; user < USERS; user++) {
            for (int k = 0; k < perUser; k++) { u[user * perUser + k] = user; i[user * perUser + k] = (r.nextInt(ITEMS / 10) * 10 + user % 10); }
            eu[user] = user;
            ei[user * 101] = r.nextInt(ITEMS / 10) * 10 + user % 10; // held-out: a liked item
            for (int j = 1; j < 101; j++) ei[user * 101 + j] = r.nextInt(ITEMS);
        }
        return new int[][]{u, i, eu, ei};
    }

    static GpuTraining run(int gpus, float dropout, int[][] d) {
        NeuMFConfig c = new NeuMFConfig(USERS, ITEMS, 8, new int[]{16, 16, 8}, dropout);
        GpuTraining.Settings s = new GpuTraining.Settings(c, Precision.FP32, AdamConfig.nvidia(), 5, 4, 1024, gpus);
        return new GpuTraining(s, io.ncf.model.ParamInit.nvidia(c, 5), d[0], d[1], d[2], d[3], 101, LossScaler.none());
    }

    /** One whole epoch; the mean loss per sample. */
    static double epoch(GpuTraining g, int e, float dropout) {
        return g.trainSteps(e, 0, g.stepsPerEpoch(), e * g.stepsPerEpoch(), dropout) / g.samplesPerEpoch();
    }

    @Test void learnsTheTasteGroups() {
        int[][] d = data(1);
        try (GpuTraining g = run(1, 0.1f, d)) {
            double before = g.evaluate(10).hitRate();
            double firstLoss = epoch(g, 0, 0.1f), loss = firstLoss;
            for (int e = 1; e < 8; e++) loss = epoch(g, e, 0.1f);
            double after = g.evaluate(10).hitRate();
            assertTrue(loss < firstLoss, "loss " + firstLoss + " -> " + loss);
            assertTrue(after > 0.5 && after > before + 0.2, "HR@10 " + before + " -> " + after);
            assertEquals(new ParamLayout(new NeuMFConfig(USERS, ITEMS, 8, new int[]{16, 16, 8}, 0.1f)).totalLength(), g.parameters().length);
        }
    }

    @Test void twoGpusMatchOneAfterTwentySteps() {
        assumeTrue(CudaDevice.count() >= 2, "skipped: needs 2 GPUs, " + CudaDevice.count() + " present");
        assumeTrue("0".equals(System.getenv("NCCL_NVLS_ENABLE")), "skipped: set NCCL_NVLS_ENABLE=0 for multi-GPU tests");
        int[][] d = data(2);
        float[] one, two;
        try (GpuTraining g = run(1, 0f, d)) { g.trainSteps(0, 0, 20, 0, 0f); one = g.parameters(); }
        try (GpuTraining g = run(2, 0f, d)) { g.trainSteps(0, 0, 20, 0, 0f); two = g.parameters(); }
        // float sums regrouped across two GPUs, then Adam: close, not bit-equal (README: 2.4e-2 on ml-20m shapes)
        double rel = relativeError(two, one);
        assertTrue(rel < 5e-2, "relative difference " + rel);
    }

    static GpuTraining rank(int gpus, int rank, byte[] id, int[][] d) {
        NeuMFConfig c = new NeuMFConfig(USERS, ITEMS, 8, new int[]{16, 16, 8}, 0f);
        GpuTraining.Settings s = new GpuTraining.Settings(c, Precision.FP32, AdamConfig.nvidia(), 5, 4, 1024, gpus);
        return new GpuTraining(s, GpuTraining.Start.fresh(io.ncf.model.ParamInit.nvidia(c, 5)), java.util.List.of(), false, d[0], d[1], d[2], d[3], 101,
                LossScaler.none(), GpuTraining.Placement.rankOf(rank, rank, id));
    }

    /**
     * One rank of a one-rank NCCL group (ncf-spark's barrier task per GPU, alone) trains as the local run does: as close
     * as two local runs are to each other (the kernels' atomic adds make GPU runs differ in the last bits, which 20 Adam
     * steps carry along).
     */
    @Test void aGroupOfOneRankTrainsAsTheLocalRun() {
        int[][] d = data(3);
        float[] local, again, ranked;
        try (GpuTraining g = run(1, 0f, d)) { g.trainSteps(0, 0, 20, 0, 0f); local = g.parameters(); }
        try (GpuTraining g = run(1, 0f, d)) { g.trainSteps(0, 0, 20, 0, 0f); again = g.parameters(); }
        try (GpuTraining g = rank(1, 0, GpuTraining.newNcclId(), d)) { g.trainSteps(0, 0, 20, 0, 0f); ranked = g.parameters(); }
        double repeat = relativeError(again, local), rel = relativeError(ranked, local);
        System.out.printf("one-rank group against the local run: %.3g (two local runs: %.3g)%n", rel, repeat);
        assertTrue(rel <= Math.max(5 * repeat, 1e-6), "one-rank group " + rel + " from the local run; two local runs " + repeat);
    }

    /** Two ranks joined through one NCCL id, each driven alone as two processes would (two threads here), match the local 2-GPU run. */
    @Test void twoRanksOfAGroupMatchTwoLocalGpus() throws Exception {
        assumeTrue(CudaDevice.count() >= 2, "skipped: needs 2 GPUs, " + CudaDevice.count() + " present");
        assumeTrue("0".equals(System.getenv("NCCL_NVLS_ENABLE")), "skipped: set NCCL_NVLS_ENABLE=0 for multi-GPU tests");
        int[][] d = data(4);
        float[] local;
        try (GpuTraining g = run(2, 0f, d)) { g.trainSteps(0, 0, 20, 0, 0f); local = g.parameters(); }
        byte[] id = GpuTraining.newNcclId();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            java.util.List<java.util.concurrent.Future<float[]>> fs = new java.util.ArrayList<>();
            for (int r = 0; r < 2; r++) {
                int rank = r;
                fs.add(pool.submit(() -> { // ncclCommInitRank returns once both ranks have joined
                    try (GpuTraining g = rank(2, rank, id, d)) { g.trainSteps(0, 0, 20, 0, 0f); return g.parameters(); }
                }));
            }
            float[] r0 = fs.get(0).get(5, java.util.concurrent.TimeUnit.MINUTES), r1 = fs.get(1).get(5, java.util.concurrent.TimeUnit.MINUTES);
            double ranks = relativeError(r1, r0);
            assertTrue(ranks < 1e-6, "the ranks hold the same parameters (same all-reduced gradients, same Adam): " + ranks);
            double rel = relativeError(r0, local);
            System.out.printf("two ranks driven apart against the local 2-GPU run: %.3g%n", rel);
            assertTrue(rel < 5e-2, "against the local 2-GPU run: relative difference " + rel); // as twoGpusMatchOneAfterTwentySteps
        } finally {
            pool.shutdownNow();
        }
    }

    /** A user-sharded run of {@code ranks} ranks, all on GPU 0 (one rank: the user-sharded step alone, no collective). */
    static GpuTraining sharded(int ranks, float dropout, int[][] d) {
        NeuMFConfig c = new NeuMFConfig(USERS, ITEMS, 8, new int[]{16, 16, 8}, dropout);
        GpuTraining.Settings s = new GpuTraining.Settings(c, Precision.FP32, AdamConfig.nvidia(), 5, 4, 1024, ranks)
                .withExchange(GpuTraining.Exchange.USER_SHARDS);
        return new GpuTraining(s, GpuTraining.Start.fresh(io.ncf.model.ParamInit.nvidia(c, 5)), java.util.List.of(), false, d[0], d[1], d[2], d[3], 101,
                LossScaler.none(), ranks == 1 ? GpuTraining.Placement.all(1) : GpuTraining.Placement.sharedGpu(ranks));
    }

    /**
     * User shards train the samples, masks and sums of one GPU: the first step's loss (the same samples and dropout
     * masks, whichever GPU trains them) equals the plain run's to float rounding, and after 20 steps the parameters
     * are as close to it as two GPUs' all-reduce is (sums regrouped, then Adam).
     */
    @Test void userShardsOnOneGpuTrainAsOneGpu() {
        int[][] d = data(6);
        for (float dropout : new float[]{0f, 0.5f}) {
            double firstLoss;
            float[] plain;
            try (GpuTraining g = run(1, dropout, d)) {
                firstLoss = g.trainSteps(0, 0, 1, 0, dropout);
                g.trainSteps(0, 1, 19, 1, dropout);
                plain = g.parameters();
            }
            for (int ranks : new int[]{1, 2, 4}) {
                try (GpuTraining g = sharded(ranks, dropout, d)) {
                    assertEquals(GpuTraining.Exchange.USER_SHARDS, g.exchange());
                    double loss = g.trainSteps(0, 0, 1, 0, dropout);
                    g.trainSteps(0, 1, 19, 1, dropout);
                    double rel = relativeError(g.parameters(), plain);
                    System.out.printf("user shards × %d, dropout %.1f: first loss %.9g vs %.9g, parameters after 20 steps %.3g from one GPU (%s)%n",
                            ranks, dropout, loss, firstLoss, rel, g.userBlocks());
                    assertEquals(firstLoss, loss, 1e-5 * Math.abs(firstLoss), "first step's loss, " + ranks + " ranks, dropout " + dropout);
                    assertTrue(rel < 5e-2, ranks + " ranks, dropout " + dropout + ": relative difference " + rel);
                }
            }
        }
    }

    /** Evaluation gathers the owners' user rows: a user-sharded run of 4 ranks learns the taste groups as one GPU does. */
    @Test void userShardsLearnTheTasteGroups() {
        int[][] d = data(1);
        try (GpuTraining g = sharded(4, 0.1f, d)) {
            double before = g.evaluate(10).hitRate();
            for (int e = 0; e < 8; e++) epoch(g, e, 0.1f);
            double after = g.evaluate(10).hitRate();
            assertTrue(after > 0.5 && after > before + 0.2, "HR@10 " + before + " -> " + after);
            float[][] mv = g.adamMoments();
            assertEquals(g.parameters().length, mv[0].length);
        }
    }

    /** A rank that fails mid-run ends every rank's step (none stays blocked in a collective), naming the rank and the cause. */
    @Test void aFailingRankEndsTheRunNamingIt() {
        int[][] d = data(7);
        try (GpuTraining g = sharded(4, 0f, d)) {
            g.injectFault(1, 3);
            RankGroup.RankFailedException e = assertTimeoutPreemptively(java.time.Duration.ofMinutes(2),
                    () -> assertThrows(RankGroup.RankFailedException.class, () -> g.trainSteps(0, 0, 10, 0, 0f)));
            assertEquals(1, e.rank());
            assertTrue(e.getMessage().contains("GPU 1 failed: injected fault at step 3"), e.getMessage());
        }
    }

    /** ||a - b|| / ||b||. */
    static double relativeError(float[] a, float[] b) {
        double num = 0, den = 0;
        for (int i = 0; i < b.length; i++) {
            double d = (double) a[i] - b[i];
            num += d * d;
            den += (double) b[i] * b[i];
        }
        return den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
    }
}
