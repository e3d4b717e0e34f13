package io.ncf.cuda;

import io.ncf.core.ParamShapes;
import io.ncf.core.UserItemIndex;
import io.ncf.core.NeuMFConfig;
import io.ncf.core.rank.BatchRanker;
import org.bytedeco.javacpp.FloatPointer;

import static org.bytedeco.cuda.global.cublas.*;
import static org.bytedeco.cuda.global.cudart.*;

/**
 * Ranking on one GPU: top-K for many users, or full-ranking ranks, with the model resident on the device and only
 * (item, score) pairs or ranks coming back. Users go in blocks ({@link RankBlocks}): per block the user constants
 * {@code C0 = mlp_user W0[0:e] + b0} and GMF rows are gathered and multiplied on the device, every (user, item)
 * pair's first layer is {@code relu(C0 + P_item)} from the projected item table (made once), the other dense layers
 * are cuBLAS GEMMs in the chosen precision with FP32 accumulation, the head scores pairs in FP32, excluded items are
 * masked from the block's CSR slice, and selection ({@code topk_rows}) or counting ({@code rank_rows}) runs on the
 * device with {@link io.ncf.core.rank.TopK}'s order (higher score, NaN last, ties to the lower item).
 *
 * <p>Not thread-safe; drive it from one thread.
 */
public final class CudaRanker implements BatchRanker {

    private static final int BLOCK = 256;

    private final CudaDevice dev;
    private final boolean ownsDevice;
    private final NeuMFConfig config;
    private final Precision precision;
    private final KernelModule kernels;
    private final ParamLayout layout;
    private final int f, e, layers, w1, numItems, usersPerBlock;
    private final int[] width;
    private final int actType, computeType;
    private final long params, proj, mlpRows, c0, gmfRows, userIds, offs, mask, scores, outItems, outScores, found, targets, ranks;
    private final long[] h, weightAct;
    private long itemsCapacity;
    private long itemsBuf;
    private final FloatPointer one = new FloatPointer(1f), zero = new FloatPointer(0f);
    private final java.util.List<Long> allocations = new java.util.ArrayList<>();

    /** Pairs per block unless told otherwise: about 3.6 GB of FP16 activations at the default widths. */
    public static final long DEFAULT_MAX_PAIRS = 1L << 22;

    /** Most items per user a top-K call may ask for (the device selection keeps this many per thread). */
    public static final int MAX_K = 64;

    /**
     * @param flatParams the model, every tensor of {@link ParamLayout} in order (ParamShapes order)
     * @param maxPairs   (user, item) pairs per block: device memory is about this times the activation widths
     */
    public CudaRanker(CudaDevice dev, boolean ownsDevice, NeuMFConfig config, float[] flatParams, Precision precision, long maxPairs) {
        this.dev = dev;
        this.ownsDevice = ownsDevice;
        this.config = config;
        this.precision = precision;
        this.layout = new ParamLayout(config);
        if (flatParams.length != layout.totalLength())
            throw new IllegalArgumentException("parameters have " + flatParams.length + " floats, " + config + " needs " + layout.totalLength());
        dev.makeCurrent();
        this.kernels = KernelModule.load(dev, precision);
        this.f = config.factors();
        this.e = config.mlpEmbeddingDim();
        this.layers = config.denseLayerCount();
        this.width = config.layers();
        this.w1 = width[1];
        this.numItems = config.numItems();
        for (int k = 1; k <= layers; k++)
            if (width[k] % 4 != 0) throw new IllegalArgumentException("the CUDA ranker needs dense widths divisible by 4, got " + java.util.Arrays.toString(width));
        this.usersPerBlock = RankBlocks.usersPerBlock(maxPairs, numItems, config.numUsers());
        this.actType = precision.cudaDataType();
        this.computeType = precision.cublasComputeType();
        int act = precision.activationBytes();

        long n = layout.totalLength();
        params = alloc(4 * n);
        dev.upload(params, flatParams, 0, flatParams.length);
        weightAct = new long[layers];
        for (int k = 0; k < layers; k++) {
            ParamLayout.Tensor w = layout.denseWeight(k);
            if (precision.halfActivations()) {
                weightAct[k] = alloc((long) act * w.length());
                launch("to_act", grid(w.length()), BLOCK, p(w), weightAct[k], w.length());
            } else weightAct[k] = p(w);
        }
        // P_item = mlp_item W0[e:2e], FP32, once (column-major: P^T[w1, ni] = W0bot^T * mlp_item^T)
        proj = alloc(4L * numItems * w1);
        long w0 = p(layout.denseWeight(0));
        gemm(CUBLAS_OP_N, CUBLAS_OP_N, w1, numItems, e, w0 + 4L * e * w1, CUDA_R_32F, w1, p(layout.get(ParamShapes.MLP_ITEM)), CUDA_R_32F, e,
                proj, CUDA_R_32F, w1, CUBLAS_COMPUTE_32F);
        long ub = usersPerBlock, pairs = ub * numItems;
        mlpRows = alloc(4L * ub * e);
        c0 = alloc(4L * ub * w1);
        gmfRows = alloc(4L * ub * f);
        userIds = alloc(4L * ub);
        offs = alloc(4L * (ub + 1));
        mask = alloc((pairs + 3) & ~3L);   // zeroed in 4-byte words
        scores = alloc(4L * pairs);
        outItems = alloc(4L * ub * MAX_K);
        outScores = alloc(4L * ub * MAX_K);
        found = alloc(4L * ub);
        targets = alloc(4L * ub);
        ranks = alloc(4L * ub);
        h = new long[layers + 1];
        for (int k = 1; k <= layers; k++) h[k] = alloc((long) act * pairs * width[k]);
        dev.synchronize();
    }

