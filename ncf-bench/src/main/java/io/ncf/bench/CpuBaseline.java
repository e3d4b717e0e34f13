package io.ncf.bench;

import io.ncf.cuda.EpochPlan;
import io.ncf.cuda.ParamLayout;

import io.ncf.train.AdamConfig;
import io.ncf.train.LossScaler;

import io.ncf.model.DropoutMask;
import io.ncf.core.NeuMFConfig;
import io.ncf.model.ParamSet;
import io.ncf.model.fused.AdamKernels;
import io.ncf.model.fused.FusedCpuEngine;
import io.ncf.core.blas.Workers;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Path;

/**
 * The CPU side of the end-to-end comparison: the fused CPU engine trained on a {@link GpuDataset} with the same
 * epochs as the GPU ({@link EpochPlan}: same negatives, same shuffle), the same dropout masks, init, Adam and
 * batch, evaluated with the same ranking rules (the other side: {@code CudaMain train FILE}). Needs ND4J's CPU backend
 * (ncf-bench's Maven class path, or ncf.jar): {@code CpuBaseline FILE [epochs] [batch]}.
 */
public final class CpuBaseline {
    public static void main(String[] args) throws Exception {
        GpuDataset ds = GpuDataset.read(Path.of(args[0]));
        int epochs = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        int batch = args.length > 2 ? Integer.parseInt(args[2]) : 4096;
        long seed = 1;
        float dropout = 0.5f;
        NeuMFConfig cfg = new NeuMFConfig(ds.numUsers(), ds.numItems(), NeuMFConfig.DEFAULT_FACTORS, NeuMFConfig.DEFAULT_LAYERS, dropout);
        ParamLayout layout = new ParamLayout(cfg);
        float[][] init = layout.split(io.ncf.model.ParamInit.nvidia(cfg, seed));
        ParamSet params = ParamSet.zeros(cfg), grads = params.zerosLike(), m = params.zerosLike(), v = params.zerosLike();
        for (int t = 0; t < init.length; t++) params.get(layout.tensors().get(t).name()).data().setData(init[t]);
        AdamConfig adam = AdamConfig.nvidia();
        int threads = Runtime.getRuntime().availableProcessors();
        int[] u = new int[batch], it = new int[batch];
        float[] y = new float[batch];
        long step = 0;
        double bestHr = -1;
        try (Workers w = new Workers(threads); FusedCpuEngine eng = new FusedCpuEngine(params, 16384, w)) {
            for (int e = 0; e < epochs; e++) {
                long t0 = System.nanoTime();
                EpochPlan plan = new EpochPlan(ds.trainUsers().length, 4, seed, e);
                long steps = plan.size() / batch;
                double loss = 0;
                for (long s = 0; s < steps; s++) {
                    plan.fill(s * batch, batch, ds.trainUsers(), ds.trainItems(), ds.numItems(), u, it, y);
                    DropoutMask mask = DropoutMask.forStep(seed, step, dropout);
                    loss += eng.accumulateGradients(u, it, y, 0, batch, 1f / batch, mask, s * batch, grads);
                    step++;
                    AdamKernels.Step st = new AdamKernels.Step(adam.lr(), adam.beta1(), adam.beta2(), adam.eps(), step);
                    for (String n : params.names()) {
                        INDArray p = params.get(n);
                        AdamKernels.dense(w, p.data().asNioFloat(), grads.get(n).data().asNioFloat(), m.get(n).data().asNioFloat(),
                                v.get(n).data().asNioFloat(), (int) p.length(), st, true);
                    }
                }
                double sec = (System.nanoTime() - t0) / 1e9;
                int width = ds.evalWidth(), rows = ds.evalUsers().length;
                int[] su = new int[rows * width];
                for (int i = 0; i < su.length; i++) su[i] = ds.evalUsers()[i / width];
                float[] scores = new float[su.length];
                eng.score(su, ds.evalItems(), su.length, scores);
                long hits = 0;
                double ndcg = 0;
                for (int r = 0; r < rows; r++) {
                    int rank = Check.hostRank(scores, ds.evalItems(), r * width, width);
                    if (rank < 10) { hits++; ndcg += 1 / (Math.log(rank + 2) / Math.log(2)); }
                }
                double hr = (double) hits / rows;
                bestHr = Math.max(bestHr, hr);
                System.out.printf("cpu epoch %2d: loss %.5f HR@10 %.4f NDCG@10 %.4f | %.1f s%n", e, loss / ((double) steps * batch), hr, ndcg / rows, sec);
            }
        }
        System.out.printf("RESULT cpu fused: best HR@10 %.4f%n", bestHr);
    }
}
