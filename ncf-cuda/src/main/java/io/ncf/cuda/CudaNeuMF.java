package io.ncf.cuda;

import io.ncf.core.ParamShapes;
import io.ncf.model.DropoutMask;
import io.ncf.core.NeuMFConfig;
import org.bytedeco.javacpp.FloatPointer;

import static org.bytedeco.cuda.global.cublas.*;
import static org.bytedeco.cuda.global.cudart.*;

/**
 * NeuMF on one GPU: parameters, gradients and Adam moments resident in device memory (one FP32 buffer each, laid
 * out by {@link ParamLayout}), activations for up to {@code maxBatch} samples, and the passes of training and
 * evaluation as cuBLAS GEMMs plus the fused kernels of {@code neumf_kernels.cu}. Same function as the CPU
 * engines: gather, GMF product, dense layers with bias + ReLU + dropout ({@link DropoutMask}'s hash, so masks
 * are identical), final layer, sigmoid cross-entropy, backward, atomic scatter-add of embedding gradients.
 *
 * <p>Plain Java arrays in and out; no ND4J. Not thread-safe: drive one instance from one thread (the one
 * that opened its {@link CudaDevice}, or one that called {@link CudaDevice#makeCurrent}).
 */
public final class CudaNeuMF implements AutoCloseable {

    private static final int BLOCK = 256;

    private final CudaDevice dev;
    private final NeuMFConfig config;
    private final Precision precision;
    private final ParamLayout layout;
    private final KernelModule kernels;
    private final int maxBatch;
    private final int f, e, layers;
    private final int[] width;
    private final int actType, computeType, act;

    private final long params, grads, adamM, adamV;
    private final long[] weightAct;      // dense weights as GEMM inputs (FP32 mode: the master weights themselves)
    private final long users, items, labels, scores;
    private final long gmf;
    private final long[] h;              // activations h[0..layers], h[0] = concat(mlp_user, mlp_item)
    private final long deltaA, deltaB, ones;
    private final long lossSum, flag, evalHits, evalNdcg;
    private final FloatPointer one = new FloatPointer(1f), zero = new FloatPointer(0f);

    private final java.util.List<Long> allocations = new java.util.ArrayList<>();
    private long posUsers, posItems, positives;
    private long evalUsers, evalItems, evalMasked;
    private int evalRows, evalWidth;

    public CudaNeuMF(CudaDevice dev, NeuMFConfig config, Precision precision, int maxBatch) {
        if (maxBatch < 1) throw new IllegalArgumentException("batch size must be positive, got " + maxBatch);
        if (config.finalInputDim() > 32 * 8)
            throw new IllegalArgumentException("the CUDA engine's head kernel handles factors + last layer <= 256, got " + config.finalInputDim());
        this.dev = dev;
        this.config = config;
        this.precision = precision;
        this.layout = new ParamLayout(config);
        this.maxBatch = maxBatch;
        dev.makeCurrent();
        this.kernels = KernelModule.load(dev, precision);
        this.f = config.factors();
        this.e = config.mlpEmbeddingDim();
        this.layers = config.denseLayerCount();
        this.width = config.layers();
        this.act = precision.activationBytes();
        this.actType = precision.cudaDataType();
        this.computeType = precision.cublasComputeType();

        long n = layout.totalLength();
        params = alloc(4 * n);
        grads = alloc(4 * n);
        adamM = alloc(4 * n);
        adamV = alloc(4 * n);
        dev.zero(params, 4 * n);
        dev.zero(grads, 4 * n);
        dev.zero(adamM, 4 * n);
        dev.zero(adamV, 4 * n);
        weightAct = new long[layers];
        for (int k = 0; k < layers; k++) {
            ParamLayout.Tensor w = layout.denseWeight(k);
            weightAct[k] = precision.halfActivations() ? alloc((long) act * w.length()) : params + 4 * w.offset();
        }
        long b = maxBatch;
        users = alloc(4 * b);
        items = alloc(4 * b);
        labels = alloc(4 * b);
        scores = alloc(4 * b);
        gmf = alloc(act * b * f);
        h = new long[layers + 1];
        int maxWidth = 0;
        for (int k = 0; k <= layers; k++) {
            h[k] = alloc(act * b * width[k]);
            maxWidth = Math.max(maxWidth, width[k]);
        }
        deltaA = alloc(act * b * maxWidth);
        deltaB = alloc(act * b * maxWidth);
        ones = alloc(act * b);
        launch("fill_act", grid(b), BLOCK, ones, b, 1f);
        lossSum = alloc(8);
        flag = alloc(8);
        evalHits = alloc(8);
        evalNdcg = alloc(8);
        dev.zero(lossSum, 8);
        dev.synchronize();
    }

