package io.ncf.model.fused;

import io.ncf.core.blas.Blas;
import io.ncf.core.blas.HalfFormat;
import io.ncf.core.blas.NativeKernels;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.ShortPointer;

import io.ncf.core.blas.Workers;

import io.ncf.model.DropoutMask;
import io.ncf.core.NeuMFConfig;
import io.ncf.model.ParamSet;
import io.ncf.model.GradientEngine;
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
 * <p>A call's samples are first grouped by user ({@link SampleOrder}; each keeps its dropout position), so the
 * embedding tables are walked in order. Kernels per micro-batch of n samples (L dense layers):
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
public final class FusedCpuEngine implements GradientEngine {

    private final NeuMFConfig config;
    private final ParamSet params;
    private final int microBatch;
    private final Workers workers;
    private final boolean ownsWorkers;
    private final boolean splitGemm;

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
    private final float[][] accFinalW;   // [worker][f + last]
    private final float[][] accBias;     // [worker][maxWidth]
    private final double[] accLoss;      // per worker
    private final double[] accFinalB;
    private final float[][] rowA, rowB;  // [worker][maxWidth]: rows copied on-heap, where C2 vectorises the loops
    private final float[][] userRow;     // [worker][maxWidth]: scoring: the current user's projected row (+ b0) during a run of its candidates
    private MaskRows maskRows;           // the dropout mask writer of the last mask seen
    private final float[][] maskRow;     // [worker][maxWidth]: one row's dropout mask, drawn before the vector loop
    private final long[][] maskDraws;    // [worker][MaskRows.draws(maxWidth)]: a row's kept-lane bits (MaskRows scratch)
    private final float[][] tileA, tileB; // [worker][TILE * maxWidth]: blocks of rows copied on-heap
    private final float[][][] tiles;      // [worker][NTILES][TILE * max(maxWidth, f)]: more per-worker tiles
    private static final int NTILES = 7;
    private final float[][] biasTile;     // [layer][TILE * width]: the bias repeated per row, for flat tile loops
    private final float[] finalWTile;     // [TILE * lastWidth]: the MLP part of the final weights, repeated per row

    /**
     * Rows per on-heap tile: a block copy in and out (memcpy) amortised over enough rows, while two tiles of the
     * widest layer (2 x 32 KB at width 256) stay in L1/L2.
     */
    static final int TILE = 32;

    /*
     * Why flat loops: C2 (JDK 17) vectorises a loop whose arrays are all indexed i from 0, but not one like
     * t[base + j] + b[j] where the arrays' offsets differ (measured 10-15x slower per element here, as slow as
     * element-wise direct-buffer access), and short per-row loops spend much of their time outside the vector
     * main loop. So every element-wise kernel runs over a whole tile of rows as one flat loop, with per-column
     * operands (bias, final weights) repeated per row in tile-sized arrays and per-column sums accumulated in
     * tile-sized arrays that are folded to one row at the end of the kernel.
     */

    /** Names of the timed phases, in the order of {@link #phaseNanos()}. */
    public static final String[] PHASES = {"gather", "bias+relu+dropout", "final+loss", "relu backward", "scatter-add", "score final", "zero dZ0 accumulators", "sort by user"};
    private final long[] phaseNanos = new long[PHASES.length];

    /**
     * How the first dense layer is computed. PER_SAMPLE: a gemm over the gathered {@code [n, 2e]} embeddings, as for
     * every other layer. FACTORED: {@code concat(u, i) W0 = u W0[0:e] + i W0[e:2e]}, so the engine projects the two
     * MLP tables through W0 once per parameter change and gathers two projected rows per sample; backward
     * scatter-adds each sample's {@code dZ0} row into per-user/per-item accumulators and turns them into the W0 and
     * table gradients with four table-sized gemms in {@link #finishGradients}. Its cost scales with users + items,
     * the per-sample one with the samples of a step. AUTO: FACTORED once the caller follows the
     * {@link GradientEngine} step protocol and its last global step had at least users + items samples; scoring
     * factors when the projections are current or the call scores at least (users + items) / 2 samples.
     */
    public enum FirstLayer { AUTO, PER_SAMPLE, FACTORED }

    private FirstLayer firstLayer = FirstLayer.AUTO;
    /** {@code -Dncf.fused.sortSamples=false} turns {@link #setSortSamples} off by default: for A/B timings of whole runs. */
    private boolean sortSamples = sortSamplesDefault(System.getProperty("ncf.fused.sortSamples"));
    private final SampleOrder order = new SampleOrder();
    private final int w1;                                   // width of the first dense layer
    private INDArray projUserArr, projItemArr, accUserArr, accItemArr;
    private FloatBuffer projUser, projItem, accUser, accItem;
    private FloatPointer projUserPtr, projItemPtr, accUserPtr, accItemPtr;
    private final FloatPointer mlpUserPtr, mlpItemPtr;
    private boolean projectionsCurrent;
    private long projectionVersion, scoreItemVersion = -1;   // scoring's item table is rebuilt when the projections are
    private INDArray scoreItemArr;
    private FloatBuffer scoreItem;
    private boolean paramsProtocol, gradsProtocol;          // the caller has called parametersChanged / finishGradients
    private boolean wholeSteps;                             // promiseWholeSteps: decide a step from its one call
    private long samplesThisStep, lastStepSamples;
    private boolean deferring;                              // this step's W0 and MLP-table gradients wait for finishGradients
    private ParamSet deferredGrads;
    private FloatPointer gMlpUserPtr, gMlpItemPtr;

    // gradient views, cached for the last grads set seen
    private ParamSet gradsSeen;
    private FloatBuffer gMfUser, gMfItem, gMlpUser, gMlpItem, gFinalW, gFinalB;
    private FloatBuffer[] gBias;
    private FloatPointer[] gWeightPtr;

    /** An engine with its own pool of {@code threads} worker threads (daemons). */
    public FusedCpuEngine(ParamSet params, int microBatchSize, int threads) {
        this(params, microBatchSize, new Workers(threads), true, true);
    }

    /** A 16-bit engine (see the {@link HalfFormat} constructor; null: FP32) with its own pool of {@code threads} workers. */
    public FusedCpuEngine(ParamSet params, int microBatchSize, int threads, HalfFormat half) {
        this(params, microBatchSize, new Workers(threads), true, true, half);
    }

    /** An engine sharing a pool (e.g. with {@link AdamKernels}); the pool is not closed with the engine. */
    public FusedCpuEngine(ParamSet params, int microBatchSize, Workers workers) {
        this(params, microBatchSize, workers, false, true);
    }

    /**
     * @param splitGemm true: the engine splits every product over its own workers, each running a single-threaded
     *                  sgemm (OpenBLAS's pool is set to one thread for the duration of each call); false: one
     *                  sgemm call with OpenBLAS's own threading
     */
    public FusedCpuEngine(ParamSet params, int microBatchSize, Workers workers, boolean splitGemm) {
        this(params, microBatchSize, workers, false, splitGemm, null);
    }

    /**
     * An engine whose training products take 16-bit inputs ({@code half}; null: FP32) with FP32 accumulation: the
     * activations and their gradients are written in 16 bits by the element-wise kernels that produce them, the dense
     * weights are rounded once per call; master weights, gradients, the head, the loss and the factored first layer's
     * tables stay FP32. Scoring stays FP32. Needs {@link NativeKernels#trainingAvailable()}; the products run on the
     * {@link Blas} backend's {@link Blas.Backend#gemm16} (16-bit hardware where it has it: the caller decides whether
     * that is fast enough, see {@link Blas.Backend#gemm16Reason}).
     */
    public FusedCpuEngine(ParamSet params, int microBatchSize, Workers workers, HalfFormat half) {
        this(params, microBatchSize, workers, false, true, half);
    }

    private FusedCpuEngine(ParamSet params, int microBatchSize, Workers workers, boolean ownsWorkers, boolean splitGemm) {
        this(params, microBatchSize, workers, ownsWorkers, splitGemm, null);
    }

