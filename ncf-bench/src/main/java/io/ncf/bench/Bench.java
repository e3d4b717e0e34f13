package io.ncf.bench;

import io.ncf.cuda.CudaDevice;
import io.ncf.cuda.CudaNeuMF;
import io.ncf.cuda.EpochPlan;
import io.ncf.cuda.GpuTrainer;
import io.ncf.cuda.Precision;

import io.ncf.train.LossScaler;

import io.ncf.train.AdamConfig;

import io.ncf.core.NeuMFConfig;

import java.util.Random;

/** Throughput of training steps and evaluation on ml-20m-shaped random data (see {@link CudaMain}). */
final class Bench {

    private Bench() {}

    static int train(CudaMain.Options o) {
        Precision prec = o.precision();
        int batch = o.getInt("batch", 1 << 20);
        int steps = o.getInt("steps", 30);
        int epochs = o.getInt("epochs", 0);
        float dropout = o.getFloat("dropout", 0.5f);
        NeuMFConfig cfg = CudaMain.ml20m(dropout);
        long t0 = System.nanoTime();
        int[][] pos = CudaMain.randomPositives(cfg.numUsers(), cfg.numItems(), CudaMain.ML20M_POSITIVES, 17);
        float[] init = io.ncf.model.ParamInit.nvidia(cfg, 1);
        System.out.printf("host data + init: %.1f s%n", (System.nanoTime() - t0) / 1e9);
        try (CudaDevice dev = CudaDevice.open(0);
             CudaNeuMF eng = new CudaNeuMF(dev, cfg, prec, batch)) {
            System.out.printf("%s | %s | %s | batch %,d | NVRTC %.2f s%n", dev.describe(), cfg, prec, batch, eng.kernelCompileSeconds());
            eng.setParameters(init);
            eng.setPositives(pos[0], pos[1]);
            LossScaler scaler = prec.needsLossScaling() ? LossScaler.dynamicDefaults() : LossScaler.fixed(1f);
            HarnessStepper tr = new HarnessStepper(new GpuTrainer(eng, 1, pos[0].length, 4, batch, 0, 1, null, java.util.List.of(), null), AdamConfig.nvidia(), scaler);
            EpochPlan plan = tr.plan(0);
            for (int s = 0; s < 3; s++) tr.step(plan, s, dropout);
            dev.synchronize();
            eng.takeLossSum();
            if (o.get("profile", null) != null) profile(eng, plan, batch, dropout, dev);
            if (epochs == 0) {
                long a = System.nanoTime();
                for (int s = 0; s < steps; s++) tr.step(plan, (3 + s) % tr.stepsPerEpoch(), dropout);
                dev.synchronize();
                double sec = (System.nanoTime() - a) / 1e9;
                double loss = eng.takeLossSum() / ((double) steps * batch);
                System.out.printf("RESULT train %s: %d steps of %,d in %.3f s = %.2fM samples/s (%.2f ms/step), mean loss %.5f, loss scale %.0f, skipped %d%n",
                        prec, steps, batch, sec, steps * (double) batch / sec / 1e6, sec * 1e3 / steps, loss, scaler.lossScale(), scaler.skippedTotal());
            } else {
                int[][] cand = randomCandidates(cfg, 101, 23);
                eng.setEvalCandidates(cand[0], cand[1], 101);
                long all = System.nanoTime();
                double trainSec = 0, evalSec = 0;
                for (int e = 0; e < epochs; e++) {
                    EpochPlan p = tr.plan(e);
                    long a = System.nanoTime();
                    long n = tr.stepsPerEpoch();
                    for (long s = 0; s < n; s++) tr.step(p, s, dropout);
                    double loss = eng.takeLossSum() / ((double) n * batch);
                    double es = (System.nanoTime() - a) / 1e9;
                    io.ncf.eval.EvalResult m = eng.evaluate(10);
                    trainSec += es;
                    evalSec += m.seconds();
                    System.out.printf("epoch %2d: train %.3f s (%.2fM samples/s) loss %.5f | eval %.3f s HR@10 %.4f NDCG %.4f%n",
                            e, es, n * (double) batch / es / 1e6, loss, m.seconds(), m.hitRate(), m.ndcg());
                }
                System.out.printf("RESULT %d epochs %s: %.1f s end to end (train %.1f s, eval %.1f s)%n", epochs, prec,
                        (System.nanoTime() - all) / 1e9, trainSec, evalSec);
            }
        }
        return 0;
    }

