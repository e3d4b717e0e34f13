package io.ncf.spark.train;

import io.ncf.model.ParamSet;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * Parameters as one little-endian byte array for a broadcast: Java serialization copies a {@code byte[]} in one go
 * (a {@code float[]} a float at a time), and the replica fills its buffers straight from it.
 */
final class FlatBytes {

    private FlatBytes() {}

    static byte[] pack(ParamSet params) {
        long n = params.totalLength();
        if (4 * n > Integer.MAX_VALUE - 16) throw new IllegalStateException(n + " parameters do not fit one broadcast array");
        ByteBuffer b = ByteBuffer.allocate((int) (4 * n)).order(ByteOrder.LITTLE_ENDIAN);
        FloatBuffer out = b.asFloatBuffer();
        for (INDArray a : params.arrays()) out.put(a.data().asNioFloat().slice(0, (int) a.length()));
        return b.array();
    }

    static void unpack(byte[] bytes, ParamSet params) {
        if (bytes.length != 4 * params.totalLength())
            throw new IllegalArgumentException("broadcast holds " + bytes.length / 4 + " parameters, the replica " + params.totalLength());
        FloatBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        for (INDArray a : params.arrays()) {
            int len = (int) a.length();
            a.data().asNioFloat().put(in.slice(in.position(), len));
            in.position(in.position() + len);
        }
    }
}
