package io.ncf.bench;

import io.ncf.core.UserItemIndex;
import io.ncf.core.NeuMFConfig;

import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code RankReference OUT [SAMPLE]}: the CPU kernel's answers for {@link RankBench}'s GPU check, written where ND4J
 * and a BLAS load (a class of its own so that the GPU runtime never links the CPU kernel).
 */
public final class RankReference {

    private RankReference() {}

    public static void main(String[] args) throws IOException {
        writeReference(Path.of(args[0]), CudaMain.ML20M_USERS, CudaMain.ML20M_ITEMS, args.length > 1 ? Integer.parseInt(args[1]) : 256);
    }

    /** The reference answers: the CPU kernel's top-10 of sampled users (needs ND4J and a BLAS: not on the GPU runtime). */
    public static void writeReference(Path out, int users, int items, int n) throws IOException {
        NeuMFConfig c = NeuMFConfig.defaults(users, items);
        float[] flat = RankBench.params(c, 1);
        UserItemIndex seen = RankBench.seen(users, items, 2);
        int[] s = RankBench.sample(users, n), top = new int[n * RankBench.K], found = new int[n];
        float[] sc = new float[n * RankBench.K];
        try (io.ncf.core.rank.ScoringKernel kernel = new io.ncf.core.rank.ScoringKernel(c, flat, Runtime.getRuntime().availableProcessors())) {
            new io.ncf.core.rank.RowRanker(kernel).topK(s, 0, n, RankBench.K, seen, top, sc, found);
        }
        try (DataOutputStream o = new DataOutputStream(new java.io.BufferedOutputStream(Files.newOutputStream(out)))) {
            o.writeInt(users); o.writeInt(items); o.writeInt(n);
            for (int j = 0; j < n; j++) {
                o.writeInt(s[j]);
                for (int q = 0; q < RankBench.K; q++) { o.writeInt(top[j * RankBench.K + q]); o.writeFloat(sc[j * RankBench.K + q]); }
            }
        }
        System.out.printf("rank reference: %d users of %d x %d, top-%d from the CPU kernel -> %s%n", n, users, items, RankBench.K, out);
    }

}
