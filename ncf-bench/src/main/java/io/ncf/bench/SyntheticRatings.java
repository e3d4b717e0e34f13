package io.ncf.bench;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * {@code gen-ratings OUT.csv}: an ml-20m-shaped {@code ratings.csv} (138,493 users, 26,744 items, ~20M rows, every user
 * at least 20 distinct items; per-user counts log-normal, item popularity a power law, random timestamps), the
 * shape of {@code ../shared/bench/gen_ml20m_shaped.py} without Python, so a GPU machine can run {@code ncf prepare}
 * and {@code ncf train --engine cuda} end to end on ml-20m-sized data that is never carried.
 */
final class SyntheticRatings {

    private SyntheticRatings() {}

    static int run(CudaMain.Options o) throws IOException {
        Path out = Path.of(o.positional(1, "gen-ratings needs an output file"));
        int users = o.getInt("users", CudaMain.ML20M_USERS), items = o.getInt("items", CudaMain.ML20M_ITEMS);
        long target = o.getInt("rows", 20_000_263);
        long t0 = System.nanoTime();
        SplittableRandom rng = new SplittableRandom(o.getInt("seed", 0));
        double[] per = new double[users];
        double sum = 0;
        for (int u = 0; u < users; u++) sum += per[u] = Math.exp(4.3 + 1.0 * gaussian(rng));
        double[] cdf = new double[items];
        double acc = 0;
        for (int i = 0; i < items; i++) cdf[i] = acc += 1.0 / Math.pow(i + 1, 0.6);
        long rows = 0;
        try (BufferedWriter w = Files.newBufferedWriter(out, StandardCharsets.US_ASCII)) {
            w.write("userId,movieId,rating,timestamp\n");
            StringBuilder b = new StringBuilder(1 << 16);
            for (int u = 0; u < users; u++) {
                int n = (int) Math.max(20, Math.min(8000, (long) (per[u] * target * 1.03 / sum)));
                int[] picked = new int[n];
                for (int k = 0; k < n; k++) {
                    int i = Arrays.binarySearch(cdf, rng.nextDouble() * acc);
                    picked[k] = (i < 0 ? -i - 1 : i) + 1;
                }
                int distinct = (int) Arrays.stream(picked).distinct().count();
                if (distinct < 20) continue; // as the Python generator: users left with < 20 distinct items are dropped
                boolean[] seen = new boolean[items + 2];
                for (int item : picked) {
                    if (seen[item]) continue;
                    seen[item] = true;
                    b.append(u + 1).append(',').append(item).append(",4.0,").append(789_652_009L + rng.nextLong(638_131_993L)).append('\n');
                    rows++;
                }
                if (b.length() > 1 << 15) { w.write(b.toString()); b.setLength(0); }
            }
            w.write(b.toString());
        }
        System.out.printf("RESULT gen-ratings: %,d rows for %,d users × %,d items in %.1f s -> %s%n", rows, users, items, (System.nanoTime() - t0) / 1e9, out);
        return 0;
    }

    private static double gaussian(SplittableRandom r) {
        double u1 = 1 - r.nextDouble(), u2 = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }
}