    public NeuMFConfig config() { return config; }
    public Precision precision() { return precision; }
    public ParamLayout layout() { return layout; }
    public int maxBatch() { return maxBatch; }
    public CudaDevice device() { return dev; }
    public double kernelCompileSeconds() { return kernels.compileSeconds(); }

    /** Device address and length (floats) of the gradient buffer, for all-reduce across GPUs. */
    public long gradientAddress() { return grads; }
    public long parameterCount() { return layout.totalLength(); }

    private final java.util.Map<String, long[]> timings = new java.util.TreeMap<>();
    private boolean timing;

    /**
     * With timing on, every kernel and GEMM is followed by a device synchronisation and its wall time is added
     * per name: a crude profile (it removes overlap between launches) to see where a step goes.
     */
    public void setTiming(boolean on) { timing = on; timings.clear(); }

    /** Name -> {calls, nanoseconds} since timing was switched on. */
    public java.util.Map<String, long[]> timings() { return java.util.Collections.unmodifiableMap(timings); }

    private void launch(String name, long grid, int block, Object... args) {
        long t0 = timing ? syncNow() : 0;
        kernels.launch(name, grid, block, args);
        if (timing) record(name, t0);
    }

    private long syncNow() {
        dev.synchronize();
        return System.nanoTime();
    }

    private void record(String name, long t0) {
        dev.synchronize();
        long[] t = timings.computeIfAbsent(name, k -> new long[2]);
        t[0]++;
        t[1] += System.nanoTime() - t0;
    }

    private long alloc(long bytes) {
        long a = dev.alloc(bytes);
        allocations.add(a);
        return a;
    }

    /** Whether relu_dropout_bwd_bias4 serves a layer of this width (a thread keeps the same 4 columns on every row). */
    static boolean fusesBias(int width) { return width % 4 == 0 && width <= 1024 && BLOCK % (width / 4) == 0; }

    /**
     * Blocks for relu_dropout_bwd_bias4: each block ends with one atomic per column into the bias gradient, so fewer
     * than the element-wise kernels' (8 per SM, 2,048 threads: a full SM) keep the atomics on those few addresses cheap.
     */
    private long biasGrid(long total) {
        long blocks = (total + BLOCK - 1) / BLOCK;
        return Math.max(1, Math.min(blocks, (long) dev.multiprocessors() * 8));
    }

    private long grid(long total) {
        long blocks = (total + BLOCK - 1) / BLOCK;
        return Math.max(1, Math.min(blocks, (long) dev.multiprocessors() * 32));
    }

    // ---- parameters and state ----

    /** Uploads parameters (flat, in {@link ParamLayout} order) and refreshes the low-precision weight copies. */
    public void setParameters(float[] flat) {
        checkLength(flat, "parameters");
        dev.upload(params, flat, 0, flat.length);
        refreshWeightCopies();
    }

    public float[] parameters() { return downloadAll(params); }

    /** The accumulated (loss-scaled) gradients, flat in {@link ParamLayout} order. */
    public float[] gradients() { return downloadAll(grads); }

