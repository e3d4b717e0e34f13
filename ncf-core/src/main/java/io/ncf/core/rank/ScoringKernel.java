package io.ncf.core.rank;

import io.ncf.core.NeuMFConfig;
import io.ncf.core.ParamShapes;
import io.ncf.core.blas.Blas;
import io.ncf.core.blas.NativeKernels;
import io.ncf.core.blas.Workers;
import io.ncf.core.rank.RowScorer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

import java.nio.FloatBuffer;

/**
 * NeuMF inference for fixed parameters on the CPU: logits of (user, item) pairs and whole rows (one user against
 * every item), near the speed of the machine's sgemm. Used for serving and ranking ({@code Recommender}, full-ranking
 * evaluation, {@code ncf recommend}); training evaluates with {@link FusedCpuEngine#score}.
 *
 * <h2>How a pair is computed</h2>
 * The first dense layer is factored ({@code concat(u, i) W0 = u W0[0:e] + i W0[e:2e]}): {@code P_item = mlp_item W0[e:2e]}
 * is projected once per kernel. For a user, the constants {@code C_0 = mlp_user[u] W0[0:e] + b0} and
 * {@code C_k = C_{k-1} W_k + b_k} are a few vector-matrix products. Since {@code relu(v + c) = max(v, -c) + c} and the
 * products are linear, every layer's output splits into a per-pair part and the user's constant:
 * <pre>
 *   X_1 = relu(P_item + C_0)            = M_1 + C_0,  M_1 = fmax(P_item, -C_0)
 *   X_{k+1} = relu(X_k W_k + b_k)       = M_{k+1} + C_k,  M_{k+1} = fmax(M_k W_k, -C_k)
 *   logit = fb + C_{L-1} . w_mlp + M_L . w_mlp + (mf_user[u] * w_gmf) . mf_item[i]
 * </pre>
 * So a chunk is one {@code fmax} per layer against the user's negated constants (tiles made once per user) and one
 * product per layer with no bias pass: on MKL every element-wise step is a vector-math call over the chunk, and no
 * activation leaves native memory. Where {@link NativeKernels} run (Linux x86-64, AVX-512F: ncf's own kernels), a
 * layer is one call that applies the max to the product while it is in registers, with W_k packed once per kernel:
 * no separate max pass, no Z buffer. The head is one {@code [CHUNK, 1]} product and one {@code [SLOTS, CHUNK]} product
 * whose row s holds the GMF term for the s-th user of the chunk. (Equal to the definition up to rounding; tested
 * against the training engine's forward pass.)
 *
 * <h2>Rows and pairs agree bit for bit</h2>
 * A row streams {@link #CHUNK} consecutive items per product (the last chunk of a row is shifted back to end at
 * the last item, so every product is whole); pairs are gathered into the same buffers. Every product has the same
 * shape whatever the pairs ({@code CHUNK} rows, stale rows computed and ignored), buffers are 64-byte aligned, and
 * the element-wise steps are exact, so a pair's score does not depend on the call that computed it, nor on which
 * thread or position in a chunk it had.
 *
 * <h2>Threads</h2>
 * The pool calls ({@link #score(int[], int[], int, float[])}, {@link #scoreRows}) use every worker: one at a time.
 * The lane calls ({@link #scoreRow(Lane, int, float[])}, {@link #score(Lane, int[], int[], int, float[])}) run on the
 * calling thread with the {@link Lane}'s scratch buffers and only read the kernel's parameters, so any number of
 * threads, each with its own lane, call them at once (and alongside a pool call): how a server's request threads
 * share one model.
 */
public final class ScoringKernel implements RowScorer, AutoCloseable {

    /** Pairs per product: 256 rows keep a chunk's activations (~0.9 MB) in a core's L2 with the packed weights. */
    public static final int CHUNK = 256;
    /** Users per GMF head product (its rows); a chunk of pairs with more distinct users takes more passes. */
    static final int SLOTS = 8;
    /** Users whose rows a worker advances together, chunk by chunk, so an item chunk is read from memory once for all of them. */
    static final int USER_BLOCK = 4;
    /** Items per share when ncf's kernels split one row over the workers (a multiple of their 8-row block). */
    static final int SPLIT_UNIT = 16;
    /** Rows of a user's constant tiles in the row path: small enough for L1, CHUNK is a multiple. */
    static final int TILE_ROWS = 32;

    private final NeuMFConfig config;
    /** The parameters, every tensor of ParamShapes in order (shared, read in place: mlp_user and mf_user rows). */
    private final float[] flat;
    private final int mlpUserAt, mfUserAt;
    private final Workers workers;
    private final boolean ownsWorkers;
    private final Blas.Backend blas;
    private final int f, e, layers, w1, lastWidth, numItems, numUsers, maxWidth;
    private final int[] width;