    public NeuMFConfig config() { return config; }

    public Precision precision() { return precision; }

    public int usersPerBlock() { return usersPerBlock; }

    @Override public int numItems() { return numItems; }

    @Override public long flopsPerPair() { return config.scoringFlopsPerPair(); }

    @Override
    public void topK(int[] users, int from, int count, int k, UserItemIndex exclude, int[] itemsOut, float[] scoresOut, int[] foundOut) {
        if (k <= 0 || k > MAX_K) throw new IllegalArgumentException("the CUDA ranker selects 1.." + MAX_K + " items per user, asked for " + k);
        int[] bi = new int[usersPerBlock * k], bf = new int[usersPerBlock];
        float[] bs = new float[usersPerBlock * k];
        for (int b0 = 0; b0 < count; b0 += usersPerBlock) {
            int ub = Math.min(usersPerBlock, count - b0);
            scoreBlock(users, from + b0, ub, exclude);
            launch("topk_rows", Math.min(ub, 65535), 256, scores, mask, ub, numItems, k, outItems, outScores, found);
            dev.download(outItems, bi, 0, ub * k);
            dev.download(outScores, bs, 0, ub * k);
            dev.download(found, bf, 0, ub);
            System.arraycopy(bi, 0, itemsOut, b0 * k, ub * k);
            System.arraycopy(bs, 0, scoresOut, b0 * k, ub * k);
            System.arraycopy(bf, 0, foundOut, b0, ub);
        }
    }

    @Override
    public void ranks(int[] users, int from, int count, int[] targetItems, UserItemIndex exclude, int[] out) {
        int[] r = new int[usersPerBlock];
        for (int b0 = 0; b0 < count; b0 += usersPerBlock) {
            int ub = Math.min(usersPerBlock, count - b0);
            scoreBlock(users, from + b0, ub, exclude);
            dev.upload(targets, targetItems, b0, ub);
            launch("rank_rows", Math.min(ub, 65535), 256, scores, mask, targets, ub, numItems, ranks);
            dev.download(ranks, r, 0, ub);
            System.arraycopy(r, 0, out, b0, ub);
        }
    }