    public void setGradients(float[] flat) {
        checkLength(flat, "gradients");
        dev.upload(grads, flat, 0, flat.length);
    }

    public void zeroGradients() { dev.zero(grads, 4 * layout.totalLength()); }

    /** Uploads Adam's moments (flat, {@link ParamLayout} order): a resumed run continues with them. */
    public void setAdamMoments(float[] m, float[] v) {
        checkLength(m, "Adam first moments");
        checkLength(v, "Adam second moments");
        dev.upload(adamM, m, 0, m.length);
        dev.upload(adamV, v, 0, v.length);
    }

    /** Adam's moments, {@code {m, v}}, flat in {@link ParamLayout} order (for a training state). */
    public float[][] adamMoments() { return new float[][]{downloadAll(adamM), downloadAll(adamV)}; }

    /** Zeroes gradient entries {@code [offset, offset+length)} (a model variant's frozen parameters). */
    public void zeroGradients(long offset, long length) {
        if (offset < 0 || length < 0 || offset + length > layout.totalLength())
            throw new IllegalArgumentException("gradient range [" + offset + ", " + (offset + length) + ") outside " + layout.totalLength());
        if (length > 0) dev.zero(grads + 4 * offset, 4 * length);
    }

    public void resetOptimizer() {
        dev.zero(adamM, 4 * layout.totalLength());
        dev.zero(adamV, 4 * layout.totalLength());
    }

    private float[] downloadAll(long src) {
        float[] out = new float[Math.toIntExact(layout.totalLength())];
        dev.download(src, out, 0, out.length);
        return out;
    }

    private void checkLength(float[] flat, String what) {
        if (flat.length != layout.totalLength())
            throw new IllegalArgumentException(what + " have " + flat.length + " floats, " + config + " needs " + layout.totalLength());
    }

    private void refreshWeightCopies() {
        if (!precision.halfActivations()) return;
        for (int k = 0; k < layers; k++) {
            ParamLayout.Tensor w = layout.denseWeight(k);
            launch("to_act", grid(w.length()), BLOCK, params + 4 * w.offset(), weightAct[k], w.length());
        }
    }

    // ---- batches ----

    /** Copies samples {@code [from, from+count)} of host arrays into the device batch. */
    public void setBatch(int[] u, int[] i, float[] y, int from, int count) {
        checkCount(count);
        upload(u, i, y, from, count, users, items, labels);
    }

    private void upload(int[] u, int[] i, float[] y, int from, int count, long toU, long toI, long toY) {
        dev.upload(toU, u, from, count);
        dev.upload(toI, i, from, count);
        dev.upload(toY, y, from, count);
    }

    /** Uploads the training positives once; {@link #makeBatch} draws epochs from them on the device. */
    public void setPositives(int[] u, int[] i) {
        if (u.length != i.length) throw new IllegalArgumentException("positive arrays differ in length: " + u.length + " vs " + i.length);
        if (positives > 0) { dev.free(posUsers); dev.free(posItems); }
        posUsers = alloc(4L * u.length);
        posItems = alloc(4L * i.length);
        dev.upload(posUsers, u, 0, u.length);
        dev.upload(posItems, i, 0, i.length);
        positives = u.length;
    }

    /** Builds epoch positions {@code [t0, t0+count)} of {@code plan} (negatives and shuffle) into the device batch. */
    public void makeBatch(EpochPlan plan, long t0, int count) {
        checkCount(count);
        makeBatchInto(plan, t0, count, users, items, labels);
    }