    private final FloatBuffer mfItem, projItem;
    private final FloatPointer mfItemPtr, projItemPtr;
    private final FloatPointer w0Top;
    private final FloatPointer[] weight;
    private final float[][] bias;
    private final float[] wGmf, wMlp;
    private final float fb;
    private final FloatPointer wMlpPtr;
    private final Pointer[] packed;            // [k] for k >= 1: W_k packed for [CHUNK, width[k]] products (MKL)
    /** Whether the layers run on {@link NativeKernels} (product and max in one pass) rather than BLAS + a separate max. */
    private final boolean fused;
    private final Pointer[] panels;            // [k] for k >= 1: W_k packed for NativeKernels.gemmMax
    private final Worker[] ws;
    private final float[] sharedRow;           // the row when one user's items are split over the workers

    /**
     * A kernel over flat parameters (every tensor of ParamShapes in order, row-major; shared, not copied), with its
     * own pool of {@code threads} workers: no ND4J.
     */
    public ScoringKernel(NeuMFConfig config, float[] flatParams, int threads) { this(config, flatParams, new Workers(threads), true); }

    /** A kernel over flat parameters on a shared pool (not closed with the kernel). */
    public ScoringKernel(NeuMFConfig config, float[] flatParams, Workers workers) { this(config, flatParams, workers, false, null); }

    /**
     * A kernel whose dense layers (after the first, which stays FP32 as the factored projection) take BF16 inputs with
     * FP32 accumulation on ncf's AMX kernels ({@code half} BF16; null: FP32); the head, the user constants and the
     * GMF branch stay FP32. Needs {@link NativeKernels#amxAvailable()} and layer widths the AMX kernels take
     * (multiples of 32 in, 16 out); scores agree with FP32 up to BF16 rounding, so top-K lists may swap near-ties.
     *
     * @throws IllegalStateException where the CPU cannot run it, naming why
     */
    public ScoringKernel(NeuMFConfig config, float[] flatParams, int threads, io.ncf.core.blas.HalfFormat half) {
        this(config, flatParams, new Workers(threads), true, half);
    }

    private ScoringKernel(NeuMFConfig config, float[] flatParams, Workers workers, boolean owns) { this(config, flatParams, workers, owns, null); }

    /** Empty where BF16 scoring of {@code config} runs here; else why not. */
    public static java.util.Optional<String> bf16Unavailable(NeuMFConfig config) {
        if (!NativeKernels.available()) return java.util.Optional.of("BF16 scoring runs on ncf's kernels: " + NativeKernels.status());
        if (!NativeKernels.amxAvailable()) return java.util.Optional.of("BF16 scoring needs AMX-BF16 (Sapphire Rapids or later), which this CPU lacks "
                + "(or Linux refused the tile registers); " + io.ncf.core.blas.CpuFeatures.detect().line());
        int[] w = config.layers();
        for (int k = 1; k + 1 < w.length; k++)
            if (!NativeKernels.amxShape(w[k], w[k + 1]))
                return java.util.Optional.of("BF16 scoring takes dense layers whose widths are multiples of 32 (input) and 16 (output); layer " + k + " is "
                        + w[k] + " -> " + w[k + 1]);
        return java.util.Optional.empty();
    }

