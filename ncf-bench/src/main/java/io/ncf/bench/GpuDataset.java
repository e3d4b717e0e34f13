package io.ncf.bench;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What GPU training needs of a prepared dataset, as one compact file a machine without ncf-data's dependencies
 * can read: the training positives and the evaluation candidates (held-out item first in each row). Written from
 * an {@code ncf prepare} directory by {@link DatasetExporter}, so GPU ({@code CudaMain train}) and CPU ({@link CpuBaseline}) runs use the same split.
 */
public record GpuDataset(int numUsers, int numItems, int[] trainUsers, int[] trainItems, int[] evalUsers,
                         int[] evalItems, int evalWidth) {

    private static final int MAGIC = 0x4E434644; // "NCFD"

    public GpuDataset {
        if (trainUsers.length != trainItems.length) throw new IllegalArgumentException("train arrays differ in length");
        if (evalItems.length != (long) evalUsers.length * evalWidth)
            throw new IllegalArgumentException("candidates: " + evalItems.length + " items for " + evalUsers.length + " users × " + evalWidth);
    }

    public void write(Path file) throws IOException {
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 16))) {
            out.writeInt(MAGIC);
            out.writeInt(numUsers);
            out.writeInt(numItems);
            out.writeInt(evalWidth);
            ints(out, trainUsers);
            ints(out, trainItems);
            ints(out, evalUsers);
            ints(out, evalItems);
        }
    }

    public static GpuDataset read(Path file) throws IOException {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
            if (in.readInt() != MAGIC) throw new IOException(file + ": not an ncf-cuda dataset file (bad magic)");
            int u = in.readInt(), i = in.readInt(), w = in.readInt();
            return new GpuDataset(u, i, ints(in, file), ints(in, file), ints(in, file), ints(in, file), w);
        } catch (EOFException e) {
            throw new IOException(file + ": truncated ncf-cuda dataset file", e);
        }
    }

    private static void ints(DataOutputStream out, int[] a) throws IOException {
        out.writeInt(a.length);
        for (int v : a) out.writeInt(v);
    }

    private static int[] ints(DataInputStream in, Path file) throws IOException {
        int n = in.readInt();
        if (n < 0) throw new IOException(file + ": negative array length " + n);
        int[] a = new int[n];
        for (int k = 0; k < n; k++) a[k] = in.readInt();
        return a;
    }
}
