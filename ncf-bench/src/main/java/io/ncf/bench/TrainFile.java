package io.ncf.bench;

import io.ncf.cuda.CudaDevice;
import io.ncf.cuda.CudaNeuMF;
import io.ncf.cuda.EpochPlan;
import io.ncf.cuda.GpuTrainer;
import io.ncf.cuda.Precision;

import io.ncf.train.LossScaler;

import io.ncf.train.AdamConfig;

import io.ncf.core.NeuMFConfig;

import java.nio.file.Path;

/**
 * {@code train FILE}: trains NeuMF on a {@link GpuDataset} with the seed's flags (epochs, batch, lr, betas,
 * negatives, dropout, seed), evaluating HR/NDCG@10 after each epoch on the GPU; prints the best epoch.
 */
final class TrainFile {

    private TrainFile() {}

    static int run(CudaMain.Options o) throws Exception {
        GpuDataset ds = GpuDataset.read(Path.of(o.positional(1, "train needs a dataset file (DatasetExporter)")));
        Precision prec = o.precision();
        int epochs = o.getInt("epochs", 20), batch = o.getInt("batch", 4096), negatives = o.getInt("negatives", 4);
        long seed = o.getInt("seed", 1);
        float dropout = o.getFloat("dropout", 0.5f);
        AdamConfig adam = new AdamConfig(o.getFloat("lr", 0.0045f), o.getFloat("beta1", 0.25f), o.getFloat("beta2", 0.5f), o.getFloat("eps", 1e-8f));
        NeuMFConfig cfg = new NeuMFConfig(ds.numUsers(), ds.numItems(), NeuMFConfig.DEFAULT_FACTORS, NeuMFConfig.DEFAULT_LAYERS, dropout);
        try (CudaDevice dev = CudaDevice.open(0);
             CudaNeuMF eng = new CudaNeuMF(dev, cfg, prec, Math.max(batch, 1 << 16))) {
            eng.setParameters(io.ncf.model.ParamInit.nvidia(cfg, seed));
            eng.setPositives(ds.trainUsers(), ds.trainItems());
            eng.setEvalCandidates(ds.evalUsers(), ds.evalItems(), ds.evalWidth());
            LossScaler scaler = prec.needsLossScaling() ? LossScaler.dynamicDefaults() : LossScaler.fixed(1f);
            HarnessStepper tr = new HarnessStepper(new GpuTrainer(eng, seed, ds.trainUsers().length, negatives, batch, 0, 1, null, java.util.List.of(), null), adam, scaler);
            io.ncf.eval.EvalResult m0 = eng.evaluate(10);
            System.out.printf("%s | %s | %s | batch %d | before training HR@10 %.4f NDCG %.4f%n", dev.describe(), cfg, prec, batch, m0.hitRate(), m0.ndcg());
            double bestHr = -1, bestNdcg = 0;
            int bestEpoch = -1;
            long all = System.nanoTime();
            for (int e = 0; e < epochs; e++) {
                EpochPlan plan = tr.plan(e);
                long t = System.nanoTime();
                long steps = tr.stepsPerEpoch();
                for (long s = 0; s < steps; s++) tr.step(plan, s, dropout);
                double loss = eng.takeLossSum() / ((double) steps * batch);
                double sec = (System.nanoTime() - t) / 1e9;
                io.ncf.eval.EvalResult m = eng.evaluate(10);
                if (m.hitRate() > bestHr) { bestHr = m.hitRate(); bestNdcg = m.ndcg(); bestEpoch = e; }
                System.out.printf("epoch %2d: loss %.5f HR@10 %.4f NDCG@10 %.4f | train %.2f s, eval %.3f s%n", e, loss, m.hitRate(), m.ndcg(), sec, m.seconds());
            }
            System.out.printf("RESULT train %s: best HR@10 %.4f NDCG@10 %.4f at epoch %d; %d epochs in %.1f s%n", prec, bestHr, bestNdcg,
                    bestEpoch, epochs, (System.nanoTime() - all) / 1e9);
        }
        return 0;
    }
}