    private ScoringKernel(NeuMFConfig config, float[] flatParams, Workers workers, boolean owns, io.ncf.core.blas.HalfFormat half) {
        if (half != null) {
            if (half != io.ncf.core.blas.HalfFormat.BF16) throw new IllegalArgumentException("the CPU scoring kernel takes FP32 or BF16, not " + half);
            java.util.Optional<String> why = bf16Unavailable(config);
            if (why.isPresent()) {
                if (owns) workers.close();
                throw new IllegalStateException(why.get());
            }
        }
        long want = io.ncf.core.ParamShapes.totalLength(config);
        if (flatParams.length != want) throw new IllegalArgumentException("parameters have " + flatParams.length + " floats, " + config + " needs " + want);
        this.config = config;
        this.flat = flatParams;
        this.workers = workers;
        this.ownsWorkers = owns;
        this.blas = Blas.backend();
        this.f = config.factors();
        this.e = config.mlpEmbeddingDim();
        this.layers = config.denseLayerCount();
        this.width = config.layers();
        this.w1 = width[1];
        this.lastWidth = width[layers];
        this.numItems = config.numItems();
        this.numUsers = config.numUsers();
        int mw = 0;
        for (int k = 1; k <= layers; k++) mw = Math.max(mw, width[k]);
        this.maxWidth = mw;

        mlpUserAt = offset(ParamShapes.MLP_USER);
        mfUserAt = offset(ParamShapes.MF_USER);
        mfItemPtr = aligned((long) numItems * f);
        Blas.span(mfItemPtr, (long) numItems * f).put(flat, offset(ParamShapes.MF_ITEM), numItems * f);
        mfItem = Blas.span(mfItemPtr, (long) numItems * f);
        weight = new FloatPointer[layers];
        bias = new float[layers][];
        for (int k = 0; k < layers; k++) {
            weight[k] = aligned((long) width[k] * width[k + 1]);
            Blas.span(weight[k], (long) width[k] * width[k + 1]).put(flat, offset(ParamShapes.denseWeight(k)), width[k] * width[k + 1]);
            int b = offset(ParamShapes.denseBias(k));
            bias[k] = java.util.Arrays.copyOfRange(flat, b, b + width[k + 1]);
        }
        w0Top = weight[0];
        int fwAt = offset(ParamShapes.FINAL_W);
        wGmf = java.util.Arrays.copyOfRange(flat, fwAt, fwAt + f);
        wMlp = java.util.Arrays.copyOfRange(flat, fwAt + f, fwAt + f + lastWidth);
        fb = flat[offset(ParamShapes.FINAL_B)];
        wMlpPtr = aligned(lastWidth);
        Blas.span(wMlpPtr, lastWidth).put(wMlp);

        // P_item = mlp_item W0[e:2e], once
        FloatPointer mlpItemPtr = new FloatPointer((long) numItems * e);
        Blas.span(mlpItemPtr, (long) numItems * e).put(flat, offset(ParamShapes.MLP_ITEM), numItems * e);
        projItemPtr = aligned((long) numItems * w1);
        final FloatPointer src = mlpItemPtr, w0Bottom = Blas.at(w0Top, (long) e * w1);
        workers.run(numItems, (w, lo, hi) -> {
            if (hi > lo) blas.sgemm(false, false, hi - lo, w1, e, 1f, Blas.at(src, (long) lo * e), e, w0Bottom, w1, 0f,
                    Blas.at(projItemPtr, (long) lo * w1), w1);
        });
        mlpItemPtr.close();
        projItem = Blas.span(projItemPtr, (long) numItems * w1);

        fused = NativeKernels.available();
        packed = new Pointer[layers];
        panels = new Pointer[layers];
        for (int k = 1; k < layers; k++) {
            if (fused) panels[k] = NativeKernels.pack(width[k], width[k + 1], weight[k], width[k + 1]);
            else packed[k] = blas.packB(CHUNK, width[k + 1], width[k], weight[k], width[k + 1]);
        }
        bf16 = half != null && layers > 1;   // one dense layer: it is the factored first one, FP32 always
        packed16 = new org.bytedeco.javacpp.ShortPointer[layers];
        if (bf16)
            for (int k = 1; k < layers; k++) {
                packed16[k] = shorts((long) width[k] * width[k + 1]);
                NativeKernels.amxPack(width[k], width[k + 1], weight[k], width[k + 1], false, packed16[k]);
            }
        ws = new Worker[workers.threads()];
        for (int w = 0; w < ws.length; w++) ws[w] = new Worker();
        sharedRow = new float[numItems];
    }

    /** Whether layers 1.. take BF16 inputs on ncf's AMX kernels. */
    private final boolean bf16;
    private final org.bytedeco.javacpp.ShortPointer[] packed16;   // [k] for k >= 1: W_k in the AMX kernels' layout (bf16)

    /** Whether this kernel scores with BF16 layers (false for a one-dense-layer model: its only layer is the FP32 projection). */
    public boolean bf16() { return bf16; }

    /** Native shorts; freed by close. */
    private org.bytedeco.javacpp.ShortPointer shorts(long n) {
        org.bytedeco.javacpp.ShortPointer p = new org.bytedeco.javacpp.ShortPointer(n);
        p.zero();
        synchronized (owned) { owned.add(p); }
        return p;
    }

    /** Where a tensor starts in the flat parameters. */
    int offset(String tensor) { return Math.toIntExact(io.ncf.core.ParamShapes.offset(config, tensor)); }

    /** mf_user[u] * w_gmf into dst[off ..] (the GMF retrieval vector of the two-stage ranker too). */
    void gmfUserRow(int u, float[] dst, int off) {
        for (int j = 0; j < f; j++) dst[off + j] = flat[mfUserAt + u * f + j] * wGmf[j];
    }

