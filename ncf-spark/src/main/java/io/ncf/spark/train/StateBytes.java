package io.ncf.spark.train;

import io.ncf.core.NeuMFConfig;
import io.ncf.core.ParamShapes;
import io.ncf.train.engine.EngineState;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * An engine's FP32 state (parameters, Adam's moments and step count) as one little-endian byte array: the form in which
 * it crosses between driver and executors (a broadcast to start replicas, a task result back), because Java
 * serialization copies a {@code byte[]} in one go and a {@code float[]} a float at a time. No loss scale: the Spark
 * engines compute in FLOAT.
 */
final class StateBytes {

    private StateBytes() {}

    static byte[] pack(EngineState s) {
        int n = s.params().length;
        boolean moments = s.hasMoments();
        long bytes = 9 + 4L * n * (moments ? 3 : 1);
        if (bytes > Integer.MAX_VALUE - 16) throw new IllegalStateException(n + " parameters with Adam's moments do not fit one byte array");
        ByteBuffer b = ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(s.adamStep()).put((byte) (moments ? 1 : 0));
        b.asFloatBuffer().put(s.params());
        if (moments) {
            b.position(9 + 4 * n).slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(s.adamM()).put(s.adamV());
        }
        return b.array();
    }

    static EngineState unpack(byte[] bytes, NeuMFConfig config) {
        int n = (int) ParamShapes.totalLength(config);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long step = b.getLong();
        boolean moments = b.get() == 1;
        if (bytes.length != 9 + 4L * n * (moments ? 3 : 1))
            throw new IllegalArgumentException("a state of " + bytes.length + " bytes is not one of " + n + " parameters");
        var floats = b.slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        float[] p = new float[n];
        floats.get(p);
        if (!moments) return EngineState.initial(config, p);
        float[] m = new float[n], v = new float[n];
        floats.get(m).get(v);
        return new EngineState(config, p, m, v, step, Float.NaN, 0);
    }
}
