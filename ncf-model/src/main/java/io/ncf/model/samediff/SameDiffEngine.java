package io.ncf.model.samediff;

import io.ncf.model.DropoutMask;
import io.ncf.core.NeuMFConfig;
import io.ncf.model.ParamSet;
import io.ncf.model.GradientEngine;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * The reference NeuMF engine: the {@link NeuMFGraph} driven by a hand-written loop (M2.1's {@code fit} reports
 * loss 0 and cannot scale losses) that runs the graph's gradient function directly, see
 * {@link NeuMFGraph#runGradients}.
 *
 * <p>Per micro-batch: gather the embedding rows in Java into preallocated placeholder arrays, fill the dropout
 * masks from {@link DropoutMask}, run the graph, add the dense gradients into {@code grads}, and scatter-add the
 * gathered rows' gradients into the dense gradient tables with a plain loop (6x faster than native scatter_add).
 * The loss is recomputed in double from the logits, unweighted.
 *
 * <p>Not thread-safe: one engine per thread.
 */
public final class SameDiffEngine implements GradientEngine {

    /**
     * Measured with SameDiffEngineBench (ml-20m shape, global batch 1M, 2 cores shared with other jobs): 64k used
     * the least CPU per sample (26.4 CPU-s per core per 1M vs 27.4 at 32k and 30.7 at 16k) and had the best wall
     * time, at a peak RSS of 2.2-2.3 GB for the whole step including dense Adam state.
     */
    public static final int DEFAULT_MICRO_BATCH = 65_536;

    private final NeuMFConfig config;
    private final ParamSet params;
    private final int microBatch;
    private final DataType compute;
    private NeuMFGraph trainGraph;
    private NeuMFGraph scoreGraph;
    /** Input arrays per chunk size: the full micro-batch plus whatever tail size came last. */
    private final Map<Integer, ChunkInputs> inputs = new HashMap<>();
    private boolean closed;
    private boolean gcAfterChunk = true;
    private int scoreChunksSinceGc;

    public SameDiffEngine(ParamSet params) { this(params, DEFAULT_MICRO_BATCH, DataType.FLOAT); }

    public SameDiffEngine(ParamSet params, int microBatchSize) { this(params, microBatchSize, DataType.FLOAT); }

    /**
     * @param params         the parameters, read in place on every call (FLOAT, 'c' order, each array owning its whole
     *                       buffer, as {@link ParamSet#zeros} and {@link ParamSet#initialize} make them; the same holds
     *                       for the embedding tables of the gradient sets passed in, which are read as raw buffers)
     * @param microBatchSize samples per graph execution; bounds activation memory
     * @param compute        FLOAT, or HALF for mixed precision (FLOAT master weights, FLOAT loss); HALF is slow on CPU
     */
    public SameDiffEngine(ParamSet params, int microBatchSize, DataType compute) {
        if (microBatchSize <= 0) throw new IllegalArgumentException("micro-batch size must be positive, got " + microBatchSize);
        this.params = params;
        this.config = params.config();
        this.microBatch = microBatchSize;
        this.compute = compute;
        for (String n : params.names()) requireDense(params.get(n), "parameter " + n);
        this.trainGraph = NeuMFGraph.build(config, compute, true);
    }

    @Override public NeuMFConfig config() { return config; }

    @Override public ParamSet params() { return params; }

    @Override public int microBatchSize() { return microBatch; }

    public DataType computeType() { return compute; }

    /**
     * Whether to run {@code System.gc()} after each micro-batch (default true) to bound off-heap memory; turn off
     * only where something else collects often enough, e.g. many tiny chunks in tests.
     */
    public SameDiffEngine gcAfterChunk(boolean on) {
        this.gcAfterChunk = on;
        return this;
    }

    @Override
    public double accumulateGradients(int[] users, int[] items, float[] labels, int from, int count, float weight,
                                      DropoutMask dropout, long samplePosition, ParamSet grads) {
        ensureOpen();
        checkRange(users, items, from, count);
        if (labels.length < from + count)
            throw new IllegalArgumentException("labels has " + labels.length + " entries, need " + (from + count));
        if (!grads.config().equals(config))
            throw new IllegalArgumentException("gradient set is for " + grads.config() + ", engine is for " + config);
        for (String t : List.of(ParamSet.MF_USER, ParamSet.MF_ITEM, ParamSet.MLP_USER, ParamSet.MLP_ITEM))
            requireDense(grads.get(t), "gradient table " + t);
        double loss = 0;
        for (int done = 0; done < count; done += microBatch) {
            int n = Math.min(microBatch, count - done);
            loss += chunk(users, items, labels, from + done, n, weight, dropout, samplePosition + done, grads);
        }
        return loss;
    }

    private double chunk(int[] users, int[] items, float[] labels, int from, int n, float weight,
                         DropoutMask dropout, long position, ParamSet grads) {
        ChunkInputs in = inputsFor(n, true);
        in.gather(params, users, items, from, n);
        FloatBuffer lb = in.labels.data().asNioFloat();
        for (int k = 0; k < n; k++) {
            float y = labels[from + k];
            if (y != 0f && y != 1f) throw new IllegalArgumentException("label of sample " + (from + k) + " is " + y + ", expected 0 or 1");
            lb.put(k, y);
        }
        fillMasks(in, dropout, position, n);
        Map<String, INDArray> ph = in.placeholders(params);
        ph.put(NeuMFGraph.LABELS, in.labels);
        for (int l = 0; l < in.masks.length; l++) ph.put(NeuMFGraph.mask(l), in.masks[l]);
        INDArray w = Nd4j.scalar(DataType.FLOAT, weight);
        ph.put(NeuMFGraph.WEIGHT, w);

        Map<String, INDArray> g = trainGraph.runGradients(ph);
        INDArray logits = g.remove(NeuMFGraph.LOGITS);

        for (String name : trainGraph.denseParams()) grads.get(name).addi(gradient(g, name));
        // One task per side: a table is only ever written by one thread, in sample order, so the sums are
        // bit-identical to a sequential loop.
        INDArray gMfU = gradient(g, NeuMFGraph.MF_U), gMfI = gradient(g, NeuMFGraph.MF_I);
        INDArray gMlpU = gradient(g, NeuMFGraph.MLP_U), gMlpI = gradient(g, NeuMFGraph.MLP_I);
        IntStream.range(0, 2).parallel().forEach(side -> {
            if (side == 0) {
                scatterAdd(gMfU, grads.get(ParamSet.MF_USER), users, from, n);
                scatterAdd(gMlpU, grads.get(ParamSet.MLP_USER), users, from, n);
            } else {
                scatterAdd(gMfI, grads.get(ParamSet.MF_ITEM), items, from, n);
                scatterAdd(gMlpI, grads.get(ParamSet.MLP_ITEM), items, from, n);
            }
        });

        double loss = 0;
        FloatBuffer zb = contiguous(logits).data().asNioFloat();
        for (int k = 0; k < n; k++) loss += sigmoidCrossEntropy(zb.get(k), labels[from + k]);

        release(logits);
        for (INDArray a : g.values()) release(a);
        w.close();
        // Even with the session's array cache on, some intermediates are dropped without being closed and their
        // off-heap memory returns only when a GC finalises them (~0.2 GB per 32k chunk). A collection of the
        // nearly empty heap costs ~40 ms, a few percent of a chunk.
        if (gcAfterChunk) System.gc();
        return loss;
    }

    /**
     * The masks are a hash per (layer, sample, unit), ~0.25 CPU-s per 64k samples on one core, so they are filled
     * in row blocks in parallel while ND4J's own threads are idle.
     */
    private static void fillMasks(ChunkInputs in, DropoutMask dropout, long position, int n) {
        int blocks = (n + FILL_BLOCK - 1) / FILL_BLOCK;
        IntStream.range(0, blocks).parallel().forEach(b -> {
            int r0 = b * FILL_BLOCK, rows = Math.min(FILL_BLOCK, n - r0);
            float[] row = new float[0];
            for (int l = 0; l < in.masks.length; l++) {
                int width = (int) in.masks[l].size(1);
                if (row.length < rows * width) row = new float[rows * width];
                dropout.fill(l, position + r0, rows, width, row, 0);
                in.masks[l].data().asNioFloat().put(r0 * width, row, 0, rows * width);
            }
        });
    }

    private static final int FILL_BLOCK = 4096;

    /** max(z,0) - z*y + log(1 + exp(-|z|)), in double. */
    public static double sigmoidCrossEntropy(double z, double y) {
        return Math.max(z, 0) - z * y + Math.log1p(Math.exp(-Math.abs(z)));
    }

    @Override
    public void score(int[] users, int[] items, int count, float[] out) {
        ensureOpen();
        checkRange(users, items, 0, count);
        if (out.length < count) throw new IllegalArgumentException("out has " + out.length + " entries, need " + count);
        if (scoreGraph == null) scoreGraph = NeuMFGraph.build(config, compute, false);
        for (int done = 0; done < count; done += microBatch) {
            int n = Math.min(microBatch, count - done);
            ChunkInputs in = inputsFor(n, false);
            in.gather(params, users, items, done, n);
            INDArray z = scoreGraph.sameDiff().output(in.placeholders(params), NeuMFGraph.LOGITS).get(NeuMFGraph.LOGITS);
            contiguous(z).data().asNioFloat().get(0, out, done, n);
            release(z);
            // Inference leaks far less than training (~0.5 KB per sample to the GC), so collect less often.
            if (gcAfterChunk && ++scoreChunksSinceGc >= 8) {
                System.gc();
                scoreChunksSinceGc = 0;
            }
        }
    }

    private ChunkInputs inputsFor(int n, boolean training) {
        ChunkInputs in = inputs.get(n);
        if (in != null && (!training || in.masks != null)) return in;
        // Keep the full-size set; a tail size is rare (end of an epoch), so only the latest one is kept.
        if (inputs.size() >= 2) {
            inputs.entrySet().removeIf(e -> {
                if (e.getKey() == microBatch) return false;
                e.getValue().close();
                return true;
            });
        }
        if (in != null) in.close();
        in = new ChunkInputs(config, n, training);
        inputs.put(n, in);
        return in;
    }

    private static INDArray gradient(Map<String, INDArray> g, String name) {
        INDArray a = g.get(name);
        if (a == null) throw new IllegalStateException("SameDiff returned no gradient for '" + name + "'");
        return a;
    }

    /** table[ids[from+k]] += rows[k] for k in [0, n): duplicates add up, which is what the lookup's gradient is. */
    static void scatterAdd(INDArray rows, INDArray table, int[] ids, int from, int n) {
        int d = (int) table.size(1);
        FloatBuffer src = contiguous(rows).data().asNioFloat();
        FloatBuffer dst = table.data().asNioFloat();
        for (int k = 0; k < n; k++) {
            int base = ids[from + k] * d, s = k * d;
            for (int j = 0; j < d; j++) dst.put(base + j, dst.get(base + j) + src.get(s + j));
        }
    }

    private static INDArray contiguous(INDArray a) {
        return a.ordering() == 'c' && a.offset() == 0 && !a.isView() && a.dataType() == DataType.FLOAT ? a : a.castTo(DataType.FLOAT).dup('c');
    }

    private static void release(INDArray a) {
        if (a != null && a.closeable()) a.close();
    }

    static void requireDense(INDArray a, String what) {
        if (a.dataType() != DataType.FLOAT || a.ordering() != 'c' || a.offset() != 0 || a.length() != a.data().length())
            throw new IllegalArgumentException(what + " must be a FLOAT, 'c'-ordered array owning its buffer, got "
                    + a.dataType() + " '" + a.ordering() + "' offset " + a.offset());
    }

    private void checkRange(int[] users, int[] items, int from, int count) {
        if (from < 0 || count < 0 || from + count > users.length || from + count > items.length)
            throw new IllegalArgumentException("samples [" + from + ", " + (from + count) + ") out of range: users has "
                    + users.length + ", items has " + items.length);
        for (int k = from; k < from + count; k++) {
            if (users[k] < 0 || users[k] >= config.numUsers())
                throw new IllegalArgumentException("user id " + users[k] + " at sample " + k + " outside [0, " + config.numUsers() + ")");
            if (items[k] < 0 || items[k] >= config.numItems())
                throw new IllegalArgumentException("item id " + items[k] + " at sample " + k + " outside [0, " + config.numItems() + ")");
        }
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("engine is closed");
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (ChunkInputs in : inputs.values()) in.close();
        inputs.clear();
        // M2.1's SameDiff has no close(): drop its references to our arrays and let the GC reclaim the rest.
        for (NeuMFGraph gr : new NeuMFGraph[]{trainGraph, scoreGraph}) {
            if (gr == null) continue;
            gr.sameDiff().clearPlaceholders(true);
            gr.sameDiff().clearOpInputs();
        }
        trainGraph = null;
        scoreGraph = null;
    }

    /** The placeholder arrays for one chunk size, reused across calls so steady state allocates nothing here. */
    private static final class ChunkInputs {
        final INDArray mfU, mfI, mlpU, mlpI, labels;
        final INDArray[] masks;

        ChunkInputs(NeuMFConfig c, int n, boolean training) {
            mfU = Nd4j.createUninitialized(DataType.FLOAT, n, c.factors());
            mfI = Nd4j.createUninitialized(DataType.FLOAT, n, c.factors());
            mlpU = Nd4j.createUninitialized(DataType.FLOAT, n, c.mlpEmbeddingDim());
            mlpI = Nd4j.createUninitialized(DataType.FLOAT, n, c.mlpEmbeddingDim());
            if (training) {
                labels = Nd4j.createUninitialized(DataType.FLOAT, n, 1);
                masks = new INDArray[c.denseLayerCount()];
                for (int l = 0; l < masks.length; l++) masks[l] = Nd4j.createUninitialized(DataType.FLOAT, n, c.layer(l + 1));
            } else {
                labels = null;
                masks = null;
            }
        }

        void gather(ParamSet p, int[] users, int[] items, int from, int n) {
            IntStream.range(0, 2).parallel().forEach(side -> {
                if (side == 0) {
                    gatherRows(p.get(ParamSet.MF_USER), users, from, n, mfU);
                    gatherRows(p.get(ParamSet.MLP_USER), users, from, n, mlpU);
                } else {
                    gatherRows(p.get(ParamSet.MF_ITEM), items, from, n, mfI);
                    gatherRows(p.get(ParamSet.MLP_ITEM), items, from, n, mlpI);
                }
            });
        }

        private static void gatherRows(INDArray table, int[] ids, int from, int n, INDArray out) {
            int d = (int) table.size(1);
            FloatBuffer src = table.data().asNioFloat();
            FloatBuffer dst = out.data().asNioFloat();
            for (int k = 0; k < n; k++) dst.put(k * d, src, ids[from + k] * d, d);
        }

        Map<String, INDArray> placeholders(ParamSet p) {
            Map<String, INDArray> ph = new HashMap<>();
            ph.put(NeuMFGraph.MF_U, mfU);
            ph.put(NeuMFGraph.MF_I, mfI);
            ph.put(NeuMFGraph.MLP_U, mlpU);
            ph.put(NeuMFGraph.MLP_I, mlpI);
            for (String n : p.names()) {
                if (!n.equals(ParamSet.MF_USER) && !n.equals(ParamSet.MF_ITEM) && !n.equals(ParamSet.MLP_USER) && !n.equals(ParamSet.MLP_ITEM))
                    ph.put(n, p.get(n));
            }
            return ph;
        }

        void close() {
            List<INDArray> all = new ArrayList<>(List.of(mfU, mfI, mlpU, mlpI));
            if (labels != null) all.add(labels);
            if (masks != null) all.addAll(List.of(masks));
            for (INDArray a : all) release(a);
        }
    }
}