    /** The flat parameters (two-stage retrieval reads mf_item from them). */
    float[] flatParams() { return flat; }

    private final java.util.List<Pointer> owned = new java.util.ArrayList<>();

    /** Native floats starting on a 64-byte boundary (products then see the same alignment in every buffer); freed by close. */
    private FloatPointer aligned(long n) {
        FloatPointer raw = new FloatPointer(n + 16);
        synchronized (owned) { owned.add(raw); }
        long skip = ((64 - raw.address() % 64) % 64) / 4;
        FloatPointer p = new FloatPointer(raw);
        p.position(skip).capacity(skip + n).limit(skip + n);
        return p;
    }

    /** Native ints, zeroed; freed by close. */
    private org.bytedeco.javacpp.IntPointer zeroedInts(int n) {
        org.bytedeco.javacpp.IntPointer p = new org.bytedeco.javacpp.IntPointer((long) n);
        p.zero();
        synchronized (owned) { owned.add(p); }
        return p;
    }

    /** Copies {@code n} floats (JavaCPP's memcpy counts a pointer's position in bytes, so positions are converted). */
    static void copy(FloatPointer dst, FloatPointer src, long n) {
        Pointer.memcpy(bytes(dst), bytes(src), n * 4);
    }

    private static org.bytedeco.javacpp.BytePointer bytes(FloatPointer p) {
        org.bytedeco.javacpp.BytePointer b = new org.bytedeco.javacpp.BytePointer(p);
        long pos = p.position() * 4L, cap = Math.max(p.capacity(), p.limit()) * 4L;
        b.capacity(cap);
        b.limit(cap);
        b.position(pos);
        return b;
    }

    /** {@code dst} = {@code rows} copies of {@code row}: the first from the heap, then doubling native copies. */
    private static void repeat(FloatPointer dst, float[] row, int rows) {
        int n = row.length;
        Blas.span(dst, n).put(row);
        long done = 1;
        while (done < rows) {
            long m = Math.min(done, rows - done);
            copy(Blas.at(dst, done * n), dst, m * n);
            done += m;
        }
    }


    @Override public int numItems() { return numItems; }

    @Override public int parallelism() { return workers.threads(); }

    /** The kernel's thread pool, for work that alternates with the kernel's own (never nested in a kernel call). */
    Workers workers() { return workers; }

    @Override public long flopsPerPair() { return config.scoringFlopsPerPair(); }

    public NeuMFConfig config() { return config; }

    /** What the products run on: the BLAS library, and ncf's own kernels where they run the layers. */
    public String blasName() { return bf16 ? blas.name() + " + " + NATIVE_NAME + " + AMX-BF16 layers" : fused ? blas.name() + " + " + NATIVE_NAME : blas.name(); }

    private static final String NATIVE_NAME = "ncf AVX-512 kernels";

    /** What a kernel built now runs on: the BLAS library, and ncf's kernels or why they do not run (for tables and logs). */
    public static String describeBackend() {
        return Blas.describe() + (NativeKernels.available() ? " + " + NATIVE_NAME : "; " + NativeKernels.status());
    }

    // ------------------------------------------------------------------------------------------------ per worker