    /** Scores every item for users[from .. from+ub) into {@code scores} and marks their excluded items in {@code mask}. */
    private void scoreBlock(int[] users, int from, int ub, UserItemIndex exclude) {
        for (int j = 0; j < ub; j++) {
            int u = users[from + j];
            if (u < 0 || u >= config.numUsers()) throw new IllegalArgumentException("user " + u + " is outside [0, " + config.numUsers() + ")");
        }
        dev.upload(userIds, users, from, ub);
        // C0[ub, w1] = mlp_user[users] W0[0:e] + b0 (FP32); G[ub, f] = mf_user[users] * w_gmf
        launch("gather_rows", grid((long) ub * e), BLOCK, p(layout.get(ParamShapes.MLP_USER)), userIds, ub, e, 0L, mlpRows);
        gemm(CUBLAS_OP_N, CUBLAS_OP_N, w1, ub, e, p(layout.denseWeight(0)), CUDA_R_32F, w1, mlpRows, CUDA_R_32F, e,
                c0, CUDA_R_32F, w1, CUBLAS_COMPUTE_32F);
        launch("add_bias_rows", grid((long) ub * w1), BLOCK, c0, p(layout.denseBias(0)), ub, w1);
        launch("gather_rows", grid((long) ub * f), BLOCK, p(layout.get(ParamShapes.MF_USER)), userIds, ub, f, p(layout.get(ParamShapes.FINAL_W)), gmfRows);
        long pairs = (long) ub * numItems;
        launch("rank_first_layer", grid(pairs * w1 / 4), BLOCK, c0, proj, ub, numItems, w1, h[1]);
        for (int k = 1; k < layers; k++) {
            int in = width[k], out = width[k + 1];
            for (long p0 = 0; p0 < pairs; p0 += Integer.MAX_VALUE / 2) {   // cuBLAS's n is an int
                int n = (int) Math.min(pairs - p0, Integer.MAX_VALUE / 2);
                gemm(CUBLAS_OP_N, CUBLAS_OP_N, out, n, in, weightAct[k], actType, out, h[k] + p0 * in * precision.activationBytes(), actType, in,
                        h[k + 1] + p0 * out * precision.activationBytes(), actType, out, computeType);
            }
            launch("bias_relu_dropout", grid(pairs * (out / 4)), BLOCK, h[k + 1], p(layout.denseBias(k)), (int) pairs, out, k, 0L, 0, 1f, 0L, 0L);
        }
        ParamLayout.Tensor fw = layout.get(ParamShapes.FINAL_W);
        long headGrid = Math.max(1, Math.min((pairs + 7) / 8, (long) dev.multiprocessors() * 32));
        launch("rank_head", headGrid, BLOCK, h[layers], p(fw) + 4L * f, p(layout.get(ParamShapes.FINAL_B)), gmfRows, p(layout.get(ParamShapes.MF_ITEM)),
                ub, numItems, f, width[layers], scores);
        // the block's excluded items, as a CSR slice uploaded for this block
        RankBlocks.Slice s = RankBlocks.slice(exclude, users, from, ub);
        dev.zero(mask, (pairs + 3) & ~3L);
        if (s.items().length > 0) {
            ensureItems(s.items().length);
            dev.upload(offs, s.offsets(), 0, ub + 1);
            dev.upload(itemsBuf, s.items(), 0, s.items().length);
            launch("mask_items", grid(s.items().length), BLOCK, offs, itemsBuf, ub, numItems, mask);
        }
    }

    private void ensureItems(long n) {
        if (n <= itemsCapacity) return;
        if (itemsBuf != 0) { dev.free(itemsBuf); allocations.remove(itemsBuf); }
        itemsCapacity = Math.max(n, 2 * itemsCapacity);
        itemsBuf = alloc(4L * itemsCapacity);
    }

    private long p(ParamLayout.Tensor t) { return params + 4 * t.offset(); }

    private void launch(String name, long grid, int block, Object... args) { kernels.launch(name, grid, block, args); }

    private long grid(long total) {
        long blocks = (total + BLOCK - 1) / BLOCK;
        return Math.max(1, Math.min(blocks, (long) dev.multiprocessors() * 32));
    }

    private long alloc(long bytes) {
        long a = dev.alloc(Math.max(bytes, 256));
        allocations.add(a);
        return a;
    }

    private void gemm(int opA, int opB, int m, int n, int k, long a, int aType, int lda, long b, int bType, int ldb,
                      long c, int cType, int ldc, int compute) {
        CudaDevice.checkBlas(cublasGemmEx(dev.cublas(), opA, opB, m, n, k, one, CudaDevice.ptr(a), aType, lda,
                CudaDevice.ptr(b), bType, ldb, zero, CudaDevice.ptr(c), cType, ldc, compute, CUBLAS_GEMM_DEFAULT),
                "cublasGemmEx(" + m + "x" + n + "x" + k + ")");
    }

    @Override public void close() {
        dev.makeCurrent();
        dev.synchronize();
        for (long a : allocations) dev.free(a);
        allocations.clear();
        if (ownsDevice) dev.close();
    }
}
