package io.ncf.model.serve;

import io.ncf.data.IdVocabulary;
import io.ncf.data.UserItemIndex;
import io.ncf.model.NeuMFConfig;
import io.ncf.model.ParamSet;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Serving speed on a random model of a given shape: artifact write/read time and size, recommend() latency,
 * recommendBatch() users/s (factored first layer), and the same scoring with the per-pair first layer for comparison.
 * Prints a table.
 * Args: users items threads batchUsers (defaults: ml-20m's 138493 26744, all cores, 64).
 */
public final class RecommenderBench {
    public static void main(String[] args) throws Exception {
        int users = args.length > 0 ? Integer.parseInt(args[0]) : 138_493;
        int items = args.length > 1 ? Integer.parseInt(args[1]) : 26_744;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : Runtime.getRuntime().availableProcessors();
        int batchUsers = args.length > 3 ? Integer.parseInt(args[3]) : 64;
        NeuMFConfig c = NeuMFConfig.defaults(users, items);
        ParamSet p = ParamSet.initialize(c, 1);
        List<String> u = new ArrayList<>(), it = new ArrayList<>();
        for (int i = 0; i < users; i++) u.add(Integer.toString(i + 1));
        for (int i = 0; i < items; i++) it.add(Integer.toString(i * 3 + 1));
        SplittableRandom r = new SplittableRandom(2);
        int per = 100;
        int[] su = new int[users * per], si = new int[users * per];
        for (int k = 0; k < su.length; k++) { su[k] = k / per; si[k] = r.nextInt(items); }
        UserItemIndex seen = UserItemIndex.build(users, su, si, su.length);
        ModelArtifact a = new ModelArtifact(p, IdVocabulary.of(u), IdVocabulary.of(it), seen, ModelArtifact.popularity(seen, items), Map.of());
        Path f = Files.createTempFile("bench", ".zip");
        long t0 = System.nanoTime();
        a.write(f);
        double writeS = (System.nanoTime() - t0) / 1e9;
        t0 = System.nanoTime();
        ModelArtifact b = ModelArtifact.read(f);
        double readS = (System.nanoTime() - t0) / 1e9;
        System.out.printf("shape %,d users × %,d items, %,d params, %d threads%n", users, items, c.parameterCount(), threads);
        System.out.printf("%-28s %10s%n", "step", "value");
        System.out.printf("%-28s %10.1f%n", "artifact size (MB)", Files.size(f) / 1e6);
        System.out.printf("%-28s %10.2f%n", "artifact write (s)", writeS);
        System.out.printf("%-28s %10.2f%n", "artifact read+verify (s)", readS);
        try (Recommender rec = new Recommender(b, Recommender.UnknownUserPolicy.ERROR, threads)) {
            rec.recommend("1", 10); // warm-up
            t0 = System.nanoTime();
            int n1 = 5;
            for (int i = 0; i < n1; i++) rec.recommend(Integer.toString(2 + i), 10);
            double single = (System.nanoTime() - t0) / 1e9 / n1;
            System.out.printf("%-28s %10.1f%n", "recommend(user, 10) (ms)", single * 1e3);
            List<String> batch = u.subList(100, 100 + batchUsers);
            t0 = System.nanoTime();
            rec.recommendBatch(batch, 10, (x, y) -> {});
            double bs = (System.nanoTime() - t0) / 1e9;
            System.out.printf("%-28s %10.1f%n", "recommendBatch users/s", batchUsers / bs);
            System.out.printf("%-28s %,10.0f%n", "recommendBatch pairs/s", (double) batchUsers * items / bs);
        }
        // the same blocks scored with the per-pair first layer, as Recommender did before it used the factored path
        try (io.ncf.model.fused.FusedCpuEngine e = new io.ncf.model.fused.FusedCpuEngine(b.params(), Math.min(Recommender.DEFAULT_MICRO_BATCH, items), threads)) {
            e.setFirstLayer(io.ncf.model.fused.FusedCpuEngine.FirstLayer.PER_SAMPLE);
            int block = Math.max(1, Recommender.DEFAULT_BLOCK_PAIRS / items);
            int[] us = new int[block * items], is = new int[block * items];
            float[] out = new float[block * items];
            for (int k = 0; k < is.length; k++) is[k] = k % items;
            t0 = System.nanoTime();
            for (int b0 = 0; b0 < batchUsers; b0 += block) {
                int rows = Math.min(block, batchUsers - b0);
                for (int row = 0; row < rows; row++) java.util.Arrays.fill(us, row * items, (row + 1) * items, 100 + b0 + row);
                e.score(us, is, rows * items, out);
            }
            double ps = (System.nanoTime() - t0) / 1e9;
            System.out.printf("%-28s %10.1f%n", "per-pair 1st layer users/s", batchUsers / ps);
        }
        Files.delete(f);
    }
}
