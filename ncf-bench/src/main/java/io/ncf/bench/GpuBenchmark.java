package io.ncf.bench;

import io.ncf.cuda.GpuTraining;
import io.ncf.cuda.Precision;

import io.ncf.train.LossScaler;

import io.ncf.train.AdamConfig;

import io.ncf.core.NeuMFConfig;

/**
 * The GPU rows of {@code ncf benchmark}: training steps and evaluation on random data of a given shape (ml-20m's by
 * default), through the same {@link GpuTraining} run the command line trains with.
 */
public final class GpuBenchmark {

    /** Samples per second and seconds per step (or per evaluation pass), plus a free-text note. */
    public record Result(double samplesPerSecond, double seconds, String note, String exchange) {
        public Result(double samplesPerSecond, double seconds, String note) { this(samplesPerSecond, seconds, note, ""); }
    }

    private GpuBenchmark() {}

    /** {@code steps} timed global steps of {@code batch} after {@code warmup} untimed ones, on {@code gpus} GPUs. */
    public static Result train(int users, int items, int batch, int warmup, int steps, Precision precision, int gpus, float dropout) {
        return train(users, items, batch, warmup, steps, precision, gpus, dropout, GpuTraining.Exchange.AUTO);
    }

    /**
     * As above, the GPUs sharing each step by {@code exchange}; with {@code NCF_CUDA_SHARE_GPU=1} every rank runs on
     * GPU 0 (numbers of the multi-GPU code on one card: the ranks take turns, so it times their summed work).
     */
    public static Result train(int users, int items, int batch, int warmup, int steps, Precision precision, int gpus, float dropout,
                               GpuTraining.Exchange exchange) {
        NeuMFConfig cfg = new NeuMFConfig(users, items, NeuMFConfig.DEFAULT_FACTORS, NeuMFConfig.DEFAULT_LAYERS, dropout);
        // ml-20m's density: 19,861,770 training positives for 138,493 users
        int positives = (int) Math.max(batch, Math.round((double) CudaMain.ML20M_POSITIVES * users / CudaMain.ML20M_USERS));
        int[][] pos = CudaMain.randomPositives(users, items, positives, 17);
        GpuTraining.Settings s = new GpuTraining.Settings(cfg, precision, AdamConfig.nvidia(), 1, 4, batch, gpus, exchange);
        try (GpuTraining run = new GpuTraining(s, GpuTraining.Start.fresh(io.ncf.model.ParamInit.nvidia(cfg, 1)), java.util.List.of(), false,
                pos[0], pos[1], null, null, 0, precision.needsLossScaling() ? LossScaler.dynamicDefaults() : LossScaler.none(),
                GpuTraining.Placement.forWorkers(gpus))) {
            run.trainSteps(0, 0, warmup, 0, dropout);
            long t0 = System.nanoTime();
            run.trainSteps(0, warmup, steps, warmup, dropout);
            double sec = (System.nanoTime() - t0) / 1e9;
            String shards = run.userBlocks() == null ? "" : ", " + run.userBlocks();
            return new Result((double) batch * steps / sec, sec / steps, run.describe() + ", " + precision + ", skipped steps " + run.scaler().skippedTotal() + shards,
                    run.exchange().id());
        }
    }

    /** Evaluation of {@code evalUsers} rows of 101 random candidates; the mean of {@code reps} passes after {@code warmup}. */
    public static Result eval(int users, int items, int evalUsers, int warmup, int reps, Precision precision) {
        NeuMFConfig cfg = new NeuMFConfig(users, items, NeuMFConfig.DEFAULT_FACTORS, NeuMFConfig.DEFAULT_LAYERS, 0.5f);
        int[][] cand = Bench.randomCandidates(new NeuMFConfig(evalUsers, items, NeuMFConfig.DEFAULT_FACTORS, NeuMFConfig.DEFAULT_LAYERS, 0.5f), 101, 23);
        for (int r = 0; r < evalUsers; r++) cand[0][r] = r % users;
        GpuTraining.Settings s = new GpuTraining.Settings(cfg, precision, AdamConfig.nvidia(), 1, 4, 1 << 20, 1);
        try (GpuTraining run = new GpuTraining(s, io.ncf.model.ParamInit.nvidia(cfg, 1), new int[]{0}, new int[]{0}, cand[0], cand[1], 101,
                LossScaler.dynamicDefaults())) {
            for (int i = 0; i < warmup; i++) run.evaluate(10);
            double sum = 0, best = Double.MAX_VALUE;
            long samples = 0;
            for (int i = 0; i < reps; i++) {
                io.ncf.eval.EvalResult m = run.evaluate(10);
                sum += m.seconds();
                best = Math.min(best, m.seconds());
                samples = m.samples();
            }
            return new Result(samples * reps / sum, sum / reps,
                    String.format("%s, %s, best pass %.2f ms = %.1fM samples/s", run.describe(), precision, best * 1e3, samples / best / 1e6));
        }
    }
}
