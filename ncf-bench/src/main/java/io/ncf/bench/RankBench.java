package io.ncf.bench;

import io.ncf.cuda.CudaDevice;
import io.ncf.cuda.CudaRanker;
import io.ncf.cuda.ParamLayout;
import io.ncf.cuda.Precision;
import io.ncf.core.UserItemIndex;
import io.ncf.core.NeuMFConfig;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Ranking at ml-20m shape: top-10 for every user and full-ranking ranks, on the GPU ({@code rank}), checked against
 * the CPU kernel's results for a sample of users computed beforehand on a machine with the full runtime
 * ({@link RankReference}; the GPU runtime has no ND4J). Both sides build the same model and the same seen items from
 * seeds, in plain Java, so the reference file holds only the sample's answers.
 */
public final class RankBench {

    private RankBench() {}

    static final int K = 10;

    /** A model whose scores spread well beyond FP16 rounding (random initialisation leaves them nearly tied). */
    public static float[] params(NeuMFConfig c, long seed) {
        float[] p = new float[(int) new ParamLayout(c).totalLength()];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < p.length; i++) p[i] = (float) ((r.nextDouble() - 0.5) * 0.25);
        return p;
    }

    /** About 144 seen items per user (ml-20m's mean), skewed to popular (low-index) items. */
    public static UserItemIndex seen(int users, int items, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int per = 144;
        int[] su = new int[users * per], si = new int[users * per];
        for (int k = 0; k < su.length; k++) { su[k] = k / per; si[k] = (int) (items * Math.pow(r.nextDouble(), 2)); }
        return UserItemIndex.build(users, su, si, su.length);
    }

    static int[] sample(int users, int n) {
        int[] s = new int[n];
        for (int j = 0; j < n; j++) s[j] = (int) ((long) j * users / n);
        return s;
    }

    /** {@code rank REF [--precision fp32|fp16] [--max-pairs N] [--users N]}: every user's top-10 on GPU 0, then the ranks. */
    static int run(CudaMain.Options o) throws IOException {
        Path ref = Path.of(o.positional(1, "rank needs the reference file of 'rank-ref'"));
        Precision p = Precision.parse(o.get("precision", "fp32"));
        long maxPairs = Long.parseLong(o.get("max-pairs", Long.toString(CudaRanker.DEFAULT_MAX_PAIRS)));
        int users, items, n;
        int[] su;
        int[][] want;
        float[][] wantScore;
        try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(ref)))) {
            users = in.readInt(); items = in.readInt(); n = in.readInt();
            su = new int[n]; want = new int[n][K]; wantScore = new float[n][K];
            for (int j = 0; j < n; j++) {
                su[j] = in.readInt();
                for (int q = 0; q < K; q++) { want[j][q] = in.readInt(); wantScore[j][q] = in.readFloat(); }
            }
        }
        int rankUsers = o.getInt("users", users);
        NeuMFConfig c = NeuMFConfig.defaults(users, items);
        float[] flat = params(c, 1);
        UserItemIndex seen = seen(users, items, 2);
        int[] all = new int[rankUsers];
        for (int u = 0; u < rankUsers; u++) all[u] = u;
        long t0 = System.nanoTime();
        try (CudaRanker r = new CudaRanker(CudaDevice.open(0), true, c, flat, p, maxPairs)) {
            double setup = (System.nanoTime() - t0) / 1e9;
            int[] top = new int[rankUsers * K], found = new int[rankUsers];
            float[] sc = new float[rankUsers * K];
            r.topK(all, 0, Math.min(rankUsers, r.usersPerBlock()), K, seen, top, sc, found);   // warm-up: one block
            t0 = System.nanoTime();
            r.topK(all, 0, rankUsers, K, seen, top, sc, found);
            double s = (System.nanoTime() - t0) / 1e9;
            System.out.printf("rank %s: top-%d for %,d users x %,d items in %.2f s: %,.0f users/s, %,.0f pairs/s (%.1f TFLOP/s at %,d FLOP/pair); %d users per block; set-up %.2f s%n",
                    p, K, rankUsers, items, s, rankUsers / s, (double) rankUsers * items / s, (double) rankUsers * items * r.flopsPerPair() / s / 1e12,
                    r.flopsPerPair(), r.usersPerBlock(), setup);
            int same = 0, total = 0;
            double worst = 0;
            for (int j = 0; j < n; j++) {
                if (su[j] >= rankUsers) continue;
                java.util.Map<Integer, Float> mine = new java.util.HashMap<>();
                for (int q = 0; q < found[su[j]]; q++) mine.put(top[su[j] * K + q], sc[su[j] * K + q]);
                for (int q = 0; q < K; q++) {
                    total++;
                    Float v = mine.get(want[j][q]);
                    if (v != null) { same++; worst = Math.max(worst, Math.abs(v - wantScore[j][q]) / Math.max(1, Math.abs(wantScore[j][q]))); }
                }
            }
            System.out.printf("rank %s vs the CPU kernel on %d sampled users: %.4f of the top-%d items equal; largest relative score difference on them %.2e%n",
                    p, n, (double) same / Math.max(1, total), K, worst);
            int[] targets = new int[rankUsers], ranks = new int[rankUsers];
            SplittableRandom rnd = new SplittableRandom(5);
            for (int u = 0; u < rankUsers; u++) targets[u] = rnd.nextInt(items);
            t0 = System.nanoTime();
            r.ranks(all, 0, rankUsers, targets, seen, ranks);
            s = (System.nanoTime() - t0) / 1e9;
            System.out.printf("rank %s: full-ranking ranks of %,d users in %.2f s: %,.0f pairs/s%n", p, rankUsers, s, (double) rankUsers * items / s);
            double need = p == Precision.FP32 ? 0.99 : 0.9;
            return (double) same / Math.max(1, total) >= need ? 0 : 1;
        }
    }
}
