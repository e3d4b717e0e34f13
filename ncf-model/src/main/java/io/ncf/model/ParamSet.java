package io.ncf.model;

import io.ncf.core.NeuMFConfig;
import io.ncf.core.ParamShapes;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * NeuMF's tensors by name, in a fixed order: {@code mf_user [U,f]}, {@code mf_item [I,f]},
 * {@code mlp_user [U,e]}, {@code mlp_item [I,e]}, then per dense layer k {@code mlp_w<k> [in,out]} and
 * {@code mlp_b<k> [out]}, then {@code final_w [f+last,1]} and {@code final_b [1]}. All FLOAT, 'c' order.
 * The same layout holds gradients and optimizer state, so code can walk any of them by index.
 */
public final class ParamSet {

    // the tensor names are ParamShapes' (ncf-core), the one place that spells them
    public static final String MF_USER = ParamShapes.MF_USER, MF_ITEM = ParamShapes.MF_ITEM, MLP_USER = ParamShapes.MLP_USER,
            MLP_ITEM = ParamShapes.MLP_ITEM;
    public static final String FINAL_W = ParamShapes.FINAL_W, FINAL_B = ParamShapes.FINAL_B;

    public static String denseWeight(int k) { return ParamShapes.denseWeight(k); }

    public static String denseBias(int k) { return ParamShapes.denseBias(k); }

    private final NeuMFConfig config;
    private final LinkedHashMap<String, INDArray> arrays;

    private ParamSet(NeuMFConfig config, LinkedHashMap<String, INDArray> arrays) {
        this.config = config;
        this.arrays = arrays;
    }

    /** Names and shapes of a config's tensors, in order. */
    public static LinkedHashMap<String, long[]> shapes(NeuMFConfig c) {
        return ParamShapes.of(c);
    }

    public static ParamSet zeros(NeuMFConfig c) {
        LinkedHashMap<String, INDArray> a = new LinkedHashMap<>();
        shapes(c).forEach((n, shape) -> a.put(n, Nd4j.zeros(DataType.FLOAT, shape)));
        return new ParamSet(c, a);
    }

    /**
     * NVIDIA's initialisation: embeddings N(0, 0.01), dense weights Glorot-uniform, the final layer
     * LeCun-uniform, biases zero. Deterministic in {@code seed}, independent of ND4J's random state.
     */
    public static ParamSet initialize(NeuMFConfig c, long seed) {
        return fromFlat(c, ParamInit.nvidia(c, seed)); // one implementation for every engine: ParamInit
    }

    /** Wraps existing arrays (e.g. loaded from a checkpoint); names and shapes must match the config. */
    public static ParamSet of(NeuMFConfig c, Map<String, INDArray> given) {
        LinkedHashMap<String, INDArray> a = new LinkedHashMap<>();
        for (var e : shapes(c).entrySet()) {
            INDArray arr = given.get(e.getKey());
            if (arr == null) throw new IllegalArgumentException("missing parameter '" + e.getKey() + "' for " + c);
            if (!java.util.Arrays.equals(arr.shape(), e.getValue()))
                throw new IllegalArgumentException("parameter '" + e.getKey() + "' has shape " + java.util.Arrays.toString(arr.shape())
                        + " but " + c + " needs " + java.util.Arrays.toString(e.getValue()));
            a.put(e.getKey(), arr.dataType() == DataType.FLOAT && arr.ordering() == 'c' ? arr : arr.castTo(DataType.FLOAT).dup('c'));
        }
        return new ParamSet(c, a);
    }

    /**
     * Parameters from one flat array in {@link ParamShapes} order (the engine-neutral snapshot form), copied into
     * fresh arrays.
     */
    public static ParamSet fromFlat(NeuMFConfig c, float[] flat) {
        if (flat.length != ParamShapes.totalLength(c))
            throw new IllegalArgumentException("flat parameters have " + flat.length + " values but " + c + " has " + ParamShapes.totalLength(c));
        ParamSet p = zeros(c);
        p.copyFromFlat(flat);
        return p;
    }

    /** Overwrites every tensor from a flat array in {@link ParamShapes} order. */
    public void copyFromFlat(float[] flat) {
        int off = 0;
        for (INDArray a : arrays.values()) {
            int n = (int) a.length();
            a.data().asNioFloat().put(flat, off, n);
            off += n;
        }
    }

    /** All tensors in one flat array, {@link ParamShapes} order (a copy). */
    public float[] toFlat() {
        long total = totalLength();
        if (total > Integer.MAX_VALUE - 8) throw new IllegalStateException(config + " has too many parameters for one Java array: " + total);
        float[] flat = new float[(int) total];
        int off = 0;
        for (INDArray a : arrays.values()) {
            int n = (int) a.length();
            a.data().asNioFloat().get(flat, off, n);
            off += n;
        }
        return flat;
    }

    public NeuMFConfig config() { return config; }

    public INDArray get(String name) {
        INDArray a = arrays.get(name);
        if (a == null) throw new IllegalArgumentException("no parameter named '" + name + "'");
        return a;
    }

    public List<String> names() { return Collections.unmodifiableList(new ArrayList<>(arrays.keySet())); }

    public List<INDArray> arrays() { return Collections.unmodifiableList(new ArrayList<>(arrays.values())); }

    public Map<String, INDArray> asMap() { return Collections.unmodifiableMap(arrays); }

    public ParamSet copy() {
        LinkedHashMap<String, INDArray> a = new LinkedHashMap<>();
        arrays.forEach((n, arr) -> a.put(n, arr.dup('c')));
        return new ParamSet(config, a);
    }

    public ParamSet zerosLike() { return zeros(config); }

    /** Sets every array to zero (reuses memory). */
    public void clear() { for (INDArray a : arrays.values()) a.assign(0); }

    /** this += other, element-wise. */
    public void addi(ParamSet other) { for (String n : arrays.keySet()) arrays.get(n).addi(other.get(n)); }

    public void assign(ParamSet other) { for (String n : arrays.keySet()) arrays.get(n).assign(other.get(n)); }

    public long totalLength() { long t = 0; for (INDArray a : arrays.values()) t += a.length(); return t; }

    /**
     * True if every value of every array is finite (no inf, no NaN). One branch-free pass per array over the raw
     * buffer (x*0 is 0 for finite x and NaN for inf/NaN), checked once per array: loss scaling asks this every step.
     */
    public boolean allFinite() {
        for (INDArray a : arrays.values()) {
            var buf = a.data().asNioFloat();
            float acc = 0;
            for (int i = 0, n = (int) a.length(); i < n; i++) acc += buf.get(i) * 0f;
            if (acc != 0f) return false;
        }
        return true;
    }
}