    /** make_batch of positions {@code [t0, t0+count)} into device arrays {@code u, i, y}. */
    private void makeBatchInto(EpochPlan plan, long t0, int count, long u, long i, long y) {
        if (positives == 0) throw new IllegalStateException("setPositives must be called before makeBatch");
        if (plan.size() != positives * (1L + plan.negatives()))
            throw new IllegalArgumentException("epoch plan of " + plan.size() + " samples does not match " + positives + " positives");
        if (t0 < 0 || t0 + count > plan.size()) throw new IllegalArgumentException("positions [" + t0 + ", " + (t0 + count) + ") outside the epoch");
        launch("make_batch", grid(count), BLOCK, t0, count, plan.size(), plan.halfBits(), plan.permKey(), plan.negKey(),
                plan.negatives(), posUsers, posItems, config.numItems(), u, i, y);
    }

    /** Reads the device batch back (for tests of the sampler). */
    public void readBatch(int count, int[] u, int[] i, float[] y) {
        checkCount(count);
        dev.download(users, u, 0, count);
        dev.download(items, i, 0, count);
        dev.download(labels, y, 0, count);
    }

    private void checkCount(int count) {
        if (count < 1 || count > maxBatch) throw new IllegalArgumentException("batch of " + count + " samples; this engine holds 1.." + maxBatch);
    }

    // ---- training ----

    /**
     * Forward and backward over the {@code count} samples of the device batch, adding
     * {@code d(weight * sum loss)/d(theta)} into the gradients and the unweighted loss sum into the loss
     * accumulator ({@link #takeLossSum}). The dropout row of batch sample k is epoch position {@code samplePosition + k}.
     */
    public void forwardBackward(int count, float weight, DropoutMask mask, long samplePosition) {
        checkCount(count);
        train(count, users, items, labels, 0L, weight, mask, samplePosition);
    }

    /** The training pass over device arrays {@code u, i, y}; {@code posIdx} (0: none) maps row b to dropout row {@code pos + posIdx[b]}. */
    private void train(int count, long users, long items, long labels, long posIdx, float weight, DropoutMask mask, long samplePosition) {
        forward(count, users, items, mask, samplePosition, posIdx);
        int last = width[layers];
        float keep = mask.isNone() ? 1f : mask.keepValue();
        ParamLayout.Tensor mfU = layout.get(ParamShapes.MF_USER), mfI = layout.get(ParamShapes.MF_ITEM);
        ParamLayout.Tensor fw = layout.get(ParamShapes.FINAL_W), fb = layout.get(ParamShapes.FINAL_B);
        long headGrid = Math.max(1, Math.min((count + 7) / 8, (long) dev.multiprocessors() * 16));
        launch("head", headGrid, BLOCK, gmf, h[layers], p(fw), p(fb), labels, users, items, p(mfU), p(mfI),
                count, f, last, weight, keep, deltaA, g(fw), g(fb), g(mfU), g(mfI), lossSum, scores, 0);
        long dZ = deltaA, dH = deltaB;
        boolean biasDone = false;   // whether the relu backward that made dZ also summed its columns into db
        for (int k = layers - 1; k >= 0; k--) {
            int in = width[k], out = width[k + 1];
            ParamLayout.Tensor wk = layout.denseWeight(k), bk = layout.denseBias(k);
            // dW[in,out] += H_k^T dZ  (column-major: dW^T = dZ^T * H_k)
            gemm(CUBLAS_OP_N, CUBLAS_OP_T, out, in, count, dZ, actType, out, h[k], actType, in, 1f, g(wk), CUDA_R_32F, out);
            // db[out] += dZ^T 1
            if (!biasDone) gemm(CUBLAS_OP_N, CUBLAS_OP_N, out, 1, count, dZ, actType, out, ones, actType, count, 1f, g(bk), CUDA_R_32F, out);
            // dH_k[B,in] = dZ W_k^T  (column-major: dH^T = W_k * dZ^T)
            gemm(CUBLAS_OP_T, CUBLAS_OP_N, in, count, out, weightAct[k], actType, out, dZ, actType, out, 0f, dH, actType, in);
            biasDone = false;
            if (k > 0) {
                long n = (long) count * in;
                if (fusesBias(in)) {
                    // the relu backward's result is layer k-1's dZ: its bias gradient comes out of the same pass
                    launch("relu_dropout_bwd_bias4", biasGrid(n / 4), BLOCK, dH, h[k], n / 4, keep, in, g(layout.denseBias(k - 1)));
                    biasDone = true;
                } else if (in % 4 == 0) launch("relu_dropout_bwd4", grid(n / 4), BLOCK, dH, h[k], n / 4, keep);
                else launch("relu_dropout_bwd", grid(n), BLOCK, dH, h[k], n, keep);
            }
            long t = dZ; dZ = dH; dH = t;
        }
        ParamLayout.Tensor mlpU = layout.get(ParamShapes.MLP_USER), mlpI = layout.get(ParamShapes.MLP_ITEM);
        if (e % 4 == 0) launch("scatter_mlp4", grid((long) count * e / 2), BLOCK, dZ, users, items, count, e, g(mlpU), g(mlpI));
        else launch("scatter_mlp", grid((long) count * 2 * e), BLOCK, dZ, users, items, count, e, g(mlpU), g(mlpI));
    }