    private static void profile(CudaNeuMF eng, EpochPlan plan, int batch, float dropout, CudaDevice dev) {
        int reps = 5;
        long a = System.nanoTime();
        for (int i = 0; i < reps; i++) eng.makeBatch(plan, (long) i * batch, batch);
        dev.synchronize();
        long b = System.nanoTime();
        for (int i = 0; i < reps; i++) eng.forwardBackward(batch, 1f / batch, CudaMain.maskFor(1, i, dropout), 0);
        dev.synchronize();
        long c = System.nanoTime();
        for (int i = 0; i < reps; i++) eng.adamStep(AdamConfig.nvidia(), 10 + i, 1f);
        dev.synchronize();
        long d = System.nanoTime();
        System.out.printf("profile per step: make_batch %.2f ms, forward+backward %.2f ms, check+adam %.2f ms%n",
                (b - a) / 1e6 / reps, (c - b) / 1e6 / reps, (d - c) / 1e6 / reps);
        eng.setTiming(true);
        for (int i = 0; i < reps; i++) {
            eng.makeBatch(plan, (long) i * batch, batch);
            eng.forwardBackward(batch, 1f / batch, CudaMain.maskFor(1, i, dropout), (long) i * batch);
            eng.adamStep(AdamConfig.nvidia(), 20 + i, 1f);
        }
        long total = 0;
        for (long[] t : eng.timings().values()) total += t[1];
        System.out.println("per-launch profile (synchronised after each launch), ms per step:");
        for (var e : eng.timings().entrySet())
            System.out.printf("  %-36s %7.3f ms  (%4.1f%%)%n", e.getKey(), e.getValue()[1] / 1e6 / reps, 100.0 * e.getValue()[1] / total);
        eng.setTiming(false);
        eng.takeLossSum();
    }

    static int[][] randomCandidates(NeuMFConfig cfg, int width, long seed) {
        Random r = new Random(seed);
        int[] users = new int[cfg.numUsers()], items = new int[cfg.numUsers() * width];
        for (int u = 0; u < users.length; u++) {
            users[u] = u;
            for (int j = 0; j < width; j++) items[u * width + j] = r.nextInt(cfg.numItems());
        }
        return new int[][]{users, items};
    }

    static int eval(CudaMain.Options o) {
        Precision prec = o.precision();
        int batch = o.getInt("batch", 1 << 20);
        NeuMFConfig cfg = CudaMain.ml20m(0.5f);
        int[][] cand = randomCandidates(cfg, 101, 23);
        float[] init = io.ncf.model.ParamInit.nvidia(cfg, 1);
        try (CudaDevice dev = CudaDevice.open(0);
             CudaNeuMF eng = new CudaNeuMF(dev, cfg, prec, batch)) {
            eng.setParameters(init);
            eng.setEvalCandidates(cand[0], cand[1], 101);
            eng.evaluate(10);
            int reps = o.getInt("reps", 5);
            double best = Double.MAX_VALUE, sum = 0;
            io.ncf.eval.EvalResult m = null;
            for (int i = 0; i < reps; i++) {
                m = eng.evaluate(10);
                best = Math.min(best, m.seconds());
                sum += m.seconds();
            }
            System.out.printf("RESULT eval %s: %,d users × 101 = %,d samples, median-ish mean %.2f ms, best %.2f ms = %.1fM samples/s (HR@10 %.4f)%n",
                    prec, m.users(), m.samples(), sum / reps * 1e3, best * 1e3, m.samples() / best / 1e6, m.hitRate());
        }
        return 0;
    }
}
