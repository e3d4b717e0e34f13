package io.ncf.model.fused;

import io.ncf.model.DropoutMask;
import io.ncf.model.NeuMFConfig;
import io.ncf.model.ParamSet;
import io.ncf.model.TrainingEngine;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.FloatBuffer;

/**
 * NeuMF forward and backward by hand on the CPU: OpenBLAS sgemm (ND4J's bundled one) for the dense layers'
 * nine products, and fused multi-threaded Java kernels for everything else, over buffers allocated once.
 *
 * <p>Layout: every activation is row-major {@code [samples, width]}, one contiguous row per sample, so a
 * gathered embedding row, a dropout-mask row and the final layer's dot product are all sequential reads.
 *
 * <p>Kernels per micro-batch of n samples (L dense layers):
 * <ol>
 *   <li>gather: {@code X0[s] = concat(mlp_user[u], mlp_item[i])}</li>
 *   <li>per layer k: gemm {@code X_{k+1} = X_k W_k}, then one pass of bias + ReLU + dropout mask</li>
 *   <li>one pass for the GMF product, the final layer, the loss, {@code dz = weight (sigmoid(z) - y)}, the
 *       final layer's gradients and the last dense layer's ReLU/dropout backward with its bias gradient</li>
 *   <li>per layer k (top down): gemm {@code dW_k += X_k^T dZ_k} (straight into the gradient table), gemm
 *       {@code dX_k = dZ_k W_k^T}, then one pass of ReLU/dropout backward and bias-gradient sums</li>
 *   <li>scatter-add of the four embedding-row gradients, each worker owning the table rows {@code r % threads == w}
 *       so duplicates accumulate without atomics and in a fixed order (results do not depend on timing)</li>
 * </ol>
 * The dropout mask is not stored: with {@code X = relu(Z) * m} and {@code m} in {0, keep}, the backward factor
 * {@code m * [Z > 0]} equals {@code keep * [X > 0]}.
 *
 * <p>Not thread-safe: one call at a time. The parameters are read in place from the {@link ParamSet}'s
 * off-heap buffers, so an optimizer updating them between calls is seen by the next call.
 */
public final class FusedCpuEngine implements TrainingEngine {

    private final NeuMFConfig config;
    private final ParamSet params;
    private final int microBatch;
    private final Workers workers;
    private final boolean ownsWorkers;

    private final int f, e, layers, lastWidth, maxWidth;
    private final int[] width;               // width[k] = config.layer(k): width of X_k

    // parameters (shared, read in place)
    private final FloatBuffer mfUser, mfItem, mlpUser, mlpItem, finalW, finalB;
    private final FloatBuffer[] bias;
    private final FloatPointer[] weightPtr;

    // activations X_0..X_L and the two backward ping-pong buffers
    private final INDArray[] actArrays;
    private final FloatBuffer[] act;
    private final FloatPointer[] actPtr;
    private final INDArray deltaA, deltaB;
    private final FloatBuffer deltaBufA, deltaBufB;
    private final FloatPointer deltaPtrA, deltaPtrB;
    private final float[] dz;

    // small copies of bias / final weights made once per micro-batch (heap arrays for the inner loops)
    private final float[][] biasCopy;
    private final float[] finalWCopy;

    // per-worker scratch
    private final float[][] maskRow;
    private final float[][] accFinalW;   // [worker][f + last]
    private final float[][] accBias;     // [worker][maxWidth]
    private final double[] accLoss;      // per worker
    private final double[] accFinalB;

    // gradient views, cached for the last grads set seen
    private ParamSet gradsSeen;
    private FloatBuffer gMfUser, gMfItem, gMlpUser, gMlpItem, gFinalW, gFinalB;
    private FloatBuffer[] gBias;
    private FloatPointer[] gWeightPtr;

    /** An engine with its own pool of {@code threads} worker threads (daemons). */
    public FusedCpuEngine(ParamSet params, int microBatchSize, int threads) {
        this(params, microBatchSize, new Workers(threads), true);
    }

