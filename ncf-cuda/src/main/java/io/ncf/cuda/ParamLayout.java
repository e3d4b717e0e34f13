package io.ncf.cuda;

import io.ncf.core.NeuMFConfig;
import io.ncf.core.ParamShapes;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Where each NeuMF tensor lives in the one contiguous FP32 buffer the CUDA engine keeps for parameters (and,
 * with the same offsets, for gradients and Adam's moments): {@link ParamShapes}' names, order and shapes (ncf-core,
 * no ND4J), as row-major {@code rows × cols} tensors with the offsets the kernels take.
 */
public final class ParamLayout {

    /** One tensor: row-major {@code rows × cols} floats starting at {@code offset}. */
    public record Tensor(String name, int rows, int cols, long offset) {
        public long length() { return (long) rows * cols; }
    }

    private final NeuMFConfig config;
    private final List<Tensor> tensors;
    private final long total;

    public ParamLayout(NeuMFConfig c) {
        this.config = c;
        List<Tensor> t = new ArrayList<>();
        long off = 0;
        for (var e : ParamShapes.of(c).entrySet()) {
            long[] shape = e.getValue(); // a bias {n} is one row of n
            off = add(t, e.getKey(), shape.length == 1 ? 1 : Math.toIntExact(shape[0]), Math.toIntExact(shape[shape.length - 1]), off);
        }
        this.tensors = Collections.unmodifiableList(t);
        this.total = off;
    }

    private static long add(List<Tensor> t, String name, int rows, int cols, long off) {
        t.add(new Tensor(name, rows, cols, off));
        return off + (long) rows * cols;
    }

    public NeuMFConfig config() { return config; }

    public List<Tensor> tensors() { return tensors; }

    public long totalLength() { return total; }

    public Tensor get(String name) {
        for (Tensor t : tensors) if (t.name().equals(name)) return t;
        throw new IllegalArgumentException("no tensor named '" + name + "' in " + config);
    }

    public Tensor denseWeight(int k) { return get(ParamShapes.denseWeight(k)); }

    public Tensor denseBias(int k) { return get(ParamShapes.denseBias(k)); }

    /** Offset of the first dense-layer tensor; everything from there to the end is the (small) dense part. */
    public long denseOffset() { return get(ParamShapes.denseWeight(0)).offset(); }

    /** Splits a flat buffer into per-tensor arrays, in order. */
    public float[][] split(float[] flat) {
        if (flat.length != total) throw new IllegalArgumentException("flat buffer has " + flat.length + " floats, layout needs " + total);
        float[][] out = new float[tensors.size()][];
        for (int i = 0; i < out.length; i++) {
            Tensor t = tensors.get(i);
            out[i] = java.util.Arrays.copyOfRange(flat, (int) t.offset(), (int) (t.offset() + t.length()));
        }
        return out;
    }

    /** Joins per-tensor arrays (in order) into one flat buffer, checking each length. */
    public float[] join(float[][] parts) {
        if (parts.length != tensors.size()) throw new IllegalArgumentException("got " + parts.length + " tensors, layout has " + tensors.size());
        if (total > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("model too large for one Java array: " + total + " floats");
        float[] flat = new float[(int) total];
        for (int i = 0; i < parts.length; i++) {
            Tensor t = tensors.get(i);
            if (parts[i].length != t.length())
                throw new IllegalArgumentException("tensor '" + t.name() + "' has " + parts[i].length + " floats, expected " + t.rows() + "×" + t.cols());
            System.arraycopy(parts[i], 0, flat, (int) t.offset(), parts[i].length);
        }
        return flat;
    }
}
