package io.ncf.bench;

import io.ncf.train.AdamConfig;

import io.ncf.core.NeuMFConfig;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One equivalence case computed by a CPU engine: a model, a batch, the dropout mask, and what the CPU produced
 * (summed loss, gradients, and parameters after one Adam step), so the GPU can be checked where no JVM with ND4J
 * runs. The file is a count followed by the cases, big-endian ({@link DataOutputStream}); arrays are flat in
 * {@link io.ncf.cuda.ParamLayout} order.
 */
public record ReferenceCase(String name, NeuMFConfig config, int[] users, int[] items, float[] labels, float weight,
                            long maskSeed, float maskRate, long samplePosition, float[] params, double loss,
                            float[] grads, AdamConfig adam, float[] paramsAfterAdam) {

    private static final int MAGIC = 0x4E434652; // "NCFR"
    private static final int VERSION = 1;

    public int count() { return users.length; }

    public static void write(Path file, List<ReferenceCase> cases) throws IOException {
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file)))) {
            out.writeInt(MAGIC);
            out.writeInt(VERSION);
            out.writeInt(cases.size());
            for (ReferenceCase c : cases) {
                out.writeUTF(c.name);
                NeuMFConfig k = c.config;
                out.writeInt(k.numUsers());
                out.writeInt(k.numItems());
                out.writeInt(k.factors());
                int[] layers = k.layers();
                out.writeInt(layers.length);
                for (int l : layers) out.writeInt(l);
                out.writeFloat(k.dropout());
                out.writeInt(c.users.length);
                for (int v : c.users) out.writeInt(v);
                for (int v : c.items) out.writeInt(v);
                for (float v : c.labels) out.writeFloat(v);
                out.writeFloat(c.weight);
                out.writeLong(c.maskSeed);
                out.writeFloat(c.maskRate);
                out.writeLong(c.samplePosition);
                writeFloats(out, c.params);
                out.writeDouble(c.loss);
                writeFloats(out, c.grads);
                out.writeFloat(c.adam.lr());
                out.writeFloat(c.adam.beta1());
                out.writeFloat(c.adam.beta2());
                out.writeFloat(c.adam.eps());
                writeFloats(out, c.paramsAfterAdam);
            }
        }
    }

    public static List<ReferenceCase> read(Path file) throws IOException {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            if (in.readInt() != MAGIC) throw new IOException(file + ": not an ncf-cuda reference-case file (bad magic)");
            int version = in.readInt();
            if (version != VERSION) throw new IOException(file + ": reference-case format version " + version + ", expected " + VERSION);
            int n = in.readInt();
            List<ReferenceCase> cases = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                String name = in.readUTF();
                int u = in.readInt(), it = in.readInt(), f = in.readInt();
                int[] layers = new int[in.readInt()];
                for (int j = 0; j < layers.length; j++) layers[j] = in.readInt();
                NeuMFConfig config = new NeuMFConfig(u, it, f, layers, in.readFloat());
                int b = in.readInt();
                int[] users = new int[b], items = new int[b];
                float[] labels = new float[b];
                for (int j = 0; j < b; j++) users[j] = in.readInt();
                for (int j = 0; j < b; j++) items[j] = in.readInt();
                for (int j = 0; j < b; j++) labels[j] = in.readFloat();
                float weight = in.readFloat();
                long seed = in.readLong();
                float rate = in.readFloat();
                long pos = in.readLong();
                float[] params = readFloats(in, file, name);
                double loss = in.readDouble();
                float[] grads = readFloats(in, file, name);
                AdamConfig adam = new AdamConfig(in.readFloat(), in.readFloat(), in.readFloat(), in.readFloat());
                float[] after = readFloats(in, file, name);
                cases.add(new ReferenceCase(name, config, users, items, labels, weight, seed, rate, pos, params, loss, grads, adam, after));
            }
            return cases;
        } catch (EOFException e) {
            throw new IOException(file + ": truncated reference-case file", e);
        }
    }

    private static void writeFloats(DataOutputStream out, float[] a) throws IOException {
        out.writeInt(a.length);
        for (float v : a) out.writeFloat(v);
    }

    private static float[] readFloats(DataInputStream in, Path file, String name) throws IOException {
        int n = in.readInt();
        if (n < 0) throw new IOException(file + ": case '" + name + "' has a negative array length " + n);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = in.readFloat();
        return a;
    }

    /** ||a - b|| / ||b|| over a tensor's slice (NaN if either side has NaN). */
    public static double relativeError(float[] a, float[] b, long from, long length) {
        double num = 0, den = 0;
        for (long i = from; i < from + length; i++) {
            double d = (double) a[(int) i] - b[(int) i];
            num += d * d;
            den += (double) b[(int) i] * b[(int) i];
        }
        if (den == 0) return Math.sqrt(num);
        return Math.sqrt(num / den);
    }
}