    /** One worker's chunk buffers (64-byte aligned, native) and its current user's derived rows. */
    private final class Worker {
        final FloatPointer itemRows = aligned((long) CHUNK * w1);  // gathered P_item rows (pairs)
        final FloatPointer gmf = aligned((long) CHUNK * f);        // gathered mf_item rows (pairs)
        final FloatPointer[] m = new FloatPointer[layers + 1];     // m[k], k >= 1: M_k of the chunk (X_k minus the user's constant)
        final FloatPointer[] z = new FloatPointer[layers + 1];     // z[k], k >= 2: M_{k-1} W_{k-1} of the chunk
        final FloatPointer[] neg = new FloatPointer[layers + 1];   // neg[k], k >= 1: -C_{k-1} per row
        final FloatBuffer[] negB = new FloatBuffer[layers + 1];
        final FloatPointer h = aligned(CHUNK), hg = aligned((long) SLOTS * CHUNK), bs = aligned((long) SLOTS * f);
        final FloatPointer vin = aligned(Math.max(e, maxWidth)), vout = aligned(maxWidth);
        final FloatBuffer itemsB = Blas.span(itemRows, (long) CHUNK * w1), gmfB = Blas.span(gmf, (long) CHUNK * f),
                hB = Blas.span(h, CHUNK), hgB = Blas.span(hg, (long) SLOTS * CHUNK), bsB = Blas.span(bs, (long) SLOTS * f);
        final float[] hHeap = new float[CHUNK], hgHeap = new float[SLOTS * CHUNK], bsHeap = new float[SLOTS * f];
        final float[][] negRow = new float[layers + 1][];          // [k]: -C_{k-1} of the current user
        final float[] gRow = new float[f], cRow = new float[maxWidth];
        final int[] slotOf = new int[CHUNK], distinct = new int[CHUNK];
        // native heads (fused): each distinct user's GMF vector of a pair chunk, and each row's index into them
        final FloatPointer gUsers = fused ? aligned((long) CHUNK * f) : null;
        final FloatBuffer gUsersB = fused ? Blas.span(gUsers, (long) CHUNK * f) : null;
        final org.bytedeco.javacpp.IntPointer slotIdx = fused ? zeroedInts(CHUNK) : null;
        final int[] negUser = new int[CHUNK];   // whose negated constants each row of the neg buffers holds (-1: none)
        final float[] rowConst = new float[CHUNK];
        final org.bytedeco.javacpp.ShortPointer[] m16 = new org.bytedeco.javacpp.ShortPointer[layers];   // [k], 1 <= k < L: M_k in BF16 (bf16 kernels)
        float uConst;
        int user = -1;            // whose negRow / gRow / uConst are current
        // the row path: per slot of the user block, -C_{k-1} repeated TILE_ROWS times (L1-sized), the GMF head's B and constant
        final FloatPointer[][] tile = new FloatPointer[USER_BLOCK][layers + 1];
        final FloatPointer[] bsOf = new FloatPointer[USER_BLOCK];   // the GMF head's B for the slot's user (row 0; others zero)
        final float[] uConstOf = new float[USER_BLOCK];
        final int[] slotUser = new int[USER_BLOCK];
        final float[][] rows = new float[USER_BLOCK][];

        Worker() {
            for (int k = 1; k <= layers; k++) {
                m[k] = aligned((long) CHUNK * width[k]);
                neg[k] = aligned((long) CHUNK * width[k]);
                negB[k] = Blas.span(neg[k], (long) CHUNK * width[k]);
                negRow[k] = new float[width[k]];
                for (int q = 0; q < USER_BLOCK; q++) tile[q][k] = aligned((long) TILE_ROWS * width[k]);
                if (k >= 2 && !fused) z[k] = aligned((long) CHUNK * width[k]);
                if (bf16 && k < layers) m16[k] = shorts((long) CHUNK * width[k]);
            }
            for (int q = 0; q < USER_BLOCK; q++) {
                bsOf[q] = aligned((long) SLOTS * f);
                bsOf[q].zero();
            }
            for (FloatPointer p : new FloatPointer[]{itemRows, gmf, h, hg, bs, gUsers}) if (p != null) p.zero();
            for (int k = 1; k <= layers; k++) { m[k].zero(); neg[k].zero(); if (z[k] != null) z[k].zero(); }
            java.util.Arrays.fill(slotUser, -1);
            java.util.Arrays.fill(negUser, -1);
            for (int b = 0; b < USER_BLOCK; b++) rows[b] = new float[numItems];
        }

        /**
         * User u's constants: C_0 = P'_user = mlp_user[u] W0[0:e] + b0, C_k = C_{k-1} W_k + b_k (k = 1 .. L-1), each
         * stored negated for the fmax; the head's constant C_{L-1} . w_mlp; and mf_user[u] * w_gmf.
         */
        void loadUser(int u) {
            if (u == user) return;
            Blas.span(vin, e).put(flat, mlpUserAt + u * e, e);
            float[] c = cRow;
            int width0 = e;
            for (int k = 0; k < layers; k++) {
                int out = width[k + 1];
                blas.sgemm(false, false, 1, out, width0, 1f, vin, width0, weight[k], out, 0f, vout, out);
                Blas.span(vout, out).get(c, 0, out);
                float[] bk = bias[k], nk = negRow[k + 1];
                for (int j = 0; j < out; j++) { c[j] += bk[j]; nk[j] = -c[j]; }
                if (k + 1 < layers) Blas.span(vin, out).put(c, 0, out);
                width0 = out;
            }
            float sum = 0f;
            for (int j = 0; j < lastWidth; j++) sum += c[j] * wMlp[j];
            uConst = sum;
            gmfUserRow(u, gRow, 0);
            user = u;
        }

        /** Slot q of the user block (row path) takes user u: its tiles, GMF row and head constant. */
        void loadSlot(int q, int u) {
            if (slotUser[q] == u) return;
            loadUser(u);
            for (int k = 1; k <= layers; k++) repeat(tile[q][k], negRow[k], TILE_ROWS);
            Blas.span(bsOf[q], f).put(gRow);
            uConstOf[q] = uConst;
            slotUser[q] = u;
        }

