package io.ncf.spark.train;

import io.ncf.core.ParamShapes;
import io.ncf.model.ParamSet;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.util.Arrays;

/**
 * A shard's gradient as it crosses the network: the four embedding tables row-sparse (only the rows of the shard's
 * users and items, the only rows with a gradient), every other tensor dense, packed in one byte array. One array
 * because Java serialization (Spark's for task results) writes a {@code byte[]} in one copy but a {@code float[]} a
 * float at a time; at ml-latest-small's shape and a 4,096-sample step the payload is about a third of the dense 8.4 MB.
 *
 * <p>Layout (little-endian): loss (double), user row count, item row count, the user rows, the item rows, then for
 * each tensor in {@link ParamShapes} order its listed rows (embedding tables) or all of it.
 */
final class ShardGradient implements Serializable {

    private static final long serialVersionUID = 1L;

    private final byte[] payload;

    private ShardGradient(byte[] payload) { this.payload = payload; }

    static boolean isUserTable(String name) { return name.equals(ParamShapes.MF_USER) || name.equals(ParamShapes.MLP_USER); }

    static boolean isItemTable(String name) { return name.equals(ParamShapes.MF_ITEM) || name.equals(ParamShapes.MLP_ITEM); }

    /** Packs the shard's rows and the dense tensors of {@code grads}. */
    static ShardGradient of(double loss, ParamSet grads, int[] users, int[] items) {
        int[] userRows = distinct(users), itemRows = distinct(items);
        long floats = 0;
        for (String n : grads.names()) {
            INDArray a = grads.get(n);
            floats += isUserTable(n) ? (long) userRows.length * a.size(1) : isItemTable(n) ? (long) itemRows.length * a.size(1) : a.length();
        }
        long bytes = 16 + 4L * (userRows.length + itemRows.length) + 4 * floats;
        if (bytes > Integer.MAX_VALUE - 16) throw new IllegalStateException("a shard's gradient of " + bytes + " bytes does not fit one task result");
        ByteBuffer b = ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putDouble(loss).putInt(userRows.length).putInt(itemRows.length);
        b.asIntBuffer().put(userRows).put(itemRows);
        b.position(b.position() + 4 * (userRows.length + itemRows.length));
        FloatBuffer out = b.asFloatBuffer();
        for (String n : grads.names()) {
            INDArray a = grads.get(n);
            FloatBuffer src = a.data().asNioFloat();
            if (isUserTable(n) || isItemTable(n)) {
                int w = (int) a.size(1);
                for (int r : isUserTable(n) ? userRows : itemRows) out.put(src.slice(r * w, w));
            } else {
                out.put(src.slice(0, (int) a.length()));
            }
        }
        return new ShardGradient(b.array());
    }

    /** A gradient from its packed bytes (as {@link #payload()} gave them). */
    static ShardGradient wrap(byte[] payload) { return new ShardGradient(payload); }

    /** The packed bytes (not a copy). */
    byte[] payload() { return payload; }

    double loss() { return ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN).getDouble(0); }

    /** Adds this gradient into {@code grads}. */
    void addTo(ParamSet grads) {
        ByteBuffer b = ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN);
        int nu = b.getInt(8), ni = b.getInt(12);
        IntBuffer ids = b.position(16).slice().order(ByteOrder.LITTLE_ENDIAN).asIntBuffer();
        int[] userRows = new int[nu], itemRows = new int[ni];
        ids.get(userRows).get(itemRows);
        FloatBuffer in = b.position(16 + 4 * (nu + ni)).slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        float[] row = new float[0];
        for (String n : grads.names()) {
            INDArray a = grads.get(n);
            FloatBuffer dst = a.data().asNioFloat();
            if (isUserTable(n) || isItemTable(n)) {
                int w = (int) a.size(1);
                if (row.length != w) row = new float[w];
                for (int r : isUserTable(n) ? userRows : itemRows) {
                    in.get(row);
                    int base = r * w;
                    for (int j = 0; j < w; j++) dst.put(base + j, dst.get(base + j) + row[j]);
                }
            } else {
                int len = (int) a.length();
                float[] all = new float[len];
                in.get(all);
                for (int j = 0; j < len; j++) dst.put(j, dst.get(j) + all[j]);
            }
        }
    }

    /** Bytes on the wire (the benchmark's per-step traffic). */
    long payloadBytes() { return payload.length; }

    private static int[] distinct(int[] ids) {
        int[] c = ids.clone();
        Arrays.sort(c);
        int w = 0;
        for (int k = 0; k < c.length; k++) if (k == 0 || c[k] != c[k - 1]) c[w++] = c[k];
        return Arrays.copyOf(c, w);
    }
}