    // ---- user-sharded data parallelism (GpuTraining.Exchange.USER_SHARDS) ----

    private long gUsers, gItems, gLabels, sUsers, sItems, sLabels, sPos, selected;
    private int globalBatch;

    /**
     * Allocates the buffers of user-sharded steps: the whole global batch of {@code batch} samples (every rank's share,
     * after the all-gather) and the samples this GPU keeps out of it, with their positions in the batch.
     */
    public void enableUserSharding(int batch) {
        if (globalBatch != 0) throw new IllegalStateException("user sharding is already enabled");
        if (batch < 1) throw new IllegalArgumentException("global batch must be positive, got " + batch);
        long b = batch;
        gUsers = alloc(4 * b); gItems = alloc(4 * b); gLabels = alloc(4 * b);
        sUsers = alloc(4 * b); sItems = alloc(4 * b); sLabels = alloc(4 * b); sPos = alloc(4 * b);
        selected = alloc(8);
        globalBatch = batch;
    }

    /** Device addresses of the global batch's users, items and labels ({@code int, int, float} × batch), for the all-gather. */
    public long[] globalBatchAddresses() {
        requireSharding();
        return new long[]{gUsers, gItems, gLabels};
    }

    /** Builds epoch positions {@code [t0, t0+count)} of {@code plan} into the global batch at sample {@code at}. */
    public void makeBatchAt(EpochPlan plan, long t0, int count, int at) {
        requireSharding();
        checkShare(count, at);
        makeBatchInto(plan, t0, count, gUsers + 4L * at, gItems + 4L * at, gLabels + 4L * at);
    }

    /** Copies host samples {@code [0, count)} into the global batch at sample {@code at} (checked negatives). */
    public void setBatchAt(int[] u, int[] i, float[] y, int count, int at) {
        requireSharding();
        checkShare(count, at);
        upload(u, i, y, 0, count, gUsers + 4L * at, gItems + 4L * at, gLabels + 4L * at);
    }

    /**
     * Keeps the global batch's samples whose user is in {@code [lo, hi)} (their batch positions too) and returns how
     * many (synchronises: the GEMMs' sizes are host arguments).
     */
    public int selectOwned(int lo, int hi) {
        requireSharding();
        dev.zero(selected, 4);
        launch("select_owned", grid(globalBatch), BLOCK, gUsers, gItems, gLabels, globalBatch, lo, hi, sUsers, sItems, sLabels, sPos, selected);
        int[] c = new int[1];
        dev.download(selected, c, 0, 1);
        return c[0];
    }