    /** An engine sharing a pool (e.g. with {@link AdamKernels}); the pool is not closed with the engine. */
    public FusedCpuEngine(ParamSet params, int microBatchSize, Workers workers) {
        this(params, microBatchSize, workers, false);
    }

    private FusedCpuEngine(ParamSet params, int microBatchSize, Workers workers, boolean ownsWorkers) {
        if (microBatchSize < 1) throw new IllegalArgumentException("micro-batch size must be positive, got " + microBatchSize);
        this.config = params.config();
        this.params = params;
        this.microBatch = microBatchSize;
        this.workers = workers;
        this.ownsWorkers = ownsWorkers;
        this.f = config.factors();
        this.e = config.mlpEmbeddingDim();
        this.layers = config.denseLayerCount();
        this.width = config.layers();
        this.lastWidth = width[layers];
        int mw = 0;
        for (int w : width) mw = Math.max(mw, w);
        this.maxWidth = mw;

        mfUser = floats(params.get(ParamSet.MF_USER), ParamSet.MF_USER);
        mfItem = floats(params.get(ParamSet.MF_ITEM), ParamSet.MF_ITEM);
        mlpUser = floats(params.get(ParamSet.MLP_USER), ParamSet.MLP_USER);
        mlpItem = floats(params.get(ParamSet.MLP_ITEM), ParamSet.MLP_ITEM);
        finalW = floats(params.get(ParamSet.FINAL_W), ParamSet.FINAL_W);
        finalB = floats(params.get(ParamSet.FINAL_B), ParamSet.FINAL_B);
        bias = new FloatBuffer[layers];
        weightPtr = new FloatPointer[layers];
        for (int k = 0; k < layers; k++) {
            bias[k] = floats(params.get(ParamSet.denseBias(k)), ParamSet.denseBias(k));
            weightPtr[k] = Sgemm.pointer(params.get(ParamSet.denseWeight(k)), ParamSet.denseWeight(k));
        }

        actArrays = new INDArray[layers + 1];
        act = new FloatBuffer[layers + 1];
        actPtr = new FloatPointer[layers + 1];
        for (int k = 0; k <= layers; k++) {
            actArrays[k] = Nd4j.createUninitialized(DataType.FLOAT, (long) microBatch, width[k]);
            act[k] = actArrays[k].data().asNioFloat();
            actPtr[k] = Sgemm.pointer(actArrays[k], "activation " + k);
        }
        deltaA = Nd4j.createUninitialized(DataType.FLOAT, (long) microBatch, maxWidth);
        deltaB = Nd4j.createUninitialized(DataType.FLOAT, (long) microBatch, maxWidth);
        deltaBufA = deltaA.data().asNioFloat();
        deltaBufB = deltaB.data().asNioFloat();
        deltaPtrA = Sgemm.pointer(deltaA, "delta A");
        deltaPtrB = Sgemm.pointer(deltaB, "delta B");
        dz = new float[microBatch];

        biasCopy = new float[layers][];
        for (int k = 0; k < layers; k++) biasCopy[k] = new float[width[k + 1]];
        finalWCopy = new float[f + lastWidth];

        int t = workers.threads();
        maskRow = new float[t][maxWidth];
        accFinalW = new float[t][f + lastWidth];
        accBias = new float[t][maxWidth];
        accLoss = new double[t];
        accFinalB = new double[t];
    }

    private static FloatBuffer floats(INDArray a, String name) {
        if (a.dataType() != DataType.FLOAT || a.offset() != 0 || a.ordering() != 'c')
            throw new IllegalArgumentException("parameter '" + name + "' must be a whole FLOAT 'c'-ordered array");
        return a.data().asNioFloat();
    }

    @Override public NeuMFConfig config() { return config; }

    @Override public ParamSet params() { return params; }

    @Override public int microBatchSize() { return microBatch; }

    public Workers workers() { return workers; }

    /** Bytes of off-heap activation buffers this engine holds. */
    public long bufferBytes() {
        long floats = 2L * microBatch * maxWidth;
        for (int w : width) floats += (long) microBatch * w;
        return floats * 4;
    }

    // ------------------------------------------------------------------------------------------------ training