        /**
         * The MLP of a chunk: M_1 = fmax(item rows, -C_0), then per layer Z = M W (one product) and M' = fmax(Z, -C),
         * with the negated constants from {@code negs[k]}, which hold {@code negRows} rows (the chunk's, or a tile
         * repeated down the chunk); the head's MLP part M_L w_mlp into {@code hHeap}.
         */
        void forward(FloatPointer items, FloatPointer[] negs, int negRows) { forward(items, negs, negRows, CHUNK); }

        /**
         * The first {@code rows} rows of a chunk ({@code rows < CHUNK} only on ncf's kernels, whose per-row results do
         * not depend on how many rows a call has; BLAS products keep the one CHUNK shape).
         */
        void forward(FloatPointer items, FloatPointer[] negs, int negRows, int rows) {
            fmax(w1, items, negs[1], negRows, m[1], rows);
            if (bf16) {   // M_1 rounded, then M_{k+1} = fmax(M_k W_k, -C_k) on AMX, BF16 until the last (FP32 for the head)
                NativeKernels.toHalf((long) rows * w1, m[1], m16[1], io.ncf.core.blas.HalfFormat.BF16);
                for (int k = 1; k < layers; k++)
                    NativeKernels.amxGemmMax(rows, width[k], width[k + 1], m16[k], width[k], packed16[k], negs[k + 1], negRows,
                            k + 1 < layers ? m16[k + 1] : null, k + 1 < layers ? null : m[k + 1]);
            }
            for (int k = 1; k < layers && !bf16; k++) {
                int in = width[k], out = width[k + 1];
                if (fused) {   // M_{k+1} = fmax(M_k W_k, -C_k) in one pass: Z is never written
                    NativeKernels.gemmMax(rows, out, in, m[k], in, panels[k], negs[k + 1], negRows, m[k + 1], out);
                    continue;
                }
                if (packed[k] != null) blas.sgemmPacked(CHUNK, out, in, m[k], in, packed[k], 0f, z[k + 1], out);
                else blas.sgemm(false, false, CHUNK, out, in, 1f, m[k], in, weight[k], out, 0f, z[k + 1], out);
                fmax(out, z[k + 1], negs[k + 1], negRows, m[k + 1], CHUNK);
            }
            if (fused) NativeKernels.rowDots(rows, lastWidth, m[layers], lastWidth, wMlpPtr, lastWidth, null, h);
            else blas.sgemm(false, false, CHUNK, 1, lastWidth, 1f, m[layers], lastWidth, wMlpPtr, 1, 0f, h, 1);
            hB.get(0, hHeap, 0, CHUNK);
        }

        /** {@code dst = fmax(src, neg)} over {@code rows} rows of {@code width}, {@code neg} repeating every {@code negRows} rows. */
        private void fmax(int width, FloatPointer src, FloatPointer neg, int negRows, FloatPointer dst, int rows) {
            for (int r = 0; r < rows; r += negRows) {
                FloatPointer s = r == 0 ? src : Blas.at(src, r * (long) width), d = r == 0 ? dst : Blas.at(dst, r * (long) width);
                int n = Math.min(negRows, rows - r) * width;
                if (fused) NativeKernels.fmax(n, s, neg, d);
                else blas.fmax(n, s, neg, d);
            }
        }

        /** GMF term of every row of {@code rows} (mf_item rows, ld f) for the users in {@code bsHeap}: {@code hgHeap[s * CHUNK + r]}. */
        void gmfHead(FloatPointer rows) {
            bsB.put(0, bsHeap, 0, SLOTS * f);
            blas.sgemm(false, true, SLOTS, CHUNK, f, 1f, bs, f, rows, f, 0f, hg, CHUNK);
            hgB.get(0, hgHeap, 0, SLOTS * CHUNK);
        }

        /** Scores of items [s, s + CHUNK) for the user in slot q into out[s ..] (all of them; s + CHUNK <= numItems). */
        void rowChunk(int s, int q, float[] out) { rowChunk(s, q, out, CHUNK); }