    /**
     * Forward and backward over kept samples {@code [from, from+count)} (at most {@link #maxBatch} at once), adding
     * into the gradients as {@link #forwardBackward} does; kept sample k's dropout row is {@code batchStart} plus its
     * position in the global batch, as on a single GPU.
     */
    public void forwardBackwardKept(int from, int count, float weight, DropoutMask mask, long batchStart) {
        requireSharding();
        checkCount(count);
        if (from < 0 || from + count > globalBatch) throw new IllegalArgumentException("kept samples [" + from + ", " + (from + count) + ") outside the batch of " + globalBatch);
        long o = 4L * from;
        train(count, sUsers + o, sItems + o, sLabels + o, sPos + o, weight, mask, batchStart);
    }

    private void requireSharding() {
        if (globalBatch == 0) throw new IllegalStateException("enableUserSharding must be called first");
    }

    private void checkShare(int count, int at) {
        if (count < 1 || at < 0 || (long) at + count > globalBatch)
            throw new IllegalArgumentException("samples [" + at + ", " + ((long) at + count) + ") outside the global batch of " + globalBatch);
    }

    /** The engine's four FP32 buffers, each {@link #parameterCount} floats in {@link ParamLayout} order. */
    public enum Buffer { PARAMETERS, GRADIENTS, ADAM_M, ADAM_V }

    /** Device address of one of the engine's buffers (for collectives across GPUs). */
    public long address(Buffer b) {
        return switch (b) {
            case PARAMETERS -> params;
            case GRADIENTS -> grads;
            case ADAM_M -> adamM;
            case ADAM_V -> adamV;
        };
    }

    /** Device address of the step's overflow flag (one int: 0 finite), for summing it across GPUs. */
    public long flagAddress() { return flag; }

    /** Clears the overflow flag; {@link #checkFinite} then sets it where a gradient is inf/NaN. */
    public void clearFlag() { dev.zero(flag, 4); }

    /** Marks the flag if a gradient in {@code [offset, offset+length)} is inf or NaN (offset a multiple of 4 floats). */
    public void checkFinite(long offset, long length) {
        checkRange(offset, length);
        if (length > 0) launch("check_finite", vectorGrid(length), BLOCK, grads + 4 * offset, length, flag);
    }

    /**
     * Adam over the given {offset, length} ranges only (each offset a multiple of 4 floats), gated by the flag as
     * {@link #adamStep} is, clearing their gradients; refreshes the low-precision weight copies. Returns whether the
     * flag said finite.
     */
    public boolean adamStepOn(java.util.List<long[]> ranges, io.ncf.train.AdamConfig adam, long step, float lossScale) {
        for (long[] r : ranges) {
            checkRange(r[0], r[1]);
            if (r[1] == 0) continue;
            long o = 4 * r[0];
            launch("adam", vectorGrid(r[1]), BLOCK, params + o, grads + o, adamM + o, adamV + o, r[1],
                    adam.stepSize(step), adam.beta1(), adam.beta2(), adam.eps(), adam.invBias2Sqrt(step), 1f / lossScale, flag);
        }
        refreshWeightCopies();
        int[] fl = new int[1];
        dev.download(flag, fl, 0, 1);
        return fl[0] == 0;
    }

    /** Blocks for the 16-byte kernels (check_finite, adam): a thread per 4 floats, the tail read by the first threads. */
    private static long vectorGrid(long n) { return Math.max(1, (n / 4 + BLOCK - 1) / BLOCK); }

    private void checkRange(long offset, long length) {
        if (offset < 0 || length < 0 || offset + length > layout.totalLength() || offset % 4 != 0)
            throw new IllegalArgumentException("range [" + offset + ", " + (offset + length) + ") is not a 16-byte-aligned range of " + layout.totalLength());
    }

    /** {@code dst[0..n) += src[0..n)} on this engine's device, floats or ints (the sum of collectives of ranks sharing a GPU). */
    void addInto(long dst, long src, long n, boolean ints) {
        if (n > 0) launch(ints ? "add_i32" : "add_f32", grid(n), BLOCK, dst, src, n);
    }