    private FusedCpuEngine(ParamSet params, int microBatchSize, Workers workers, boolean ownsWorkers, boolean splitGemm, HalfFormat half) {
        if (microBatchSize < 1) throw new IllegalArgumentException("micro-batch size must be positive, got " + microBatchSize);
        this.config = params.config();
        this.params = params;
        this.microBatch = microBatchSize;
        this.workers = workers;
        this.ownsWorkers = ownsWorkers;
        this.splitGemm = splitGemm;
        this.f = config.factors();
        this.e = config.mlpEmbeddingDim();
        this.layers = config.denseLayerCount();
        this.width = config.layers();
        this.lastWidth = width[layers];
        int mw = 0;
        for (int w : width) mw = Math.max(mw, w);
        this.maxWidth = mw;
        this.w1 = width[1];
        this.half = half;
        if (half != null) {
            if (!NativeKernels.trainingAvailable())
                throw new IllegalStateException("16-bit (" + half + ") training needs ncf's AVX-512 kernels: " + NativeKernels.status()
                        + (NativeKernels.loaded() ? " (without AVX-512 DQ/BW/VL)" : ""));
            if (maxWidth > NativeKernels.MAX_TRAINING_WIDTH)
                throw new IllegalArgumentException("16-bit training takes layers up to " + NativeKernels.MAX_TRAINING_WIDTH + " wide, got " + maxWidth);
        }

        mfUser = floats(params.get(ParamSet.MF_USER), ParamSet.MF_USER);
        mfItem = floats(params.get(ParamSet.MF_ITEM), ParamSet.MF_ITEM);
        mlpUser = floats(params.get(ParamSet.MLP_USER), ParamSet.MLP_USER);
        mlpItem = floats(params.get(ParamSet.MLP_ITEM), ParamSet.MLP_ITEM);
        finalW = floats(params.get(ParamSet.FINAL_W), ParamSet.FINAL_W);
        finalB = floats(params.get(ParamSet.FINAL_B), ParamSet.FINAL_B);
        mlpUserPtr = Sgemm.pointer(params.get(ParamSet.MLP_USER), ParamSet.MLP_USER);
        mlpItemPtr = Sgemm.pointer(params.get(ParamSet.MLP_ITEM), ParamSet.MLP_ITEM);
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
        accFinalW = new float[t][f + lastWidth];
        accBias = new float[t][maxWidth];
        accLoss = new double[t];
        accFinalB = new double[t];
        rowA = new float[t][Math.max(maxWidth, f)];
        rowB = new float[t][Math.max(maxWidth, f)];
        maskRow = new float[t][maxWidth];
        maskDraws = new long[t][MaskRows.draws(maxWidth)];
        userRow = new float[t][maxWidth];
        tileA = new float[t][TILE * Math.max(maxWidth, lastWidth + f)];   // scoring's last layer rows carry the GMF columns
        tileB = new float[t][TILE * maxWidth];
        tiles = new float[t][NTILES][TILE * Math.max(maxWidth, f)];
        scoreTileUser = new int[t][TILE];
        biasTile = new float[layers][];
        for (int k = 0; k < layers; k++) biasTile[k] = new float[TILE * width[k + 1]];
        finalWTile = new float[TILE * lastWidth];
        if (half != null) {
            biasPtr = new FloatPointer[layers];
            act16 = new ShortPointer[layers + 1];
            weight16 = new ShortPointer[layers];
            for (int k = 0; k < layers; k++) {
                biasPtr[k] = Sgemm.pointer(params.get(ParamSet.denseBias(k)), ParamSet.denseBias(k));
                weight16[k] = new ShortPointer((long) width[k] * width[k + 1]);
            }
            for (int k = 0; k <= layers; k++) act16[k] = new ShortPointer((long) microBatch * width[k]);
            deltaHA = new ShortPointer((long) microBatch * maxWidth);
            deltaHB = new ShortPointer((long) microBatch * maxWidth);
            rowStates = new LongPointer(microBatch);
            rowStatesHeap = new long[microBatch];
            biasAcc16 = new FloatPointer[t];
            for (int w = 0; w < t; w++) biasAcc16[w] = new FloatPointer(maxWidth);
        } else {
            biasPtr = null; act16 = null; weight16 = null; deltaHA = deltaHB = null; rowStates = null; rowStatesHeap = null;
            biasAcc16 = null;
        }
    }

    // the 16-bit training path (half != null); all null for FP32
    private final HalfFormat half;
    private final FloatPointer[] biasPtr;
    private final ShortPointer[] act16;       // X_k in 16 bits, [microBatch, width[k]]
    private final ShortPointer[] weight16;    // W_k rounded to 16 bits once per call
    private final ShortPointer deltaHA, deltaHB;   // dZ in 16 bits (the FP32 products' outputs use deltaA/deltaB)
    private final LongPointer rowStates;      // one layer's dropout row states for a micro-batch
    private final long[] rowStatesHeap;
    private final FloatPointer[] biasAcc16;   // [worker][maxWidth]: bias-gradient column sums

    /** The 16-bit format of the training products' inputs, or null for FP32. */
    public HalfFormat halfFormat() { return half; }

    // ncf's scatter kernel (FP32, bit-identical to the Java loop) and what it reads off-heap
    private boolean nativeScatter = NativeKernels.trainingAvailable();
    private IntPointer idsUser, idsItem;      // the micro-batch's ids off-heap (ncf's gather and scatter), made on first use
    private FloatPointer scatterDz;
    private FloatPointer mfUserPtr, mfItemPtr, finalWPtr, gMfUserPtr, gMfItemPtr;

    /** Whether the embedding-gradient scatter runs on ncf's AVX-512 kernel (the default where it loads) or in Java; the same bits either way. */
    public void setNativeScatter(boolean on) {
        if (on && !NativeKernels.trainingAvailable()) throw new IllegalStateException("ncf's AVX-512 kernels do not run here: " + NativeKernels.status());
        nativeScatter = on;
    }

    // AMX-BF16 layer kernels (products with fused epilogues), where the CPU has them and the layer's shape fits
    private boolean amx = NativeKernels.amxAvailable();
    private ShortPointer[] packedW, packedWT;   // W_k and W_k^T in the AMX kernels' B layout, packed once per call

    /**
     * Whether BF16 layers whose widths fit (multiples of 32 and 16) run on ncf's AMX kernels with fused epilogues
     * (on by default where AMX-BF16 is available) or on the BLAS's 16-bit products plus separate epilogue passes;
     * the two differ only in FP32 summation order. For A/B timings and tests; only between calls.
     */
    public void setAmxKernels(boolean on) {
        if (on && !NativeKernels.amxAvailable()) throw new IllegalStateException("the AMX kernels do not run here");
        amx = on;
    }

    public boolean amxKernels() { return amx && half == HalfFormat.BF16; }

    /** Layer k's forward on AMX: W_k is in x out with in % 32 == 0 and out % 16 == 0. */
    private boolean amxForward(int k) { return amxKernels() && NativeKernels.amxShape(width[k], width[k + 1]); }

    /** Layer k's input gradient (k > 0) on AMX: dZ_k W_k^T with out % 32 == 0 and in % 16 == 0. */
    private boolean amxBackward(int k) { return amxKernels() && k > 0 && NativeKernels.amxShape(width[k + 1], width[k]); }

    private static FloatBuffer floats(INDArray a, String name) {
        if (a.dataType() != DataType.FLOAT || a.offset() != 0 || a.ordering() != 'c')
            throw new IllegalArgumentException("parameter '" + name + "' must be a whole FLOAT 'c'-ordered array");
        return a.data().asNioFloat();
    }

    @Override public NeuMFConfig config() { return config; }

    @Override public ParamSet params() { return params; }

    @Override public int microBatchSize() { return microBatch; }

    public Workers workers() { return workers; }

    /**
     * Cumulative CPU nanoseconds of the calling thread per non-gemm phase (see {@link #PHASES}); gemm is counted
     * separately. CPU time, not wall time, so a profile on a machine shared with other jobs still means something;
     * with one worker thread it is the whole cost of each phase.
     */
    public long[] phaseNanos() { return phaseNanos.clone(); }

    public void resetPhaseNanos() { java.util.Arrays.fill(phaseNanos, 0); }

    /** Bytes of off-heap activation buffers this engine holds (with the factored first layer's tables, once made). */
    public long bufferBytes() {
        long floats = 2L * microBatch * maxWidth;
        for (int w : width) floats += (long) microBatch * w;
        long rows = (long) config.numUsers() + config.numItems();
        if (projUserArr != null) floats += rows * w1;
        if (accUserArr != null) floats += rows * w1;
        if (scoreItemArr != null) floats += (long) config.numItems() * (w1 + f);
        return floats * 4;
    }

    public FirstLayer firstLayer() { return firstLayer; }

    /** Chooses how the first dense layer is computed (see {@link FirstLayer}); only between global steps. */
    public void setFirstLayer(FirstLayer mode) {
        if (deferring) throw new IllegalStateException("cannot change the first-layer mode inside a global step; call finishGradients first");
        firstLayer = java.util.Objects.requireNonNull(mode);
    }

    /**
     * Whether {@link #accumulateGradients} processes a call's samples grouped by user (by item where there are more
     * items than users; see {@link SampleOrder}): on by default, faster at large batches; the gradients differ from
     * the caller's order only in summation order, and each sample keeps its dropout mask.
     */
    public void setSortSamples(boolean sort) { sortSamples = sort; }

    public boolean sortSamples() { return sortSamples; }

    /** The default of {@link #setSortSamples}: on unless the property says false; a value other than true/false is an error. */
    static boolean sortSamplesDefault(String property) {
        if (property == null || property.equalsIgnoreCase("true")) return true;
        if (property.equalsIgnoreCase("false")) return false;
        throw new IllegalArgumentException("-Dncf.fused.sortSamples=" + property + ": expected true or false");
    }