        /** Scores of items [s, s + rows) (rows < CHUNK only on ncf's kernels) for the user in slot q into out[s ..]. */
        void rowChunk(int s, int q, float[] out, int rows) {
            forward(Blas.at(projItemPtr, (long) s * w1), tile[q], TILE_ROWS, rows);
            if (fused)   // each row's GMF term by the same per-row dot product as a chunk of pairs
                NativeKernels.rowDots(rows, f, Blas.at(mfItemPtr, (long) s * f), f, bsOf[q], f, null, hg);
            else         // the same product as a chunk of pairs with this user in slot 0; only row 0 of the result is read
                blas.sgemm(false, true, SLOTS, CHUNK, f, 1f, bsOf[q], f, Blas.at(mfItemPtr, (long) s * f), f, 0f, hg, CHUNK);
            hgB.get(0, hgHeap, 0, rows);
            float base = fb + uConstOf[q];
            for (int r = 0; r < rows; r++) out[s + r] = base + hHeap[r] + hgHeap[r];
        }

        /** Scores of pairs [p0, p0 + n), n <= CHUNK, gathered into the chunk buffers, into out[p0 ..]. */
        void pairChunk(int[] users, int[] items, int p0, int n, float[] out) {
            int nd = 0;
            for (int r = 0; r < n; r++) {
                int u = users[p0 + r], i = items[p0 + r];
                loadUser(u);
                if (negUser[r] != u) {   // the row still holds this user's constants from an earlier chunk: skip the copies
                    for (int k = 1; k <= layers; k++) negB[k].put(r * width[k], negRow[k]);
                    negUser[r] = u;
                }
                itemsB.put(r * w1, projItem, i * w1, w1);
                gmfB.put(r * f, mfItem, i * f, f);
                rowConst[r] = fb + uConst;
                int k = nd - 1;
                if (r > 0 && u == users[p0 + r - 1]) k = slotOf[r - 1];
                else {
                    while (k >= 0 && distinct[k] != u) k--;
                    if (k < 0) {
                        distinct[k = nd++] = u;
                        if (fused) gUsersB.put(k * f, gRow);   // u's GMF vector (loadUser above made it current)
                    }
                }
                slotOf[r] = k;
                if (fused) slotIdx.put(r, k);
            }
            forward(itemRows, neg, CHUNK);
            if (fused) {   // each row against its own user's GMF vector: no passes over slots
                NativeKernels.rowDots(CHUNK, f, gmf, f, gUsers, f, slotIdx, hg);
                hgB.get(0, hgHeap, 0, CHUNK);
                for (int r = 0; r < n; r++) out[p0 + r] = rowConst[r] + hHeap[r] + hgHeap[r];
                return;
            }
            for (int pass = 0; pass * SLOTS < nd; pass++) {
                for (int s = 0; s < SLOTS; s++) {
                    int k = pass * SLOTS + s;
                    if (k < nd) { loadUser(distinct[k]); System.arraycopy(gRow, 0, bsHeap, s * f, f); }
                    else java.util.Arrays.fill(bsHeap, s * f, (s + 1) * f, 0f);
                }
                gmfHead(gmf);
                for (int r = 0; r < n; r++)
                    if (slotOf[r] / SLOTS == pass) out[p0 + r] = rowConst[r] + hHeap[r] + hgHeap[(slotOf[r] % SLOTS) * CHUNK + r];
            }
        }

        /** Items [lo, hi) of user u's row (chunk-aligned lo) into out. */
        void rowRange(int u, int lo, int hi, float[] out) {
            if (fused) {   // any range: a row's scores do not depend on the chunk it is computed in
                loadSlot(0, u);
                for (int i0 = lo; i0 < hi; i0 += CHUNK) rowChunk(i0, 0, out, Math.min(CHUNK, hi - i0));
                return;
            }
            if (numItems < CHUNK) {   // too few items for a whole chunk: gather them as pairs
                int[] us = new int[hi - lo], is = new int[hi - lo];
                java.util.Arrays.fill(us, u);
                for (int i = lo; i < hi; i++) is[i - lo] = i;
                float[] tmp = new float[hi - lo];
                pairChunk(us, is, 0, hi - lo, tmp);
                System.arraycopy(tmp, 0, out, lo, hi - lo);
                return;
            }
            loadSlot(0, u);
            for (int i0 = lo; i0 < hi; i0 += CHUNK) rowChunk(Math.min(i0, numItems - CHUNK), 0, out);
        }
    }

    // ------------------------------------------------------------------------------------------------ API

    /** Logits of (users[k], items[k]) for k in [0, count). */
    @Override
    public void score(int[] users, int[] items, int count, float[] out) {
        checkPairs(users, items, count, out);
        int chunks = (count + CHUNK - 1) / CHUNK;
        workers.run(chunks, (w, a, b) -> {
            Worker wk = ws[w];
            for (int c = a; c < b; c++) {
                int p0 = c * CHUNK;
                wk.pairChunk(users, items, p0, Math.min(CHUNK, count - p0), out);
            }
        });
    }