    /** The loss summed since the last call (synchronises with the GPU), then resets it. */
    public double takeLossSum() {
        double v = dev.downloadDouble(lossSum);
        dev.zero(lossSum, 8);
        return v;
    }

    /**
     * One Adam step (1-based {@code step}) on all parameters with the gradients divided by {@code lossScale},
     * clearing the gradients. Returns false, leaving parameters and moments untouched, if a gradient was inf/NaN.
     */
    public boolean adamStep(io.ncf.train.AdamConfig adam, long step, float lossScale) {
        long n = layout.totalLength();
        clearFlag();
        checkFinite(0, n);
        return adamStepOn(java.util.List.of(new long[]{0, n}), adam, step, lossScale);
    }

    // ---- inference and evaluation ----

    private void forward(int count, long u, long i, DropoutMask mask, long pos) { forward(count, u, i, mask, pos, 0L); }

    private void forward(int count, long u, long i, DropoutMask mask, long pos, long posIdx) {
        ParamLayout.Tensor mfU = layout.get(ParamShapes.MF_USER), mfI = layout.get(ParamShapes.MF_ITEM);
        ParamLayout.Tensor mlpU = layout.get(ParamShapes.MLP_USER), mlpI = layout.get(ParamShapes.MLP_ITEM);
        if (f % 4 == 0 && e % 4 == 0)
            launch("gather4", grid((long) count * (f + 2 * e) / 4), BLOCK, u, i, count, p(mfU), p(mfI), p(mlpU), p(mlpI), f, e, gmf, h[0]);
        else
            launch("gather", grid((long) count * (f + 2 * e)), BLOCK, u, i, count, p(mfU), p(mfI), p(mlpU), p(mlpI), f, e, gmf, h[0]);
        int threshold = mask.isNone() ? 0 : Math.round(mask.rate() * 65536f);
        float keep = mask.isNone() ? 1f : mask.keepValue();
        for (int k = 0; k < layers; k++) {
            int in = width[k], out = width[k + 1];
            // H_{k+1}[B,out] = H_k W_k  (column-major: H_{k+1}^T = W_k^T(out x in) * H_k^T(in x B))
            gemm(CUBLAS_OP_N, CUBLAS_OP_N, out, count, in, weightAct[k], actType, out, h[k], actType, in, 0f, h[k + 1], actType, out);
            launch("bias_relu_dropout", grid((long) count * ((out + 3) / 4)), BLOCK, h[k + 1], p(layout.denseBias(k)),
                    count, out, k, mask.seed(), threshold, keep, pos, posIdx);
        }
    }

    private void scoreDevice(int count, long u, long i) {
        forward(count, u, i, DropoutMask.NONE, 0);
        ParamLayout.Tensor mfU = layout.get(ParamShapes.MF_USER), mfI = layout.get(ParamShapes.MF_ITEM);
        ParamLayout.Tensor fw = layout.get(ParamShapes.FINAL_W), fb = layout.get(ParamShapes.FINAL_B);
        long headGrid = Math.max(1, Math.min((count + 7) / 8, (long) dev.multiprocessors() * 16));
        launch("head", headGrid, BLOCK, gmf, h[layers], p(fw), p(fb), labels, u, i, p(mfU), p(mfI),
                count, f, width[layers], 1f, 1f, deltaA, g(fw), g(fb), g(mfU), g(mfI), lossSum, scores, 1);
    }

    /** Logits of (user, item) pairs, no dropout (the {@code Scorer} contract). */
    public void score(int[] u, int[] i, int count, float[] out) {
        for (int done = 0; done < count; done += maxBatch) {
            int n = Math.min(maxBatch, count - done);
            dev.upload(users, u, done, n);
            dev.upload(items, i, done, n);
            scoreDevice(n, users, items);
            dev.download(scores, out, done, n);
        }
    }

