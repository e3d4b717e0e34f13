package io.ncf.train.host;

import io.ncf.model.ModelKind;
import io.ncf.core.NeuMFConfig;
import io.ncf.model.ParamSet;
import io.ncf.model.fused.TouchedRows;

import java.nio.FloatBuffer;

/**
 * Decoupled weight decay (Loshchilov &amp; Hutter's AdamW) for {@link io.ncf.train.TrainingOptions#embeddingL2()} and
 * {@link io.ncf.train.TrainingOptions#weightL2()}: each applied step shrinks {@code p ← p·(1 − lr·λ)}, for the
 * embedding rows (both branches' tables) of the distinct users and items in the step's samples, and for every
 * dense and final weight (biases are not decayed).
 *
 * <p>Why decoupled and per touched row: an L2 term added to the gradient is divided by Adam's running gradient
 * scale, so a rarely-seen row whose gradient is mostly the L2 term is pulled to zero at the full learning rate
 * whatever λ is (measured: λ = 1e-4 already cost 0.02 HR@10 on ml-latest-small). Decaying only the rows a step
 * trains makes a row's regularization follow how often it is trained, as NCF's Keras code does by regularizing the
 * looked-up embeddings, and costs O(rows touched), not O(table).
 */
final class WeightDecay {

    private final float embedding, weights;
    private final TouchedRows users, items;
    private final NeuMFConfig config;
    private final ModelKind kind;

    /** {@code kind}'s frozen tensors are left alone, so a variant's frozen entries stay as initialised. */
    WeightDecay(NeuMFConfig config, ModelKind kind, float embedding, float weights) {
        this.config = config;
        this.kind = kind;
        this.embedding = embedding;
        this.weights = weights;
        this.users = new TouchedRows(config.numUsers());
        this.items = new TouchedRows(config.numItems());
    }

    /** Decays the parameters a step on samples {@code [from, from+count)} trains, at learning rate {@code lr}. */
    void apply(ParamSet params, int[] sampleUsers, int[] sampleItems, int from, int count, float lr) {
        if (embedding > 0) {
            users.mark(sampleUsers, from, count);
            items.mark(sampleItems, from, count);
            float keep = 1 - lr * embedding;
            if (kind.hasGmf()) {
                rows(params, ParamSet.MF_USER, config.factors(), users, keep);
                rows(params, ParamSet.MF_ITEM, config.factors(), items, keep);
            }
            if (kind.hasMlp()) {
                int half = config.mlpEmbeddingDim();
                rows(params, ParamSet.MLP_USER, half, users, keep);
                rows(params, ParamSet.MLP_ITEM, half, items, keep);
            }
            users.clear();
            items.clear();
        }
        if (weights > 0) {
            float keep = 1 - lr * weights;
            if (kind.hasMlp()) for (int k = 0; k < config.denseLayerCount(); k++) params.get(ParamSet.denseWeight(k)).muli(keep);
            // final_w's frozen rows are 0 (stay 0) except MF's fixed ones, which must not shrink
            if (kind != ModelKind.MF) params.get(ParamSet.FINAL_W).muli(keep);
        }
    }

    private static void rows(ParamSet params, String table, int width, TouchedRows touched, float keep) {
        if (width == 0) return;
        FloatBuffer p = params.get(table).data().asNioFloat();
        int[] r = touched.rows();
        float[] row = new float[width];
        for (int k = 0; k < touched.count(); k++) {
            int base = r[k] * width;
            p.get(base, row, 0, width);
            for (int i = 0; i < width; i++) row[i] *= keep;
            p.put(base, row, 0, width);
        }
    }
}