    @Override
    public void scoreRows(int[] users, int from, int count, RowSink sink) {
        for (int j = 0; j < count; j++) {
            int u = users[from + j];
            if (u < 0 || u >= numUsers) throw new IllegalArgumentException("user " + u + " at " + (from + j) + " is outside [0, " + numUsers + ")");
        }
        int t = workers.threads();
        if (count >= t) {
            workers.run(count, (w, a, b) -> {
                Worker wk = ws[w];
                for (int j0 = a; j0 < b; j0 += USER_BLOCK) {
                    int nb = Math.min(USER_BLOCK, b - j0);
                    if (numItems < CHUNK && !fused) for (int q = 0; q < nb; q++) wk.rowRange(users[from + j0 + q], 0, numItems, wk.rows[q]);
                    else for (int i0 = 0; i0 < numItems; i0 += CHUNK) {
                        // BLAS: the last chunk shifted back to end at the last item (one product shape);
                        // ncf's kernels: the last chunk partial (a row's scores do not depend on the call's size)
                        int s0 = fused ? i0 : Math.min(i0, numItems - CHUNK), n = fused ? Math.min(CHUNK, numItems - i0) : CHUNK;
                        for (int q = 0; q < nb; q++) {   // the item chunk stays in L2 across the block's users
                            wk.loadSlot(q, users[from + j0 + q]);
                            wk.rowChunk(s0, q, wk.rows[q], n);
                        }
                    }
                    for (int q = 0; q < nb; q++) sink.row(w, j0 + q, users[from + j0 + q], wk.rows[q]);
                }
            });
            return;
        }
        // fewer users than workers (one recommend call): split each row's chunks over the workers
        // (worker w takes the share Workers gives worker t-1-w: the calling thread, worker 0, starts at once while the
        // others wake up, so it takes the larger share when the chunks do not split evenly; a pair's score does not
        // depend on which thread or chunk computes it)
        // (ncf's kernels split the items in units of SPLIT_UNIT rather than whole chunks: shares within 16 items of even)
        int unit = fused ? SPLIT_UNIT : CHUNK, units = (numItems + unit - 1) / unit;
        for (int j = 0; j < count; j++) {
            int u = users[from + j];
            workers.run(units, (w, a, b) -> {
                int lo = Workers.bound(units, t, t - 1 - w), hi = Workers.bound(units, t, t - w);
                if (hi > lo) ws[w].rowRange(u, lo * unit, Math.min(numItems, hi * unit), sharedRow);
            });
            sink.row(0, j, u, sharedRow);
        }
    }

    /**
     * Scratch buffers for calls on the calling thread: one lane per concurrently calling thread (a lane itself is not
     * thread-safe). Its native memory is freed with the kernel.
     */
    public final class Lane {
        private final Worker worker = new Worker();

        private Lane() {}
    }

    /** A new lane (a few MB of scratch for the default model); keep and reuse it, lanes are freed only with the kernel. */
    public Lane newLane() { return new Lane(); }

    /** User {@code user}'s logits for every item into {@code row[0, numItems)}, on the calling thread. */
    public void scoreRow(Lane lane, int user, float[] row) {
        if (user < 0 || user >= numUsers) throw new IllegalArgumentException("user " + user + " is outside [0, " + numUsers + ")");
        if (row.length < numItems) throw new IllegalArgumentException("row has " + row.length + " entries, need " + numItems);
        lane.worker.rowRange(user, 0, numItems, row);
    }

    /** Logits of (users[k], items[k]) for k in [0, count), on the calling thread: the same bits as the pool call. */
    public void score(Lane lane, int[] users, int[] items, int count, float[] out) {
        checkPairs(users, items, count, out);
        for (int p0 = 0; p0 < count; p0 += CHUNK) lane.worker.pairChunk(users, items, p0, Math.min(CHUNK, count - p0), out);
    }

    private void checkPairs(int[] users, int[] items, int count, float[] out) {
        if (out.length < count) throw new IllegalArgumentException("output has " + out.length + " entries, need " + count);
        for (int k = 0; k < count; k++) {
            if (users[k] < 0 || users[k] >= numUsers) throw new IllegalArgumentException("user " + users[k] + " at " + k + " is outside [0, " + numUsers + ")");
            if (items[k] < 0 || items[k] >= numItems) throw new IllegalArgumentException("item " + items[k] + " at " + k + " is outside [0, " + numItems + ")");
        }
    }

    @Override
    public void close() {
        if (ownsWorkers) workers.close();
        for (Pointer p : packed) if (p != null) p.close();
        for (Pointer p : panels) if (p != null) p.close();
        for (Pointer p : owned) p.close();
        owned.clear();
    }
}