    @Override
    public double accumulateGradients(int[] users, int[] items, float[] labels, int from, int count, float weight,
                                      DropoutMask dropout, long samplePosition, ParamSet grads) {
        checkRange(users, items, from, count);
        if (labels.length < from + count)
            throw new IllegalArgumentException("labels has " + labels.length + " entries, need " + (from + count));
        if (!grads.config().equals(config)) throw new IllegalArgumentException("gradient set is for " + grads.config() + ", engine for " + config);
        bindGrads(grads);
        double loss = 0;
        for (int done = 0; done < count; done += microBatch) {
            int n = Math.min(microBatch, count - done);
            loss += step(users, items, labels, from + done, n, weight, dropout, samplePosition + done);
        }
        return loss;
    }

    private void checkRange(int[] users, int[] items, int from, int count) {
        if (from < 0 || count < 0 || from + count > users.length || from + count > items.length)
            throw new IllegalArgumentException("samples [" + from + ", " + (from + count) + ") out of range for "
                    + users.length + " users / " + items.length + " items");
    }

    private void bindGrads(ParamSet g) {
        if (g == gradsSeen) return;
        gMfUser = floats(g.get(ParamSet.MF_USER), "grad " + ParamSet.MF_USER);
        gMfItem = floats(g.get(ParamSet.MF_ITEM), "grad " + ParamSet.MF_ITEM);
        gMlpUser = floats(g.get(ParamSet.MLP_USER), "grad " + ParamSet.MLP_USER);
        gMlpItem = floats(g.get(ParamSet.MLP_ITEM), "grad " + ParamSet.MLP_ITEM);
        gFinalW = floats(g.get(ParamSet.FINAL_W), "grad " + ParamSet.FINAL_W);
        gFinalB = floats(g.get(ParamSet.FINAL_B), "grad " + ParamSet.FINAL_B);
        gBias = new FloatBuffer[layers];
        gWeightPtr = new FloatPointer[layers];
        for (int k = 0; k < layers; k++) {
            gBias[k] = floats(g.get(ParamSet.denseBias(k)), "grad " + ParamSet.denseBias(k));
            gWeightPtr[k] = Sgemm.pointer(g.get(ParamSet.denseWeight(k)), "grad " + ParamSet.denseWeight(k));
        }
        gradsSeen = g;
    }

