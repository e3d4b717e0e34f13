package io.ncf.cuda.nd4j;

import io.ncf.cuda.ParamLayout;
import io.ncf.model.ParamSet;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;

/**
 * Copies between ND4J {@link ParamSet}s and the CUDA engine's flat FP32 layout ({@link ParamLayout}). Lives in its
 * own package because it loads ND4J: the GPU runtime (io.ncf.cuda) never references it.
 */
public final class ParamSetBridge {

    private ParamSetBridge() {}

    /** The set's tensors, flat in layout order. */
    public static float[] flatten(ParamSet set, ParamLayout layout) {
        checkConfig(set, layout);
        float[] flat = new float[Math.toIntExact(layout.totalLength())];
        for (ParamLayout.Tensor t : layout.tensors()) {
            FloatBuffer b = buffer(set.get(t.name()), t);
            b.get(flat, (int) t.offset(), (int) t.length());
        }
        return flat;
    }

    /** Overwrites the set's tensors with a flat array. */
    public static void assign(ParamSet set, ParamLayout layout, float[] flat) {
        checkConfig(set, layout);
        checkFlat(layout, flat);
        for (ParamLayout.Tensor t : layout.tensors()) buffer(set.get(t.name()), t).put(flat, (int) t.offset(), (int) t.length());
    }

    /** set += flat, element-wise (gradients are accumulated, per the GradientEngine contract). */
    public static void addInto(ParamSet set, ParamLayout layout, float[] flat) {
        checkConfig(set, layout);
        checkFlat(layout, flat);
        for (ParamLayout.Tensor t : layout.tensors()) {
            FloatBuffer b = buffer(set.get(t.name()), t);
            int off = (int) t.offset();
            for (int i = 0, n = (int) t.length(); i < n; i++) b.put(i, b.get(i) + flat[off + i]);
        }
    }

    private static FloatBuffer buffer(INDArray a, ParamLayout.Tensor t) {
        if (a.length() != t.length())
            throw new IllegalArgumentException("tensor '" + t.name() + "' has " + a.length() + " values, layout expects " + t.length());
        if (a.offset() != 0 || a.ordering() != 'c' || a.data().length() < a.length())
            throw new IllegalArgumentException("tensor '" + t.name() + "' must be a whole 'c'-ordered array, not a view");
        return a.data().asNioFloat();
    }

    private static void checkConfig(ParamSet set, ParamLayout layout) {
        if (!set.config().equals(layout.config()))
            throw new IllegalArgumentException("parameter set is for " + set.config() + ", layout for " + layout.config());
    }

    private static void checkFlat(ParamLayout layout, float[] flat) {
        if (flat.length != layout.totalLength())
            throw new IllegalArgumentException("flat array has " + flat.length + " floats, layout needs " + layout.totalLength());
    }
}