    /** True if the current global step defers the first layer's gradients to {@link #finishGradients}. */
    public boolean deferringFirstLayer() { return deferring; }

    @Override public void parametersChanged() {
        paramsProtocol = true;
        projectionsCurrent = false;
    }

    @Override public void finishGradients(ParamSet grads) {
        gradsProtocol = true;
        lastStepSamples = samplesThisStep;
        samplesThisStep = 0;
        if (!deferring) return;
        if (grads != deferredGrads)
            throw new IllegalArgumentException("finishGradients got a different gradient set than this step's accumulateGradients calls");
        deferring = false;
        deferredGrads = null;
        bindGrads(grads);
        int blas = blasThreadsBefore();
        try {
            int nu = config.numUsers(), ni = config.numItems();
            FloatPointer w0Item = Blas.at(weightPtr[0], (long) e * w1), gW0Item = Blas.at(gWeightPtr[0], (long) e * w1);
            // dW0[0:e] += mlp_user^T A_user, dW0[e:2e] += mlp_item^T A_item
            gemm(true, false, e, w1, nu, 1f, mlpUserPtr, e, accUserPtr, w1, 1f, gWeightPtr[0], w1);
            gemm(true, false, e, w1, ni, 1f, mlpItemPtr, e, accItemPtr, w1, 1f, gW0Item, w1);
            // d mlp_user += A_user W0[0:e]^T, d mlp_item += A_item W0[e:2e]^T
            gemm(false, true, nu, e, w1, 1f, accUserPtr, w1, weightPtr[0], w1, 1f, gMlpUserPtr, e);
            gemm(false, true, ni, e, w1, 1f, accItemPtr, w1, w0Item, w1, 1f, gMlpItemPtr, e);
        } finally {
            restoreBlasThreads(blas);
        }
        long t0 = Sgemm.clock();
        accUserArr.assign(0);
        accItemArr.assign(0);
        phaseNanos[6] += Sgemm.clock() - t0;
    }

    @Override public void promiseWholeSteps() { wholeSteps = true; }

    /**
     * Whether this step factors the first layer. Without {@link #promiseWholeSteps} the engine learns the step's size
     * from the previous step (a caller may split a step over calls); with it, from the step's one call, so the choice
     * is a function of the step alone and a resumed run repeats an uninterrupted one bit for bit.
     */
    private boolean factorTraining(int count) {
        long enough = (long) config.numUsers() + config.numItems();
        return switch (firstLayer) {
            case FACTORED -> true;
            case PER_SAMPLE -> false;
            case AUTO -> paramsProtocol && (wholeSteps ? count >= enough : gradsProtocol && lastStepSamples >= enough);
        };
    }

    private boolean factorScoring(int count) {
        return switch (firstLayer) {
            case FACTORED -> true;
            case PER_SAMPLE -> false;
            case AUTO -> paramsProtocol && (projectionsCurrent || 2L * count >= (long) config.numUsers() + config.numItems());
        };
    }

    /** P_user = mlp_user W0[0:e], P_item = mlp_item W0[e:2e], recomputed only after {@link #parametersChanged}. */
    private void ensureProjections() {
        int nu = config.numUsers(), ni = config.numItems();
        if (projUserArr == null) {
            projUserArr = Nd4j.createUninitialized(DataType.FLOAT, nu, w1);
            projItemArr = Nd4j.createUninitialized(DataType.FLOAT, ni, w1);
            projUser = projUserArr.data().asNioFloat();
            projItem = projItemArr.data().asNioFloat();
            projUserPtr = Sgemm.pointer(projUserArr, "user projection");
            projItemPtr = Sgemm.pointer(projItemArr, "item projection");
        }
        if (projectionsCurrent) return;
        gemm(false, false, nu, w1, e, 1f, mlpUserPtr, e, weightPtr[0], w1, 0f, projUserPtr, w1);
        gemm(false, false, ni, w1, e, 1f, mlpItemPtr, e, Blas.at(weightPtr[0], (long) e * w1), w1, 0f, projItemPtr, w1);
        // with FACTORED forced, a caller may not follow the protocol for scoring; AUTO only gets here if it does
        projectionsCurrent = paramsProtocol;
        projectionVersion++;
    }

    /**
     * Scoring's item table: row i is {@code [P_item[i] | mf_item[i]]}, so a candidate's two random rows are one
     * contiguous read (the hardware prefetcher follows it) instead of two cache-missing streams. Rebuilt (a copy, no
     * products) whenever the projections were.
     */
    private void ensureScoreItems() {
        if (scoreItemVersion == projectionVersion) return;
        int ni = config.numItems(), cw = w1 + f;
        if (scoreItemArr == null) {
            scoreItemArr = Nd4j.createUninitialized(DataType.FLOAT, ni, cw);
            scoreItem = scoreItemArr.data().asNioFloat();
        }
        final FloatBuffer dst = scoreItem;
        workers.run(ni, (w, a, b) -> {
            for (int i = a; i < b; i++) {
                dst.put(i * cw, projItem, i * w1, w1);
                dst.put(i * cw + w1, mfItem, i * f, f);
            }
        });
        scoreItemVersion = projectionVersion;
    }