    private double step(int[] users, int[] items, float[] labels, int off, int n, float weight, DropoutMask mask, long pos) {
        checkIds(users, items, off, n);
        forward(users, items, off, n, mask, pos);

        // GMF + final layer + loss + top of the backward pass, fused
        for (int j = 0; j < f + lastWidth; j++) finalWCopy[j] = finalW.get(j);
        final float fb = finalB.get(0);
        final float keepTop = mask.isNone() ? 1f : mask.keepValue();
        final FloatBuffer xl = act[layers];
        final FloatBuffer dTop = deltaBufA;
        workers.run(n, (w, a, b) -> {
            float[] accW = accFinalW[w], accB = accBias[w], fw = finalWCopy;
            java.util.Arrays.fill(accW, 0f);
            java.util.Arrays.fill(accB, 0, lastWidth, 0f);
            double loss = 0, sumDz = 0;
            for (int s = a; s < b; s++) {
                int ub = users[off + s] * f, ib = items[off + s] * f;
                float z = fb;
                for (int j = 0; j < f; j++) z += mfUser.get(ub + j) * mfItem.get(ib + j) * fw[j];
                int xb = s * lastWidth;
                for (int j = 0; j < lastWidth; j++) z += xl.get(xb + j) * fw[f + j];
                float y = labels[off + s];
                double zd = z;
                loss += Math.max(zd, 0) - zd * y + Math.log1p(Math.exp(-Math.abs(zd)));
                // sigmoid(z) - y as s(z)(1-y) - s(-z)y: exact for saturated logits, where rounding sigmoid(z)
                // to 1f would zero the small gradients that Adam's normalisation turns into full-size steps
                float g = (float) (weight * (y == 1f ? -1.0 / (1.0 + Math.exp(zd)) : 1.0 / (1.0 + Math.exp(-zd)) * (1 - y) - 1.0 / (1.0 + Math.exp(zd)) * y));
                dz[s] = g;
                sumDz += g;
                for (int j = 0; j < f; j++) accW[j] += g * mfUser.get(ub + j) * mfItem.get(ib + j);
                float gk = g * keepTop;
                for (int j = 0; j < lastWidth; j++) {
                    float x = xl.get(xb + j);
                    accW[f + j] += g * x;
                    float d = x > 0f ? gk * fw[f + j] : 0f;
                    dTop.put(xb + j, d);
                    accB[j] += d;
                }
            }
            accLoss[w] = loss;
            accFinalB[w] = sumDz;
        });
        double loss = 0, sumDz = 0;
        for (int w = 0; w < workers.threads(); w++) {
            loss += accLoss[w];
            sumDz += accFinalB[w];
            addInto(gFinalW, accFinalW[w], f + lastWidth);
            addInto(gBias[layers - 1], accBias[w], lastWidth);
        }
        gFinalB.put(0, gFinalB.get(0) + (float) sumDz);

        // dense layers, top down; cur holds dZ_k
        FloatBuffer cur = deltaBufA, other = deltaBufB;
        FloatPointer curP = deltaPtrA, otherP = deltaPtrB;
        final float keep = keepTop;
        for (int k = layers - 1; k >= 0; k--) {
            int in = width[k], out = width[k + 1];
            Sgemm.gemm(true, false, in, out, n, 1f, actPtr[k], in, curP, out, 1f, gWeightPtr[k], out);
            Sgemm.gemm(false, true, n, in, out, 1f, curP, out, weightPtr[k], out, 0f, otherP, in);
            if (k > 0) reluBackward(other, act[k], in, n, keep, gBias[k - 1]);
            FloatBuffer tb = cur; cur = other; other = tb;
            FloatPointer tp = curP; curP = otherP; otherP = tp;
        }
        scatterEmbeddingGrads(users, items, off, n, cur);
        return loss;
    }

    private static void addInto(FloatBuffer dst, float[] src, int len) {
        for (int j = 0; j < len; j++) dst.put(j, dst.get(j) + src[j]);
    }

    /** In place: d = X > 0 ? d * keep : 0, summing the result per column into the bias gradient. */
    private void reluBackward(FloatBuffer d, FloatBuffer x, int w, int n, float keep, FloatBuffer gBiasK) {
        workers.run(n, (wk, a, b) -> {
            float[] acc = accBias[wk];
            java.util.Arrays.fill(acc, 0, w, 0f);
            for (int s = a; s < b; s++) {
                int base = s * w;
                for (int j = 0; j < w; j++) {
                    float v = x.get(base + j) > 0f ? d.get(base + j) * keep : 0f;
                    d.put(base + j, v);
                    acc[j] += v;
                }
            }
        });
        for (int wk = 0; wk < workers.threads(); wk++) addInto(gBiasK, accBias[wk], w);
    }

    /**
     * Adds the per-sample embedding-row gradients into the four tables. Worker w owns rows with
     * {@code row % threads == w}, so it scans all samples and touches only its rows.
     */
    private void scatterEmbeddingGrads(int[] users, int[] items, int off, int n, FloatBuffer dx0) {
        final int t = workers.threads();
        final int e2 = 2 * e;
        workers.runPerWorker((w, ignoredFrom, ignoredTo) -> {
            float[] fw = finalWCopy;
            for (int s = 0; s < n; s++) {
                int u = users[off + s], i = items[off + s];
                float g = dz[s];
                if (u % t == w) {
                    int ub = u * f, ib = i * f;
                    for (int j = 0; j < f; j++) gMfUser.put(ub + j, gMfUser.get(ub + j) + g * fw[j] * mfItem.get(ib + j));
                    int gb = u * e, xb = s * e2;
                    for (int j = 0; j < e; j++) gMlpUser.put(gb + j, gMlpUser.get(gb + j) + dx0.get(xb + j));
                }
                if (i % t == w) {
                    int ub = u * f, ib = i * f;
                    for (int j = 0; j < f; j++) gMfItem.put(ib + j, gMfItem.get(ib + j) + g * fw[j] * mfUser.get(ub + j));
                    int gb = i * e, xb = s * e2 + e;
                    for (int j = 0; j < e; j++) gMlpItem.put(gb + j, gMlpItem.get(gb + j) + dx0.get(xb + j));
                }
            }
        });
    }