    /**
     * Uploads evaluation candidates (row r: user {@code rowUsers[r]}, items {@code candidates[r*width ..]} with the
     * held-out item first) and marks duplicates on the device, once per candidate set.
     */
    public void setEvalCandidates(int[] rowUsers, int[] candidates, int width) {
        if (width < 1 || candidates.length != (long) rowUsers.length * width)
            throw new IllegalArgumentException("candidates: " + candidates.length + " items for " + rowUsers.length + " users × " + width);
        if (width > maxBatch) throw new IllegalArgumentException("candidate rows of " + width + " exceed the batch of " + maxBatch);
        long total = candidates.length;
        long rows = alloc(4L * rowUsers.length);
        evalUsers = alloc(4 * total);
        evalItems = alloc(4 * total);
        evalMasked = alloc(total);
        dev.upload(rows, rowUsers, 0, rowUsers.length);
        dev.upload(evalItems, candidates, 0, candidates.length);
        launch("expand_users", grid(total), BLOCK, rows, rowUsers.length, width, evalUsers);
        launch("dup_mask", grid(total), BLOCK, evalItems, rowUsers.length, width, evalMasked);
        evalRows = rowUsers.length;
        evalWidth = width;
        dev.synchronize();
    }

    /** HR@k and NDCG@k over the candidate set, scored, ranked and reduced on the GPU. */
    public io.ncf.eval.EvalResult evaluate(int k) {
        if (evalRows == 0) throw new IllegalStateException("setEvalCandidates must be called before evaluate");
        if (k < 1 || k > evalWidth) throw new IllegalArgumentException("--topk " + k + " outside 1.." + evalWidth);
        long t0 = System.nanoTime();
        dev.zero(evalHits, 8);
        dev.zero(evalNdcg, 8);
        int rowsPerChunk = maxBatch / evalWidth;
        for (int r0 = 0; r0 < evalRows; r0 += rowsPerChunk) {
            int rows = Math.min(rowsPerChunk, evalRows - r0);
            long off = (long) r0 * evalWidth;
            scoreDevice(rows * evalWidth, evalUsers + 4 * off, evalItems + 4 * off);
            launch("rank_metrics", grid(rows), BLOCK, scores, evalMasked + off, rows, evalWidth, k, evalHits, evalNdcg);
        }
        long hits = dev.downloadLong(evalHits);
        double ndcg = dev.downloadDouble(evalNdcg);
        return new io.ncf.eval.EvalResult((double) hits / evalRows, ndcg / evalRows, k, evalRows, (long) evalRows * evalWidth,
                (System.nanoTime() - t0) / 1e9);
    }

    // ---- helpers ----

    private long p(ParamLayout.Tensor t) { return params + 4 * t.offset(); }

    private long g(ParamLayout.Tensor t) { return grads + 4 * t.offset(); }

    private void gemm(int opA, int opB, int m, int n, int k, long a, int aType, int lda, long b, int bType, int ldb,
                      float beta, long c, int cType, int ldc) {
        long t0 = timing ? syncNow() : 0;
        CudaDevice.checkBlas(cublasGemmEx(dev.cublas(), opA, opB, m, n, k, one, CudaDevice.ptr(a), aType, lda,
                CudaDevice.ptr(b), bType, ldb, beta == 0f ? zero : one, CudaDevice.ptr(c), cType, ldc, computeType,
                CUBLAS_GEMM_DEFAULT), "cublasGemmEx(" + m + "x" + n + "x" + k + ")");
        if (timing) record("gemm " + (opA == CUBLAS_OP_N ? "N" : "T") + (opB == CUBLAS_OP_N ? "N" : "T") + " " + m + "x" + n + "x" + k, t0);
    }

    /** Frees this engine's device memory (the device and its context stay open). */
    @Override public void close() {
        dev.makeCurrent();
        dev.synchronize();
        for (long a : allocations) dev.free(a);
        allocations.clear();
    }
}
