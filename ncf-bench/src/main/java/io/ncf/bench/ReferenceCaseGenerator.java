package io.ncf.bench;

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
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Writes the equivalence cases the GPU is checked against, computed by the fused CPU engine (io.ncf.model.fused).
 * Not a unit test (its output is carried to a GPU machine and read by {@code CudaMain check}): run
 * ncf-cuda/scripts/make-reference-cases.sh.
 * Usage: {@code ReferenceCaseGenerator out.bin}.
 */
public final class ReferenceCaseGenerator {

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args.length > 0 ? args[0] : "reference-cases.bin");
        List<ReferenceCase> cases = new ArrayList<>();
        AdamConfig adam = AdamConfig.nvidia();
        cases.add(make("small-no-dropout", new NeuMFConfig(37, 29, 8, new int[]{16, 12, 8}, 0f), 300, 11, 0, adam));
        cases.add(make("small-dropout", new NeuMFConfig(37, 29, 8, new int[]{16, 12, 8}, 0.5f), 300, 12, 4321, adam));
        cases.add(make("odd-widths-dropout", new NeuMFConfig(23, 41, 5, new int[]{10, 7, 3}, 0.3f), 257, 13, 77, adam));
        cases.add(make("f8-odd-last-dropout", new NeuMFConfig(31, 27, 8, new int[]{16, 12, 7}, 0.25f), 333, 16, 5, adam));
        cases.add(make("default-shape-dropout", new NeuMFConfig(400, 250, 64, new int[]{256, 256, 128, 64}, 0.5f), 4096, 14, 1_000_000, adam));
        cases.add(make("default-shape-no-dropout", new NeuMFConfig(400, 250, 64, new int[]{256, 256, 128, 64}, 0f), 4096, 15, 0, adam));
        ReferenceCase.write(out, cases);
        System.out.println("wrote " + cases.size() + " cases to " + out.toAbsolutePath());
    }

    static ReferenceCase make(String name, NeuMFConfig c, int batch, long seed, long samplePosition, AdamConfig adam) {
        Random r = new Random(seed);
        int[] u = new int[batch], it = new int[batch];
        float[] y = new float[batch];
        for (int k = 0; k < batch; k++) {
            u[k] = r.nextInt(c.numUsers());
            it[k] = r.nextInt(c.numItems());
            y[k] = r.nextInt(5) == 0 ? 1f : 0f;
        }
        ParamSet params = ParamSet.initialize(c, seed);
        // Embeddings of N(0, 0.01) make every logit ~0; spread them so the check covers real activations.
        for (String n : List.of(ParamSet.MF_USER, ParamSet.MF_ITEM, ParamSet.MLP_USER, ParamSet.MLP_ITEM)) params.get(n).muli(30);
        ParamLayout layout = new ParamLayout(c);
        float[] p0 = flatten(params, layout);
        DropoutMask mask = c.dropout() == 0f ? DropoutMask.NONE : DropoutMask.forStep(seed, 3, c.dropout());
        float weight = 1f / batch;
        ParamSet grads = params.zerosLike();
        double loss;
        // Three micro-batches, none of a single sample: FusedCpuEngine at 554c80b mis-computed a trailing
        // one-sample micro-batch (4096 samples in micro-batches of 1365: loss 3318.4 instead of 2824.9); the
        // engine at 8a79a4c no longer does, but the cases keep clear of that edge.
        try (FusedCpuEngine eng = new FusedCpuEngine(params, (batch + 2) / 3, 2)) {
            loss = eng.accumulateGradients(u, it, y, 0, batch, weight, mask, samplePosition, grads);
        }
        float[] g = flatten(grads, layout);
        ParamSet m = params.zerosLike(), v = params.zerosLike();
        try (Workers w = new Workers(2)) {
            AdamKernels.Step step = new AdamKernels.Step(adam.lr(), adam.beta1(), adam.beta2(), adam.eps(), 1);
            for (String n : params.names()) {
                INDArray p = params.get(n);
                AdamKernels.dense(w, p.data().asNioFloat(), grads.get(n).data().asNioFloat(), m.get(n).data().asNioFloat(),
                        v.get(n).data().asNioFloat(), (int) p.length(), step, false);
            }
        }
        float[] after = flatten(params, layout);
        return new ReferenceCase(name, c, u, it, y, weight, mask.seed(), mask.rate(), samplePosition, p0, loss, g, adam, after);
    }

    static float[] flatten(ParamSet p, ParamLayout layout) {
        float[][] parts = new float[layout.tensors().size()][];
        for (int i = 0; i < parts.length; i++) parts[i] = p.get(layout.tensors().get(i).name()).dup().data().asFloat();
        return layout.join(parts);
    }
}
