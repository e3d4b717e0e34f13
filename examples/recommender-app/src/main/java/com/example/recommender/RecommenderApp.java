package com.example.recommender;

import io.ncf.core.blas.CpuFeatures;
import io.ncf.serve.ModelInfo;
import io.ncf.serve.Recommendations;
import io.ncf.serve.Recommender;
import io.ncf.serve.ScoredItem;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * An application serving an ncf model through the library alone (ncf-core), as the README shows:
 * <pre>
 *   java -jar target/recommender-app.jar MODEL.zip EXPECTED.csv [THREADS] [REQUESTS]
 * </pre>
 * It loads the model, answers REQUESTS (default 1,000) top-10 requests from THREADS (default 4) threads, checks every
 * list against EXPECTED.csv ({@code ncf recommend --users all -k 10} of the same model: same items, same scores, bit
 * for bit), then measures load time, single-request latency and requests per second on 1, 2 and THREADS threads.
 * Exits 1 on any mismatch.
 */
public final class RecommenderApp {

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: recommender-app MODEL.zip EXPECTED.csv [THREADS] [REQUESTS]");
            System.exit(2);
        }
        try {
            run(Path.of(args[0]), Path.of(args[1]), args.length > 2 ? positive(args[2], "THREADS") : 4,
                    args.length > 3 ? positive(args[3], "REQUESTS") : 1000);
        } catch (IOException | IllegalArgumentException e) {   // a missing or bad file, an unknown id: one line, exit 2
            System.err.println("recommender-app: " + e.getMessage());
            System.exit(2);
        }
    }

    private static int positive(String value, String name) {
        try {
            int n = Integer.parseInt(value);
            if (n > 0) return n;
        } catch (NumberFormatException ignored) {
        }
        throw new IllegalArgumentException(name + " must be a positive integer, got '" + value + "'");
    }

    private static void run(Path model, Path expectedCsv, int threads, int requests) throws Exception {
        Map<String, List<String[]>> expected = readExpected(expectedCsv);
        List<String> users = new ArrayList<>(expected.keySet());

        // load time in this fresh JVM: Recommender.load alone, then the first request (which builds the kernel)
        long t0 = System.nanoTime();
        double loadMs, firstMs;
        try (Recommender cold = Recommender.load(model)) {
            loadMs = (System.nanoTime() - t0) / 1e6;
            cold.recommend(users.get(0), 10);
            firstMs = (System.nanoTime() - t0) / 1e6 - loadMs;
        }

        // README:java:begin
        try (Recommender rec = Recommender.load(model, Recommender.UnknownUserPolicy.POPULARITY)) {
            ModelInfo info = rec.info();
            System.out.printf("model: %s, %d users x %d items, trained %d epochs, HR@%d %.4f%n",
                    info.modelKind(), info.numUsers(), info.numItems(), info.trainedEpochs(), info.topK(), info.hitRate());
            Recommendations top = rec.recommend(users.get(0), 10);      // seen items are excluded
            for (ScoredItem it : top.items())
                System.out.println(top.userId() + " -> " + it.itemId() + " (" + it.score() + ", rank " + it.rank() + ")");
            // README:java:end

            // 1. correctness: `requests` lists from `threads` threads, each equal to ncf recommend's
            int mismatches = 0;
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<Integer>> parts = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    final int first = t;
                    parts.add(pool.submit(() -> {
                        int bad = 0;
                        for (int r = first; r < requests; r += threads) {
                            String u = users.get(r % users.size());
                            if (!same(rec.recommend(u, 10), expected.get(u))) {
                                if (bad++ == 0) System.err.println("mismatch for user " + u + ": " + rec.recommend(u, 10).items());
                            }
                        }
                        return bad;
                    }));
                }
                for (Future<Integer> f : parts) mismatches += f.get();
            } finally {
                pool.shutdown();
            }
            System.out.printf("checked %,d recommendations from %d threads against ncf recommend: %s%n", requests, threads,
                    mismatches == 0 ? "all equal" : mismatches + " differ");
            if (mismatches > 0) System.exit(1);

            // 2. speed: the default (a single request split over the idle workers) and every request on its own thread
            Speed split = speed(rec, users, threads, requests);
            Speed own;
            try (Recommender lanes = Recommender.load(model, Recommender.Options.defaults().withSplitRequests(false))) {
                own = speed(lanes, users, threads, requests);
            }
            // java -jar: the class path is this jar and the lib/ directory its manifest names
            File jar = new File(RecommenderApp.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            long classPathBytes = jar.length();
            File[] lib = new File(jar.getParentFile(), "lib").listFiles();
            int jars = 1;
            if (lib != null) for (File f : lib) { classPathBytes += f.length(); jars++; }
            CpuFeatures cpu = CpuFeatures.detect();
            System.out.println();
            String row = "%-40s %16s %16s%n";
            System.out.printf(row, "measure", "split when idle", "calling thread");
            System.out.printf(row, "recommend(user, 10) median (ms)", f3(split.median), f3(own.median));
            System.out.printf(row, "recommend(user, 10) p99 (ms)", f3(split.p99), f3(own.p99));
            System.out.printf(row, "requests/s, 1 thread", f0(split.rps[0]), f0(own.rps[0]));
            System.out.printf(row, "requests/s, 2 threads", f0(split.rps[1]), f0(own.rps[1]));
            System.out.printf(row, "requests/s, " + threads + " threads", f0(split.rps[2]), f0(own.rps[2]));
            System.out.printf(row, "requests/s 2 threads / 1 thread", String.format("%.2f", split.rps[1] / split.rps[0]),
                    String.format("%.2f", own.rps[1] / own.rps[0]));
            System.out.printf("Recommender.load in a fresh JVM %.0f ms, then the first request %.0f ms (builds the kernel); "
                    + "class path %.1f MB in %d jars%n", loadMs, firstMs, classPathBytes / 1e6, jars);
            System.out.printf("machine: %s; BLAS %s; %d cores%n", cpu.line(), io.ncf.core.rank.ScoringKernel.describeBackend(), Runtime.getRuntime().availableProcessors());
        }
    }

    private record Speed(double median, double p99, double[] rps) {}

    private static Speed speed(Recommender rec, List<String> users, int threads, int requests) throws Exception {
        double[] lat = new double[Math.max(requests, 200)];
        for (int r = 0; r < 200; r++) rec.recommend(users.get(r % users.size()), 10);   // warm-up
        for (int r = 0; r < lat.length; r++) {
            long a = System.nanoTime();
            rec.recommend(users.get(r % users.size()), 10);
            lat[r] = (System.nanoTime() - a) / 1e6;
        }
        Arrays.sort(lat);
        double[] rps = {throughput(rec, users, 1, requests), throughput(rec, users, 2, requests), throughput(rec, users, threads, requests)};
        return new Speed(lat[lat.length / 2], lat[(int) (lat.length * 0.99)], rps);
    }

    private static String f3(double v) { return String.format("%.3f", v); }

    private static String f0(double v) { return String.format("%.0f", v); }

    /** Requests per second with {@code threads} threads each asking in turn, over about {@code requests} requests per thread. */
    private static double throughput(Recommender rec, List<String> users, int threads, int requests) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> parts = new ArrayList<>();
            long a = System.nanoTime();
            for (int t = 0; t < threads; t++) {
                final int first = t;
                parts.add(pool.submit(() -> {
                    for (int r = 0; r < requests; r++) rec.recommend(users.get((first * 7919 + r) % users.size()), 10);
                }));
            }
            for (Future<?> f : parts) f.get();
            return (double) threads * requests / ((System.nanoTime() - a) / 1e9);
        } finally {
            pool.shutdown();
        }
    }

    private static boolean same(Recommendations got, List<String[]> want) {
        if (want == null || got.size() != want.size()) return false;
        for (int j = 0; j < want.size(); j++) {
            ScoredItem it = got.get(j);
            String[] w = want.get(j);   // item, score, rank
            if (!it.itemId().equals(w[0]) || Float.floatToRawIntBits(it.score()) != Float.floatToRawIntBits(Float.parseFloat(w[1]))
                    || it.rank() != Integer.parseInt(w[2])) return false;
        }
        return true;
    }

    /** user -> [item, score, rank] rows of {@code ncf recommend --format csv} (plain ids: no quoting in MovieLens). */
    private static Map<String, List<String[]>> readExpected(Path csv) throws IOException {
        if (!Files.isRegularFile(csv)) throw new IOException(csv + " does not exist or is not a file ('ncf recommend --format csv -o FILE' writes it)");
        Map<String, List<String[]>> m = new LinkedHashMap<>();
        List<String> lines = Files.readAllLines(csv);
        if (lines.isEmpty() || !lines.get(0).equals("user,item,score,rank"))
            throw new IOException(csv + ":1: expected the header 'user,item,score,rank' of ncf recommend's CSV");
        for (int n = 1; n < lines.size(); n++) {
            String[] f = lines.get(n).split(",", -1);
            String where = csv + ":" + (n + 1) + ": ";
            if (f.length != 4) throw new IOException(where + "expected 4 fields (user,item,score,rank), found " + f.length);
            try {
                Float.parseFloat(f[2]);
            } catch (NumberFormatException e) {
                throw new IOException(where + "field 3 (score) is not a number: '" + f[2] + "'");
            }
            try {
                Integer.parseInt(f[3]);
            } catch (NumberFormatException e) {
                throw new IOException(where + "field 4 (rank) is not an integer: '" + f[3] + "'");
            }
            m.computeIfAbsent(f[0], k -> new ArrayList<>()).add(new String[]{f[1], f[2], f[3]});
        }
        if (m.isEmpty()) throw new IOException(csv + " has no recommendations after its header");
        return m;
    }
}