    // ------------------------------------------------------------------------------------------------ forward

    private void checkIds(int[] users, int[] items, int off, int n) {
        int nu = config.numUsers(), ni = config.numItems();
        for (int s = off; s < off + n; s++) {
            if (users[s] < 0 || users[s] >= nu) throw new IllegalArgumentException("user id " + users[s] + " at sample " + s + " outside [0, " + nu + ")");
            if (items[s] < 0 || items[s] >= ni) throw new IllegalArgumentException("item id " + items[s] + " at sample " + s + " outside [0, " + ni + ")");
        }
    }

    /** Fills X_0..X_L for n samples starting at {@code off}; {@code mask} NONE for inference. */
    private void forward(int[] users, int[] items, int off, int n, DropoutMask mask, long pos) {
        final FloatBuffer x0 = act[0];
        final int e2 = 2 * e;
        workers.run(n, (w, a, b) -> {
            for (int s = a; s < b; s++) {
                x0.put(s * e2, mlpUser, users[off + s] * e, e);
                x0.put(s * e2 + e, mlpItem, items[off + s] * e, e);
            }
        });
        for (int k = 0; k < layers; k++) {
            int in = width[k], out = width[k + 1];
            Sgemm.gemm(false, false, n, out, in, 1f, actPtr[k], in, weightPtr[k], out, 0f, actPtr[k + 1], out);
            biasReluDropout(k, n, mask, pos);
        }
    }

    private void biasReluDropout(int k, int n, DropoutMask mask, long pos) {
        final int w = width[k + 1];
        final float[] b = biasCopy[k];
        for (int j = 0; j < w; j++) b[j] = bias[k].get(j);
        final FloatBuffer x = act[k + 1];
        final boolean none = mask.isNone();
        workers.run(n, (wk, from, to) -> {
            float[] m = maskRow[wk];
            for (int s = from; s < to; s++) {
                int base = s * w;
                if (none) {
                    for (int j = 0; j < w; j++) x.put(base + j, Math.max(x.get(base + j) + b[j], 0f));
                } else {
                    mask.fillRow(k, pos + s, w, m, 0);
                    for (int j = 0; j < w; j++) x.put(base + j, Math.max(x.get(base + j) + b[j], 0f) * m[j]);
                }
            }
        });
    }

    // ------------------------------------------------------------------------------------------------ inference

    /** Logits of (users[k], items[k]) for k in [0, count), without dropout. */
    @Override
    public void score(int[] users, int[] items, int count, float[] out) {
        checkRange(users, items, 0, count);
        if (out.length < count) throw new IllegalArgumentException("output has " + out.length + " entries, need " + count);
        for (int done = 0; done < count; done += microBatch) {
            int n = Math.min(microBatch, count - done);
            final int off = done;
            checkIds(users, items, off, n);
            forward(users, items, off, n, DropoutMask.NONE, 0);
            for (int j = 0; j < f + lastWidth; j++) finalWCopy[j] = finalW.get(j);
            final float fb = finalB.get(0);
            final FloatBuffer xl = act[layers];
            workers.run(n, (w, a, b) -> {
                float[] fw = finalWCopy;
                for (int s = a; s < b; s++) {
                    int ub = users[off + s] * f, ib = items[off + s] * f;
                    float z = fb;
                    for (int j = 0; j < f; j++) z += mfUser.get(ub + j) * mfItem.get(ib + j) * fw[j];
                    int xb = s * lastWidth;
                    for (int j = 0; j < lastWidth; j++) z += xl.get(xb + j) * fw[f + j];
                    out[off + s] = z;
                }
            });
        }
    }

    @Override
    public void close() {
        if (ownsWorkers) workers.close();
    }
}