    private void ensureAccumulators() {
        if (accUserArr != null) return;
        accUserArr = Nd4j.zeros(DataType.FLOAT, config.numUsers(), w1);
        accItemArr = Nd4j.zeros(DataType.FLOAT, config.numItems(), w1);
        accUser = accUserArr.data().asNioFloat();
        accItem = accItemArr.data().asNioFloat();
        accUserPtr = Sgemm.pointer(accUserArr, "user dZ0 accumulator");
        accItemPtr = Sgemm.pointer(accItemArr, "item dZ0 accumulator");
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
        if (samplesThisStep == 0 && !deferring) {
            deferring = factorTraining(count);
            if (deferring) deferredGrads = grads;
        } else if (deferring && grads != deferredGrads) {
            throw new IllegalArgumentException("a global step's accumulateGradients calls must share one gradient set until finishGradients");
        }
        samplesThisStep += count;
        double loss = 0;
        int blas = blasThreadsBefore();
        try {
            if (deferring) {
                ensureAccumulators();
                ensureProjections();
            }
            checkIds(users, items, from, count);
            if (half != null) roundWeights(deferring ? 1 : 0);
            boolean sort = sortSamples && count > 1;
            if (sort) {
                boolean byUser = config.numUsers() >= config.numItems();
                long t0 = Sgemm.clock();
                order.sort(users, items, labels, from, count, byUser, byUser ? config.numUsers() : config.numItems());
                phaseNanos[7] += Sgemm.clock() - t0;
            }
            for (int done = 0; done < count; done += microBatch) {
                int n = Math.min(microBatch, count - done);
                loss += sort
                        ? step(order.users, order.items, order.labels, done, n, weight, dropout, samplePosition, order.offset)
                        : step(users, items, labels, from + done, n, weight, dropout, samplePosition + done, null);
            }
        } finally {
            restoreBlasThreads(blas);
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
        gMlpUserPtr = Sgemm.pointer(g.get(ParamSet.MLP_USER), "grad " + ParamSet.MLP_USER);
        gMfUserPtr = Sgemm.pointer(g.get(ParamSet.MF_USER), "grad " + ParamSet.MF_USER);
        gMfItemPtr = Sgemm.pointer(g.get(ParamSet.MF_ITEM), "grad " + ParamSet.MF_ITEM);
        gMlpItemPtr = Sgemm.pointer(g.get(ParamSet.MLP_ITEM), "grad " + ParamSet.MLP_ITEM);
        gradsSeen = g;
    }

    /**
     * One micro-batch: samples {@code [off, off + n)} of the arrays. Sample s's dropout position is
     * {@code pos + s} when {@code positions} is null, else {@code pos + positions[off + s]} (samples reordered).
     */
    private double step(int[] users, int[] items, float[] labels, int off, int n, float weight, DropoutMask mask, long pos,
                        int[] positions) {
        final boolean factored = deferring;
        MaskPositions at = new MaskPositions(pos, off, positions);
        if (nativeScatter || (half != null && factored)) copyIds(users, items, off, n);
        if (half != null) forward16(users, items, off, n, mask, at, factored);
        else if (factored) forwardFactored(users, items, off, n, mask, at);
        else forward(users, items, off, n, mask, at);

        // GMF + final layer + loss + top of the backward pass, fused
        for (int j = 0; j < f + lastWidth; j++) finalWCopy[j] = finalW.get(j);
        final float fb = finalB.get(0);
        final float keepTop = mask.isNone() ? 1f : mask.keepValue();
        final FloatBuffer xl = act[layers];
        final FloatBuffer dTop = deltaBufA;
        long t0 = Sgemm.clock();
        repeatRows(finalWCopy, f, lastWidth, finalWTile);
        workers.run(n, (w, a, b) -> {
            float[] fw = finalWCopy, fwt = finalWTile;
            float[] xt = tileA[w], dt = tileB[w];
            float[][] tl = tiles[w];
            float[] gmf = tl[0], mi = tl[1], gF = tl[2], gL = tl[3], accWF = tl[4], accWL = tl[5], accBT = tl[6];
            java.util.Arrays.fill(accWF, 0f);
            java.util.Arrays.fill(accWL, 0f);
            java.util.Arrays.fill(accBT, 0f);
            double loss = 0, sumDz = 0;
            for (int s0 = a; s0 < b; s0 += TILE) {
                int rows = Math.min(TILE, b - s0), lenF = rows * f, lenL = rows * lastWidth;
                xl.get(s0 * lastWidth, xt, 0, lenL);
                for (int r = 0; r < rows; r++) {
                    mfUser.get(users[off + s0 + r] * f, gmf, r * f, f);
                    mfItem.get(items[off + s0 + r] * f, mi, r * f, f);
                }
                for (int i = 0; i < lenF; i++) gmf[i] *= mi[i];                  // the GMF product
                for (int r = 0; r < rows; r++) {
                    int s = s0 + r;
                    float z = fb + dot(gmf, r * f, fw, 0, f) + dot(xt, r * lastWidth, fw, f, lastWidth);
                    float y = labels[off + s];
                    double zd = z;
                    // one exp for the loss and both sigmoids: with e = exp(-|z|), s(|z|) = 1/(1+e), s(-|z|) = e/(1+e)
                    double ez = Math.exp(-Math.abs(zd)), big = 1 / (1 + ez), small = ez * big;
                    loss += Math.max(zd, 0) - zd * y + Math.log1p(ez);
                    double sPos = zd >= 0 ? big : small, sNeg = zd >= 0 ? small : big;
                    // sigmoid(z) - y as s(z)(1-y) - s(-z)y: exact for saturated logits, where rounding sigmoid(z)
                    // to 1f would zero the small gradients that Adam's normalisation turns into full-size steps
                    float g = (float) (weight * (sPos * (1 - y) - sNeg * y));
                    dz[s] = g;
                    sumDz += g;
                    java.util.Arrays.fill(gF, r * f, (r + 1) * f, g);
                    java.util.Arrays.fill(gL, r * lastWidth, (r + 1) * lastWidth, g);
                }
                for (int i = 0; i < lenF; i++) accWF[i] += gF[i] * gmf[i];
                for (int i = 0; i < lenL; i++) {
                    float x = xt[i];
                    accWL[i] += gL[i] * x;
                    float d = gL[i] * keepTop * fwt[i] * positive(x);
                    dt[i] = d;
                    accBT[i] += d;
                }
                dTop.put(s0 * lastWidth, dt, 0, lenL);
            }
            float[] accW = accFinalW[w], accB = accBias[w];
            foldRows(accWF, f, accW, 0);
            foldRows(accWL, lastWidth, accW, f);
            foldRows(accBT, lastWidth, accB, 0);
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
        phaseNanos[2] += Sgemm.clock() - t0;

        FloatBuffer cur = half != null ? backward16(n, keepTop, factored) : backward(n, keepTop, factored);
        long t2 = Sgemm.clock();
        if (nativeScatter) {
            FloatPointer src = cur == deltaBufA ? deltaPtrA : deltaPtrB;
            if (factored) scatterNative(users, items, off, n, src, w1, 0, 0, w1, accUserPtr, accItemPtr);
            else scatterNative(users, items, off, n, src, 2 * e, 0, e, e, gMlpUserPtr, gMlpItemPtr);
        } else if (factored) scatterEmbeddingGrads(users, items, off, n, cur, w1, 0, 0, w1, accUser, accItem);
        else scatterEmbeddingGrads(users, items, off, n, cur, 2 * e, 0, e, e, gMlpUser, gMlpItem);
        phaseNanos[4] += Sgemm.clock() - t2;
        return loss;
    }

    /** The dense layers' backward, top down, from dZ of the top layer in deltaA; returns dZ_0 (factored) or dX_0. */
    private FloatBuffer backward(int n, float keepTop, boolean factored) {
        // cur holds dZ_k
        FloatBuffer cur = deltaBufA, other = deltaBufB;
        FloatPointer curP = deltaPtrA, otherP = deltaPtrB;
        final float keep = keepTop;
        // factored: layer 0's products move to finishGradients, and cur ends as dZ_0 instead of dX_0
        for (int k = layers - 1; k >= (factored ? 1 : 0); k--) {
            int in = width[k], out = width[k + 1];
            gemm(true, false, in, out, n, 1f, actPtr[k], in, curP, out, 1f, gWeightPtr[k], out);
            gemm(false, true, n, in, out, 1f, curP, out, weightPtr[k], out, 0f, otherP, in);
            if (k > 0) {
                long t1 = Sgemm.clock();
                reluBackward(other, act[k], in, n, keep, gBias[k - 1]);
                phaseNanos[3] += Sgemm.clock() - t1;
            }
            FloatBuffer tb = cur; cur = other; other = tb;
            FloatPointer tp = curP; curP = otherP; otherP = tp;
        }
        return cur;
    }

    // ------------------------------------------------------------------------------------------------ 16-bit path

    /** W_k for k in [first, layers) rounded to the 16-bit format: the products' B for this call. */
    private void roundWeights(int first) {
        if (packedW == null) { packedW = new ShortPointer[layers]; packedWT = new ShortPointer[layers]; }
        for (int k = first; k < layers; k++) {
            int in = width[k], out = width[k + 1];
            // the BLAS's products read W_k rounded: the forward where AMX does not take it, dX likewise (layer 0: always)
            if (!amxForward(k) || !amxBackward(k)) NativeKernels.toHalf((long) in * out, weightPtr[k], weight16[k], half);
            if (amxForward(k)) {
                if (packedW[k] == null) packedW[k] = new ShortPointer((long) in * out);
                NativeKernels.amxPack(in, out, weightPtr[k], out, false, packedW[k]);
            }
            if (amxBackward(k)) {
                if (packedWT[k] == null) packedWT[k] = new ShortPointer((long) in * out);
                NativeKernels.amxPack(out, in, weightPtr[k], out, true, packedWT[k]);
            }
        }
    }

    /** The workers' bias-gradient column sums (biasAcc16), in worker order, into {@code g[0, w)}. */
    private void addBiasSums(FloatBuffer g, int w) {
        for (int wk = 0; wk < workers.threads(); wk++) {
            FloatBuffer acc = Blas.span(biasAcc16[wk], w);
            for (int j = 0; j < w; j++) g.put(j, g.get(j) + acc.get(j));
        }
    }

    /** Layer k's dropout row states of the micro-batch into {@link #rowStates}, or null without dropout. */
    private LongPointer rowStates(DropoutMask mask, int layer, int n, MaskPositions pos) {
        if (mask.isNone()) return null;
        final long[] st = rowStatesHeap;
        final java.nio.LongBuffer dst = rowStates.asBuffer();
        workers.run(n, (w, a, b) -> {
            for (int s = a; s < b; s++) st[s] = mask.rowState(layer, pos.of(s));
            dst.put(a, st, a, b - a);
        });
        return rowStates;
    }

    private static LongPointer at(LongPointer p, long offset) { return p == null ? null : new LongPointer(p).position(p.position() + offset); }

    private static IntPointer at(IntPointer p, long offset) { return new IntPointer(p).position(p.position() + offset); }

    /**
     * X_1..X_L in 16 bits (X_L also as FP32 for the head): the factored first layer gathered by ncf's kernel, or X_0
     * gathered in FP32 and rounded; each product's FP32 output goes through one epilogue pass (bias, ReLU, dropout,
     * rounding).
     */
    private void forward16(int[] users, int[] items, int off, int n, DropoutMask mask, MaskPositions pos, boolean factored) {
        final int thr = mask.threshold();
        final float keep = mask.isNone() ? 1f : mask.keepValue();
        long t0 = Sgemm.clock();
        if (factored) {
            final LongPointer st = rowStates(mask, 0, n, pos);
            final boolean top = layers == 1;
            workers.run(n, (w, a, b) -> {
                if (b > a) NativeKernels.gatherAct(b - a, w1, at(idsUser, a), at(idsItem, a), projUserPtr, projItemPtr, biasPtr[0],
                        at(st, a), thr, keep, Blas.at(act16[1], (long) a * w1), half, top ? Blas.at(actPtr[1], (long) a * w1) : null);
            });
        } else {
            final FloatBuffer x0 = act[0];
            final int e2 = 2 * e;
            workers.run(n, (w, a, b) -> {
                for (int s = a; s < b; s++) {
                    x0.put(s * e2, mlpUser, users[off + s] * e, e);
                    x0.put(s * e2 + e, mlpItem, items[off + s] * e, e);
                }
                if (b > a) NativeKernels.toHalf((long) (b - a) * e2, Blas.at(actPtr[0], (long) a * e2), Blas.at(act16[0], (long) a * e2), half);
            });
        }
        phaseNanos[0] += Sgemm.clock() - t0;
        for (int k = factored ? 1 : 0; k < layers; k++) {
            final int in = width[k], out = width[k + 1], layer = k;
            final boolean top = k + 1 == layers;
            if (amxForward(k)) {
                // the product and its epilogue in one kernel: the FP32 product never leaves L1
                final LongPointer st = rowStates(mask, k, n, pos);
                long g0 = System.nanoTime();
                workers.run(n, (w, a, b) -> {
                    if (b > a) NativeKernels.amxForward(b - a, in, out, Blas.at(act16[layer], (long) a * in), in, packedW[layer], biasPtr[layer],
                            at(st, a), thr, keep, Blas.at(act16[layer + 1], (long) a * out), top ? Blas.at(actPtr[layer + 1], (long) a * out) : null);
                });
                Sgemm.record(System.nanoTime() - g0, 2L * n * in * out);
                continue;
            }
            Sgemm.gemm16(workers, half, false, false, n, out, in, 1f, act16[k], in, weight16[k], out, 0f, actPtr[k + 1], out);
            long t1 = Sgemm.clock();
            final LongPointer st = rowStates(mask, k, n, pos);
            workers.run(n, (w, a, b) -> {
                FloatPointer z = Blas.at(actPtr[layer + 1], (long) a * out);
                if (b > a) NativeKernels.forwardAct(b - a, out, z, biasPtr[layer], at(st, a), thr, keep,
                        Blas.at(act16[layer + 1], (long) a * out), half, top ? z : null);
            });
            phaseNanos[1] += Sgemm.clock() - t1;
        }
    }

    /**
     * The dense layers' backward with 16-bit products: dZ of the top layer (FP32 in deltaA) rounded, then per layer
     * the two products into FP32 and one epilogue pass that applies ReLU/dropout, sums the bias gradient and rounds
     * dZ for the next products (left FP32 where the scatter reads it). Returns dZ_0 (factored) or dX_0.
     */
    private FloatBuffer backward16(int n, float keep, boolean factored) {
        final int first = factored ? 1 : 0;
        long t0 = Sgemm.clock();
        workers.run(n, (w, a, b) -> {
            if (b > a) NativeKernels.toHalf((long) (b - a) * lastWidth, Blas.at(deltaPtrA, (long) a * lastWidth), Blas.at(deltaHA, (long) a * lastWidth), half);
        });
        phaseNanos[3] += Sgemm.clock() - t0;
        FloatBuffer cur = deltaBufA, other = deltaBufB;
        FloatPointer curP = deltaPtrA, otherP = deltaPtrB;
        ShortPointer curH = deltaHA, otherH = deltaHB;
        for (int k = layers - 1; k >= first; k--) {
            final int in = width[k], out = width[k + 1], layer = k;
            Sgemm.gemm16(workers, half, true, false, in, out, n, 1f, act16[k], in, curH, out, 1f, gWeightPtr[k], out);
            final ShortPointer dst = k - 1 >= first ? otherH : null;   // another product reads dZ_{k-1}; else FP32 for the scatter
            final FloatPointer d = otherP;
            final ShortPointer dz16 = curH;
            if (amxBackward(k)) {
                // dX = dZ W^T with the ReLU/dropout gate, bias sums and rounding in one kernel
                long g0 = System.nanoTime();
                workers.run(n, (w, a, b) -> {
                    FloatPointer acc = biasAcc16[w];
                    acc.zero();
                    if (b > a) NativeKernels.amxBackward(b - a, out, in, Blas.at(dz16, (long) a * out), out, packedWT[layer], Blas.at(act16[layer], (long) a * in),
                            keep, dst == null ? null : Blas.at(dst, (long) a * in), dst == null ? Blas.at(d, (long) a * in) : null, acc);
                });
                Sgemm.record(System.nanoTime() - g0, 2L * n * in * out);
                addBiasSums(gBias[k - 1], in);
            } else {
                Sgemm.gemm16(workers, half, false, true, n, in, out, 1f, curH, out, weight16[k], out, 0f, otherP, in);
                if (k > 0) {
                    long t1 = Sgemm.clock();
                    workers.run(n, (w, a, b) -> {
                        FloatPointer acc = biasAcc16[w];
                        acc.zero();
                        if (b > a) NativeKernels.backwardAct(b - a, in, Blas.at(d, (long) a * in), Blas.at(act16[layer], (long) a * in), keep,
                                dst == null ? null : Blas.at(dst, (long) a * in), half, acc);
                    });
                    addBiasSums(gBias[k - 1], in);
                    phaseNanos[3] += Sgemm.clock() - t1;
                }
            }
            FloatBuffer tb = cur; cur = other; other = tb;
            FloatPointer tp = curP; curP = otherP; otherP = tp;
            ShortPointer th = curH; curH = otherH; otherH = th;
        }
        return cur;
    }

    private void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                      FloatPointer a, int lda, FloatPointer b, int ldb, float beta, FloatPointer c, int ldc) {
        if (splitGemm) Sgemm.gemm(workers, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        else Sgemm.gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /** Runs a whole call with OpenBLAS single-threaded when this engine splits the products itself. */
    private int blasThreadsBefore() {
        if (!splitGemm) return -1;
        int before = org.bytedeco.openblas.global.openblas_nolapack.blas_get_num_threads();
        if (before != 1) org.bytedeco.openblas.global.openblas_nolapack.blas_set_num_threads(1);
        return before;
    }

    private void restoreBlasThreads(int before) {
        if (before > 1) org.bytedeco.openblas.global.openblas_nolapack.blas_set_num_threads(before);
    }

    private static void addInto(FloatBuffer dst, float[] src, int len) {
        for (int j = 0; j < len; j++) dst.put(j, dst.get(j) + src[j]);
    }

    /** In place: d = X > 0 ? d * keep : 0, summing the result per column into the bias gradient. */
    private void reluBackward(FloatBuffer d, FloatBuffer x, int w, int n, float keep, FloatBuffer gBiasK) {
        workers.run(n, (wk, a, b) -> {
            float[] dt = tileA[wk], xt = tileB[wk], acc = tiles[wk][0];
            java.util.Arrays.fill(acc, 0f);
            for (int s0 = a; s0 < b; s0 += TILE) {
                int len = Math.min(TILE, b - s0) * w;
                d.get(s0 * w, dt, 0, len);
                x.get(s0 * w, xt, 0, len);
                for (int i = 0; i < len; i++) {
                    float v = dt[i] * keep * positive(xt[i]);
                    dt[i] = v;
                    acc[i] += v;
                }
                d.put(s0 * w, dt, 0, len);
            }
            foldRows(acc, w, accBias[wk], 0);
        });
        for (int wk = 0; wk < workers.threads(); wk++) addInto(gBiasK, accBias[wk], w);
    }

    /** {@code src[off .. off+width)} repeated in every row of {@code tile} (TILE rows). */
    private static void repeatRows(float[] src, int off, int width, float[] tile) {
        for (int r = 0; r < TILE; r++) System.arraycopy(src, off, tile, r * width, width);
    }

    /** {@code dst[at + j] = sum over the TILE rows of tile[r * width + j]}: folds per-row partial column sums. */
    private static void foldRows(float[] tile, int width, float[] dst, int at) {
        for (int j = 0; j < width; j++) {
            float sum = 0;
            for (int r = 0; r < TILE; r++) sum += tile[r * width + j];
            dst[at + j] = sum;
        }
    }

    /**
     * Adds the per-sample embedding-row gradients into the GMF tables, and {@code len} floats of each sample's row of
     * {@code src} (stride {@code stride}; the user part at {@code userAt}, the item part at {@code itemAt}) into row
     * u of {@code toUser} and row i of {@code toItem}: the MLP tables' gradients, or the factored first layer's dZ0
     * accumulators. Worker w owns rows with {@code row % threads == w}, so it scans all samples and touches only its rows.
     */
    private void scatterEmbeddingGrads(int[] users, int[] items, int off, int n, FloatBuffer src, int stride,
                                       int userAt, int itemAt, int len, FloatBuffer toUser, FloatBuffer toItem) {
        final int t = workers.threads();
        workers.runPerWorker((w, ignoredFrom, ignoredTo) -> {
            float[] fw = finalWCopy, ra = rowA[w], rb = rowB[w];
            for (int s = 0; s < n; s++) {
                int u = users[off + s], i = items[off + s];
                float g = dz[s];
                if (u % t == w) {
                    addScaledRow(gMfUser, u * f, mfItem, i * f, f, g, fw, ra, rb);
                    addRow(toUser, u * len, src, s * stride + userAt, len, ra, rb);
                }
                if (i % t == w) {
                    addScaledRow(gMfItem, i * f, mfUser, u * f, f, g, fw, ra, rb);
                    addRow(toItem, i * len, src, s * stride + itemAt, len, ra, rb);
                }
            }
        });
    }

    /** The micro-batch's ids into {@link #idsUser} / {@link #idsItem} (once per micro-batch, for ncf's kernels). */
    private void copyIds(int[] users, int[] items, int off, int n) {
        if (idsUser == null) {
            idsUser = new IntPointer(microBatch);
            idsItem = new IntPointer(microBatch);
        }
        idsUser.put(users, off, n);   // put(array, offset, length) writes from the pointer's position
        idsItem.put(items, off, n);
    }

    /** {@link #scatterEmbeddingGrads} on ncf's AVX-512 kernel (ids from {@link #copyIds}): the same operations, without the on-heap row copies. */
    private void scatterNative(int[] users, int[] items, int off, int n, FloatPointer src, int stride, int userAt, int itemAt, int len,
                               FloatPointer toUser, FloatPointer toItem) {
        if (scatterDz == null) {
            scatterDz = new FloatPointer(microBatch);
            mfUserPtr = Sgemm.pointer(params.get(ParamSet.MF_USER), ParamSet.MF_USER);
            mfItemPtr = Sgemm.pointer(params.get(ParamSet.MF_ITEM), ParamSet.MF_ITEM);
            finalWPtr = Sgemm.pointer(params.get(ParamSet.FINAL_W), ParamSet.FINAL_W);
        }
        scatterDz.put(dz, 0, n);
        final int t = workers.threads();
        workers.runPerWorker((w, ignoredFrom, ignoredTo) -> NativeKernels.scatterRows(n, idsUser, idsItem, scatterDz, t, w, f, finalWPtr,
                mfUserPtr, mfItemPtr, gMfUserPtr, gMfItemPtr, src, stride, userAt, itemAt, len, toUser, toItem));
    }

    /** {@code dst[at..at+len) += src[from..from+len)} through on-heap copies (bulk copies, vectorised add). */
    private static void addRow(FloatBuffer dst, int at, FloatBuffer src, int from, int len, float[] ra, float[] rb) {
        dst.get(at, ra, 0, len);
        src.get(from, rb, 0, len);
        for (int j = 0; j < len; j++) ra[j] += rb[j];
        dst.put(at, ra, 0, len);
    }

    /** {@code dst[at+j] += g * fw[j] * src[from+j]} for j in [0, len), through on-heap copies. */
    private static void addScaledRow(FloatBuffer dst, int at, FloatBuffer src, int from, int len, float g, float[] fw,
                                     float[] ra, float[] rb) {
        dst.get(at, ra, 0, len);
        src.get(from, rb, 0, len);
        for (int j = 0; j < len; j++) ra[j] += g * fw[j] * rb[j];
        dst.put(at, ra, 0, len);
    }

    /**
     * A dot product with eight partial sums: C2 does not reorder a float reduction, so one running sum would be a
     * chain of dependent adds; eight independent ones keep the adders busy.
     */
    static float dot(float[] a, int ao, float[] b, int bo, int len) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        int j = 0;
        for (; j + 8 <= len; j += 8) {
            s0 += a[ao + j] * b[bo + j];
            s1 += a[ao + j + 1] * b[bo + j + 1];
            s2 += a[ao + j + 2] * b[bo + j + 2];
            s3 += a[ao + j + 3] * b[bo + j + 3];
            s4 += a[ao + j + 4] * b[bo + j + 4];
            s5 += a[ao + j + 5] * b[bo + j + 5];
            s6 += a[ao + j + 6] * b[bo + j + 6];
            s7 += a[ao + j + 7] * b[bo + j + 7];
        }
        for (; j < len; j++) s0 += a[ao + j] * b[bo + j];
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
    }

    // ------------------------------------------------------------------------------------------------ forward

    private void checkIds(int[] users, int[] items, int off, int n) {
        int nu = config.numUsers(), ni = config.numItems();
        for (int s = off; s < off + n; s++) {
            if (users[s] < 0 || users[s] >= nu) throw new IllegalArgumentException("user id " + users[s] + " at sample " + s + " outside [0, " + nu + ")");
            if (items[s] < 0 || items[s] >= ni) throw new IllegalArgumentException("item id " + items[s] + " at sample " + s + " outside [0, " + ni + ")");
        }
    }

    /**
     * Where micro-batch row s sits in the caller's order, which keys its dropout mask: {@code pos + s}, or with the
     * samples reordered {@code pos + positions[off + s]}.
     */
    private record MaskPositions(long pos, int off, int[] positions) {
        long of(int s) { return positions == null ? pos + s : pos + positions[off + s]; }
    }

    /** Fills X_0..X_L for n samples starting at {@code off}; {@code mask} NONE for inference. */
    private void forward(int[] users, int[] items, int off, int n, DropoutMask mask, MaskPositions pos) {
        final FloatBuffer x0 = act[0];
        final int e2 = 2 * e;
        long t0 = Sgemm.clock();
        workers.run(n, (w, a, b) -> {
            for (int s = a; s < b; s++) {
                x0.put(s * e2, mlpUser, users[off + s] * e, e);
                x0.put(s * e2 + e, mlpItem, items[off + s] * e, e);
            }
        });
        phaseNanos[0] += Sgemm.clock() - t0;
        for (int k = 0; k < layers; k++) {
            int in = width[k], out = width[k + 1];
            gemm(false, false, n, out, in, 1f, actPtr[k], in, weightPtr[k], out, 0f, actPtr[k + 1], out);
            long t1 = Sgemm.clock();
            biasReluDropout(k, n, mask, pos);
            phaseNanos[1] += Sgemm.clock() - t1;
        }
    }

    /**
     * The factored first layer: {@code X_1[s] = relu(P_user[u] + P_item[i] + b0) * mask}, one pass that writes each
     * row and applies bias, ReLU and dropout while it is in L1; then the remaining layers as in {@link #forward}.
     */
    private void forwardFactored(int[] users, int[] items, int off, int n, DropoutMask mask, MaskPositions pos) {
        final FloatBuffer x = act[1], pu = projUser, pi = projItem;
        final int w = w1;
        long t0 = Sgemm.clock();
        final float[] b = biasCopy[0];
        for (int j = 0; j < w; j++) b[j] = bias[0].get(j);
        final boolean none = mask.isNone();
        final MaskRows rows = maskRows(mask);
        workers.run(n, (wk, from, to) -> {
            float[] ru = rowA[wk], ri = rowB[wk], m = maskRow[wk];
            long[] draws = maskDraws[wk];
            for (int s = from; s < to; s++) {
                // bulk copies are memcpy; element-wise FloatBuffer access in the loop would not vectorise
                pu.get(users[off + s] * w, ru, 0, w);
                pi.get(items[off + s] * w, ri, 0, w);
                if (none) {
                    for (int j = 0; j < w; j++) ru[j] = Math.max(ru[j] + ri[j] + b[j], 0f);
                } else {
                    rows.fill(m, 0, w, mask.rowState(0, pos.of(s)), draws);
                    for (int j = 0; j < w; j++) ru[j] = Math.max(ru[j] + ri[j] + b[j], 0f) * m[j];
                }
                x.put(s * w, ru, 0, w);
            }
        });
        phaseNanos[0] += Sgemm.clock() - t0;
        for (int k = 1; k < layers; k++) {
            int in = width[k], out = width[k + 1];
            gemm(false, false, n, out, in, 1f, actPtr[k], in, weightPtr[k], out, 0f, actPtr[k + 1], out);
            long t1 = Sgemm.clock();
            biasReluDropout(k, n, mask, pos);
            phaseNanos[1] += Sgemm.clock() - t1;
        }
    }

    private void biasReluDropout(int k, int n, DropoutMask mask, MaskPositions pos) {
        final int w = width[k + 1];
        final float[] b = biasCopy[k], bt = biasTile[k];
        for (int j = 0; j < w; j++) b[j] = bias[k].get(j);
        repeatRows(b, 0, w, bt);
        final FloatBuffer x = act[k + 1];
        final boolean none = mask.isNone();
        final MaskRows rows = maskRows(mask);
        workers.run(n, (wk, from, to) -> {
            float[] t = tileA[wk], m = tileB[wk];
            long[] draws = maskDraws[wk];
            for (int s0 = from; s0 < to; s0 += TILE) {
                int n0 = Math.min(TILE, to - s0), len = n0 * w;
                x.get(s0 * w, t, 0, len);
                if (none) {
                    for (int i = 0; i < len; i++) t[i] = Math.max(t[i] + bt[i], 0f);
                } else {
                    for (int r = 0; r < n0; r++) rows.fill(m, r * w, w, mask.rowState(k, pos.of(s0 + r)), draws);
                    for (int i = 0; i < len; i++) t[i] = Math.max(t[i] + bt[i], 0f) * m[i];
                }
                x.put(s0 * w, t, 0, len);
            }
        });
    }

    /** The mask-row writer for this mask's threshold and keep value (rebuilt only when those change). */
    private MaskRows maskRows(DropoutMask mask) {
        if (mask.isNone()) return null;
        if (maskRows == null || !maskRows.matches(mask.threshold(), mask.keepValue()))
            maskRows = new MaskRows(mask.threshold(), mask.keepValue());
        return maskRows;
    }

    /**
     * 1f where {@code x > 0}, else 0f, for a ReLU output (+0 or positive), in float arithmetic only so the loops
     * around it vectorise (C2 does not vectorise float-to-int bit moves): {@code x * 2^254 >= 1} for every positive
     * float including the smallest subnormal 2^-149, overflows to infinity for large ones, and is 0 for +0.
     */
    static float positive(float x) {
        return Math.min(x * 0x1p127f * 0x1p127f, 1f);
    }

    // ------------------------------------------------------------------------------------------------ inference

    /** Logits of (users[k], items[k]) for k in [0, count), without dropout. */
    @Override
    public void score(int[] users, int[] items, int count, float[] out) {
        checkRange(users, items, 0, count);
        if (out.length < count) throw new IllegalArgumentException("output has " + out.length + " entries, need " + count);
        int blas = blasThreadsBefore();
        try {
            boolean factored = factorScoring(count);
            if (factored) {
                ensureProjections();
                ensureScoreItems();
            }
            scoreChunks(users, items, count, out, factored);
        } finally {
            restoreBlasThreads(blas);
        }
    }

    /**
     * Scoring runs the whole forward pass per worker over chunks of {@link #SCORE_CHUNK} samples, so a chunk's
     * activations (about 1 KB per sample) stay in that core's L2 from the gather to the final dot products: with
     * micro-batch-wide passes every activation went to DRAM and back between kernels. Each worker calls a
     * single-threaded sgemm on its own chunk; nothing is shared but the read-only parameters and the output.
     */
    static final int SCORE_CHUNK = 256;   // a multiple of FINAL_BLOCK

    /** Rows per final-layer product in scoring: 2 products per chunk for evaluation; random pairs take 16 passes of 8 users a block (blocks of 32 rows measured 11% slower for evaluation, 17% faster for random pairs). */
    static final int FINAL_BLOCK = 128;

    /** Users per final-layer product in scoring (columns of its B): a block of evaluation holds 1-2 users. */
    static final int SCORE_SLOTS = 8;

    /**
     * One worker's scoring buffers, off-heap for the BLAS calls: X_k of one chunk for k < L; X_L with each sample's
     * GMF item row appended ({@code [chunk, L + f]}); the final product's B ({@code [L + f, SLOTS]}) and C.
     */
    private static final class ScoreBuffers {
        final FloatPointer[] xp;
        final FloatBuffer[] x;
        final FloatPointer bp, cp;
        final FloatBuffer b, c;
        final float[] bHeap, cHeap;
        final int[] distinctOf, distinct;   // per row of a block: its user's index among the block's distinct users; those users
        final int[] usersInB = new int[SCORE_SLOTS];   // the user whose column B holds (-1: zeros)

        ScoreBuffers(int[] width, int f) {
            int layers = width.length - 1, ld = width[layers] + f;
            xp = new FloatPointer[width.length];
            x = new FloatBuffer[width.length];
            for (int k = 0; k <= layers; k++) {
                xp[k] = new FloatPointer((long) SCORE_CHUNK * (k == layers ? ld : width[k]));
                xp[k].zero();   // the rows a short chunk leaves stale are multiplied too: keep them finite
                x[k] = xp[k].asBuffer();
            }
            bp = new FloatPointer((long) ld * SCORE_SLOTS);
            cp = new FloatPointer((long) FINAL_BLOCK * SCORE_SLOTS);
            b = bp.asBuffer();
            c = cp.asBuffer();
            bHeap = new float[ld * SCORE_SLOTS];
            cHeap = new float[FINAL_BLOCK * SCORE_SLOTS];
            distinctOf = new int[FINAL_BLOCK];
            distinct = new int[FINAL_BLOCK];
        }
    }

    private ScoreBuffers[] scoreBuffers;
    private float[] lastBiasTile;             // [TILE * (lastWidth + f)]: the last layer's bias, 0 over the GMF columns
    private float[] lastATile, lastCTile;     // the same shape: relu's coefficients (see biasReluLeavingGmf)
    private final int[][] scoreTileUser;      // [worker][TILE]: the user whose row (+ b0) each row of the user tile holds

    private void scoreChunks(int[] users, int[] items, int count, float[] out, boolean factored) {
        if (scoreBuffers == null) {
            scoreBuffers = new ScoreBuffers[workers.threads()];
            for (int w = 0; w < scoreBuffers.length; w++) scoreBuffers[w] = new ScoreBuffers(width, f);
        }
        checkIds(users, items, 0, count);
        for (int k = 0; k < layers; k++) {
            for (int j = 0; j < width[k + 1]; j++) biasCopy[k][j] = bias[k].get(j);
            repeatRows(biasCopy[k], 0, width[k + 1], biasTile[k]);
        }
        // the last layer's rows carry the GMF columns too: bias 0 there (they are overwritten after the ReLU anyway)
        final int ld = lastWidth + f;
        if (lastBiasTile == null) {
            lastBiasTile = new float[TILE * ld];
            lastATile = new float[TILE * ld];
            lastCTile = new float[TILE * ld];
            for (int r = 0; r < TILE; r++) {
                java.util.Arrays.fill(lastATile, r * ld, r * ld + lastWidth, 0.5f);
                java.util.Arrays.fill(lastATile, r * ld + lastWidth, (r + 1) * ld, 1f);
                java.util.Arrays.fill(lastCTile, r * ld, r * ld + lastWidth, 0.5f);
            }
        }
        for (int r = 0; r < TILE; r++) System.arraycopy(biasCopy[layers - 1], 0, lastBiasTile, r * ld, lastWidth);
        for (int j = 0; j < f + lastWidth; j++) finalWCopy[j] = finalW.get(j);
        final float fb = finalB.get(0);
        final int first = factored ? 1 : 0;
        final Blas.Backend blas = Blas.backend();
        long[] gemmNanos = new long[workers.threads()];
        // the dense weights packed once for all chunks where the BLAS can (MKL): each chunk's product is short
        final org.bytedeco.javacpp.Pointer[] packed = new org.bytedeco.javacpp.Pointer[layers];
        for (int k = first; k < layers; k++) packed[k] = blas.packB(SCORE_CHUNK, width[k + 1], width[k], weightPtr[k], width[k + 1]);
        try {
        workers.run(count, (w, a, b) -> {
            ScoreBuffers sb = scoreBuffers[w];
            long gemmT = 0, layerGemmT = 0, gatherT = 0, reluT = 0, finalT = 0;
            for (int c0 = a; c0 < b; c0 += SCORE_CHUNK) {
                int rows = Math.min(SCORE_CHUNK, b - c0);
                long p0 = System.nanoTime();
                // with one dense layer the gathered X_1 is X_L, whose rows also carry the GMF columns
                if (factored) scoreGatherFactored(users, items, c0, rows, sb.x[1], layers == 1 ? ld : w1, sb.x[layers], w);
                else scoreGather(users, items, c0, rows, sb.x[0]);
                long p1 = System.nanoTime();
                gatherT += p1 - p0;
                for (int k = first; k < layers; k++) {
                    int in = width[k], outW = width[k + 1], ldc = k == layers - 1 ? ld : outW;
                    long g0 = System.nanoTime();
                    // always a whole chunk (rows past `rows` hold stale values, never read back): a BLAS picks its
                    // kernels by shape, so a fixed shape keeps a pair's score independent of what else is scored
                    if (packed[k] != null) blas.sgemmPacked(SCORE_CHUNK, outW, in, sb.xp[k], in, packed[k], sb.xp[k + 1], ldc);
                    else blas.sgemm(false, false, SCORE_CHUNK, outW, in, 1f, sb.xp[k], in, weightPtr[k], outW, 0f, sb.xp[k + 1], ldc);
                    layerGemmT += System.nanoTime() - g0;
                    if (k < layers - 1) biasRelu(sb.x[k + 1], rows, ldc, biasTile[k], tileA[w]);
                    else biasReluLeavingGmf(sb.x[k + 1], rows, ldc, tileA[w]);
                }
                long p2 = System.nanoTime();
                reluT += p2 - p1;
                gemmT += scoreFinal(blas, users, items, c0, rows, sb, fb, out, !factored);   // the factored gather copied G
                finalT += System.nanoTime() - p2;
            }
            gemmNanos[w] = gemmT + layerGemmT;
            if (w == 0) {
                phaseNanos[0] += gatherT;
                phaseNanos[1] += reluT - layerGemmT;
                phaseNanos[5] += finalT;
            }
        });
        } finally {
            for (org.bytedeco.javacpp.Pointer q : packed) if (q != null) q.close();
        }
        long g = 0, flops = 0;
        for (long v : gemmNanos) g += v;
        long padded = 0;
        for (int w = 0; w < workers.threads(); w++) {
            int len = Workers.bound(count, workers.threads(), w + 1) - Workers.bound(count, workers.threads(), w);
            padded += (long) (len + SCORE_CHUNK - 1) / SCORE_CHUNK * SCORE_CHUNK;
        }
        for (int k = first; k < layers; k++) flops += 2L * padded * width[k] * width[k + 1];
        flops += 2L * padded * ld * SCORE_SLOTS;   // the final products' first pass (more only for blocks of > SLOTS users)
        Sgemm.record(g / workers.threads(), flops);
    }

    /**
     * X_1 rows of a chunk, {@code relu(P_user[u] + b0 + P_item[i])}, 32 rows at a time: the item rows are copied into
     * one tile, the user rows (plus b0) into another, and one flat loop over the whole tile does the rest (a short
     * per-row loop spends much of its time in C2's scalar pre- and post-loops). A tile row is rewritten only when its
     * user changes, which for evaluation's runs of 101 candidates is rare.
     */
    private void scoreGatherFactored(int[] users, int[] items, int c0, int rows, FloatBuffer x, int stride, FloatBuffer xl, int w) {
        final int cw = w1 + f, ld = lastWidth + f;
        float[][] tl = tiles[w];
        float[] it = tl[0], ut = tl[1], ot = tl[2], uc = userRow[w], b0 = biasCopy[0];
        int[] tileUser = scoreTileUser[w];
        java.util.Arrays.fill(tileUser, -1);
        int cached = -1;
        for (int s0 = 0; s0 < rows; s0 += TILE) {
            int n0 = Math.min(TILE, rows - s0);
            for (int r = 0; r < n0; r++) {
                int s = c0 + s0 + r, u = users[s];
                int at = items[s] * cw;
                scoreItem.get(at, it, r * w1, w1);
                xl.put((s0 + r) * ld + lastWidth, scoreItem, at + w1, f);   // the GMF row, from the lines just read
                if (tileUser[r] != u) {
                    if (u != cached) {
                        projUser.get(u * w1, uc, 0, w1);
                        for (int j = 0; j < w1; j++) uc[j] += b0[j];
                        cached = u;
                    }
                    System.arraycopy(uc, 0, ut, r * w1, w1);
                    tileUser[r] = u;
                }
            }
            relu(ut, it, ot, n0 * w1);
            if (stride == w1) x.put(s0 * w1, ot, 0, n0 * w1);
            else for (int r = 0; r < n0; r++) x.put((s0 + r) * stride, ot, r * w1, w1);
        }
    }

    /** {@code out[j] = max(a[j] + b[j], 0)}, as {@code (v + |v|) / 2}: the same value, and C2 vectorises abs better than max. */
    private static void relu(float[] a, float[] b, float[] out, int len) {
        for (int j = 0; j < len; j++) {
            float v = a[j] + b[j];
            out[j] = (v + Math.abs(v)) * 0.5f;
        }
    }

    /** X_0 rows of a chunk: the gathered MLP embeddings (the per-sample first layer). */
    private void scoreGather(int[] users, int[] items, int c0, int rows, FloatBuffer x) {
        for (int r = 0; r < rows; r++) {
            x.put(r * 2 * e, mlpUser, users[c0 + r] * e, e);
            x.put(r * 2 * e + e, mlpItem, items[c0 + r] * e, e);
        }
    }

    /** In place: {@code x = relu(x + bias)} over {@code rows} rows of width {@code w}, in 32-row on-heap tiles. */
    private static void biasRelu(FloatBuffer x, int rows, int w, float[] biasTile, float[] t) {
        for (int s0 = 0; s0 < rows; s0 += TILE) {
            int len = Math.min(TILE, rows - s0) * w;
            x.get(s0 * w, t, 0, len);
            relu(t, biasTile, t, len);
            x.put(s0 * w, t, 0, len);
        }
    }

    /**
     * {@code x = relu(x + b)} over the last layer's columns of rows that also carry the GMF columns, which pass
     * unchanged: {@code v a + |v| c} with (a, c) = (1/2, 1/2) on the layer (exactly relu) and (1, 0) on GMF (exactly v).
     */
    private void biasReluLeavingGmf(FloatBuffer x, int rows, int ld, float[] t) {
        float[] bt = lastBiasTile, a = lastATile, c = lastCTile;
        for (int s0 = 0; s0 < rows; s0 += TILE) {
            int len = Math.min(TILE, rows - s0) * ld;
            x.get(s0 * ld, t, 0, len);
            for (int i = 0; i < len; i++) {
                float v = t[i] + bt[i];
                t[i] = v * a[i] + Math.abs(v) * c[i];
            }
            x.put(s0 * ld, t, 0, len);
        }
    }

    /**
     * The chunk's logits {@code fb + <X_L, w_L> + <mf_item[i], mf_user[u] * w_F>} as one product
     * {@code [X_L | G] B}: G holds each sample's GMF item row (copied next to X_L), and column c of B is
     * {@code [w_L ; mf_user[u_c] * w_F]} for the c-th of up to {@link #SCORE_SLOTS} users of a block of {@link #FINAL_BLOCK} rows; a
     * sample reads its user's column. A block of more users (random pairs) takes more passes of the same shape; a
     * run of one user's candidates keeps B from block to block. Returns the nanoseconds in gemm.
     */
    private long scoreFinal(Blas.Backend blas, int[] users, int[] items, int c0, int rows, ScoreBuffers sb, float fb, float[] out, boolean copyGmf) {
        final int ld = lastWidth + f, S = SCORE_SLOTS;
        FloatBuffer xl = sb.x[layers];
        if (copyGmf) for (int r = 0; r < rows; r++) xl.put(r * ld + lastWidth, mfItem, items[c0 + r] * f, f);
        float[] bh = sb.bHeap, ch = sb.cHeap, fw = finalWCopy;
        int[] d = sb.distinctOf, distinct = sb.distinct, inB = sb.usersInB;
        for (int c = 0; c < S; c++) System.arraycopy(fw, f, bh, c * ld, lastWidth);
        java.util.Arrays.fill(inB, -1);
        long gemmT = 0;
        // blocks of FINAL_BLOCK rows, each row's user an index into the block's distinct users (runs: compare with the row before)
        for (int b0 = 0; b0 < rows; b0 += FINAL_BLOCK) {
            int nb = Math.min(FINAL_BLOCK, rows - b0), nd = 0;
            for (int r = 0; r < nb; r++) {
                int u = users[c0 + b0 + r];
                if (r > 0 && u == users[c0 + b0 + r - 1]) { d[r] = d[r - 1]; continue; }
                int k = nd - 1;
                while (k >= 0 && distinct[k] != u) k--;
                if (k < 0) distinct[k = nd++] = u;
                d[r] = k;
            }
            for (int pass = 0; pass * S < nd; pass++) {
                boolean changed = false;
                for (int c = 0; c < S; c++) {
                    int k = pass * S + c, u = k < nd ? distinct[k] : -1;
                    if (inB[c] == u) continue;     // consecutive blocks of one user's run reuse B
                    changed = true;
                    inB[c] = u;
                    int row = c * ld + lastWidth;
                    if (u >= 0) {
                        mfUser.get(u * f, bh, row, f);
                        for (int j = 0; j < f; j++) bh[row + j] *= fw[j];
                    } else {
                        java.util.Arrays.fill(bh, row, row + f, 0f);
                    }
                }
                if (changed) sb.b.put(0, bh, 0, ld * S);
                long g0 = System.nanoTime();
                // C^T [SLOTS, FINAL_BLOCK] = B^T [X_L | G]^T of the block; always this shape (rows past the chunk's end are stale)
                blas.sgemm(false, true, S, FINAL_BLOCK, ld, 1f, sb.bp, ld, Blas.at(sb.xp[layers], (long) b0 * ld), ld, 0f, sb.cp, FINAL_BLOCK);
                gemmT += System.nanoTime() - g0;
                sb.c.get(0, ch, 0, S * FINAL_BLOCK);
                for (int r = 0; r < nb; r++)
                    if (d[r] / S == pass) out[c0 + b0 + r] = fb + ch[(d[r] % S) * FINAL_BLOCK + r];
            }
        }
        return gemmT;
    }

    @Override
    public void close() {
        if (ownsWorkers) workers.close();
    }
}
