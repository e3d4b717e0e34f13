package io.ncf.bench;

import io.ncf.core.NeuMFConfig;
import io.ncf.cuda.GpuTraining;
import io.ncf.cuda.Precision;
import io.ncf.train.AdamConfig;
import io.ncf.train.LossScaler;

import java.util.List;

/**
 * {@code run.sh shards [--gpus 2,4,8] [--precision P] [--check-steps 20] [--batch B]}: user-sharded training
 * ({@link GpuTraining.Exchange#USER_SHARDS}) of the ml-20m shape against one GPU's plain run, as {@code ncf train}
 * runs them ({@link GpuTraining}, {@code Placement.forWorkers}: with {@code NCF_CUDA_SHARE_GPU=1} every rank on GPU 0).
 * Per group size it prints the first step's loss (the same samples and dropout masks, whichever GPU trains them: equal
 * to float rounding), and the parameters after {@code --check-steps} steps with dropout off, against the one-GPU run
 * and against a second one-GPU run (the run-to-run floor: atomics reorder sums and Adam with beta2 = 0.5 turns
 * rounding into +-lr steps). Fails when the first loss differs by more than 1e-5 relative, or the parameters by more
 * than 3× the floor plus 1e-2.
 */
final class ShardsCheck {

    private ShardsCheck() {}

    static int run(CudaMain.Options o) {
        Precision prec = o.precision();
        int batch = o.getInt("batch", 1 << 20);
        int checkSteps = o.getInt("check-steps", 20);
        NeuMFConfig cfg = CudaMain.ml20m(0f);
        int[][] pos = CudaMain.randomPositives(cfg.numUsers(), cfg.numItems(), CudaMain.ML20M_POSITIVES, 17);
        float[] init = io.ncf.model.ParamInit.nvidia(cfg, 1);
        GpuTraining.Settings one = new GpuTraining.Settings(cfg, prec, AdamConfig.nvidia(), 1, 4, batch, 1, GpuTraining.Exchange.ALL_REDUCE);
        Outcome a = train(one, GpuTraining.Placement.all(1), init, pos, checkSteps), b = train(one, GpuTraining.Placement.all(1), init, pos, checkSteps);
        double floor = io.ncf.bench.ReferenceCase.relativeError(b.params, a.params, 0, a.params.length);
        System.out.printf("1 GPU twice: first loss %.9g / %.9g, parameters after %d steps %.2e apart (the floor)%n", a.firstLoss, b.firstLoss, checkSteps, floor);
        boolean ok = true;
        for (int n : CudaMain.parseList(o.get("gpus", "2,4,8"))) {
            GpuTraining.Settings s = new GpuTraining.Settings(cfg, prec, AdamConfig.nvidia(), 1, 4, batch, n, GpuTraining.Exchange.USER_SHARDS);
            Outcome r = train(s, GpuTraining.Placement.forWorkers(n), init, pos, checkSteps);
            double loss = Math.abs(r.firstLoss - a.firstLoss) / Math.abs(a.firstLoss);
            double rel = io.ncf.bench.ReferenceCase.relativeError(r.params, a.params, 0, a.params.length);
            boolean pass = loss <= 1e-5 && rel <= 3 * floor + 1e-2;
            ok &= pass;
            System.out.printf("RESULT %d ranks %s (%s): first loss rel diff %.2e, parameters after %d steps %.2e from 1 GPU (floor %.2e) %s | %s%n",
                    n, prec, r.describe, loss, checkSteps, rel, floor, pass ? "ok" : "FAIL", r.blocks);
        }
        return ok ? 0 : 1;
    }

    record Outcome(double firstLoss, float[] params, String describe, String blocks) {}

    static Outcome train(GpuTraining.Settings s, GpuTraining.Placement place, float[] init, int[][] pos, int steps) {
        LossScaler scaler = s.precision().needsLossScaling() ? LossScaler.dynamicDefaults() : LossScaler.none();
        try (GpuTraining g = new GpuTraining(s, GpuTraining.Start.fresh(init), List.of(), false, pos[0], pos[1], null, null, 0, scaler, place)) {
            double first = g.trainSteps(0, 0, 1, 0, 0f);
            g.trainSteps(0, 1, steps - 1, 1, 0f);
            return new Outcome(first, g.parameters(), g.describe(), String.valueOf(g.userBlocks()));
        }
    }
}
