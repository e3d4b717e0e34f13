package io.ncf.cli;

import io.ncf.core.IdVocabulary;
import io.ncf.core.UserItemIndex;
import io.ncf.eval.FullRankingEvaluator;
import io.ncf.core.NeuMFConfig;
import io.ncf.model.ParamSet;
import io.ncf.core.blas.Blas;
import io.ncf.serve.ModelArtifact;
import io.ncf.serve.Recommender;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * {@code ncf benchmark recommend}: top-K for many users (exact and two-stage), full-ranking evaluation and single-user
 * latency on the CPU kernel, each measurement in its own JVM (so its peak RSS is its own), against the machine's
 * FP32 limit (an sgemm measured in the same JVM just before) and, with --peer, PyTorch scoring every item for a block
 * of users with the same model and torch.topk, in FP32 and with BF16 autocast.
 */
final class RecommendBenchmark {

    private RecommendBenchmark() {}

    /** Modes measured by child JVMs, in table order. */
    static final List<String> MODES = List.of("exact", "full-eval", "two-stage", "serve");

    /** A random model of the given shape as a model.zip (ranking speed does not depend on the weights; recall does). */
    static Path randomModel(int users, int items, Path dir) throws IOException {
        NeuMFConfig c = NeuMFConfig.defaults(users, items);
        ParamSet p = ParamSet.initialize(c, 1);
        List<String> u = new ArrayList<>(users), it = new ArrayList<>(items);
        for (int i = 0; i < users; i++) u.add(Integer.toString(i + 1));
        for (int i = 0; i < items; i++) it.add(Integer.toString(i + 1));
        UserItemIndex seen = io.ncf.bench.RankBench.seen(users, items, 2);   // ml-20m's mean of 144 per user, skewed to popular items
        Path f = dir.resolve("random-model.zip");
        new ModelArtifact(p.config(), p.toFlat(), IdVocabulary.of(u), IdVocabulary.of(it), seen, ModelArtifact.popularity(seen, items),
                Map.of("note", "random weights, for speed only")).write(f);
        return f;
    }

    /** One measurement in this JVM. */
    static Map<String, Object> once(String mode, Path model, int rankUsers, int candidates, int k, int threads) throws IOException {
        ModelArtifact a = ModelArtifact.read(model);
        NeuMFConfig c = a.config();
        int items = c.numItems();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("what", "recommend");
        r.put("engine", "fused");
        r.put("mode", mode);
        r.put("precision", "fp32");
        r.put("items", items);
        double limit = Blas.measureSgemmGflops(threads);
        int[] sample = spread(c.numUsers(), rankUsers);
        List<String> ids = new ArrayList<>();
        for (int u : sample) ids.add(a.userIds().id(u));
        switch (mode) {
            case "exact" -> {
                try (Recommender rec = new Recommender(a, Recommender.UnknownUserPolicy.ERROR, threads)) {
                    long flops = rec.ranker().flopsPerPair();
                    rec.recommendBatch(ids.subList(0, Math.min(8, ids.size())), k, x -> {});   // warm-up
                    Segments seg = segments(ids.size(), threads, limit, (lo, hi) -> rec.recommendBatch(ids.subList(lo, hi), k, x -> {}));
                    fill(r, ids.size(), (double) ids.size() * items / seg.seconds, seg, flops);
                    r.put("single_user_ms", singleUserMs(rec, ids, k));
                }
            }
            case "full-eval" -> {
                try (Recommender rec = new Recommender(a, Recommender.UnknownUserPolicy.ERROR, threads)) {
                    long flops = rec.ranker().flopsPerPair();
                    SplittableRandom rnd = new SplittableRandom(5);
                    int[] targetOf = new int[c.numUsers()];
                    for (int u : sample) targetOf[u] = rnd.nextInt(items);
                    Segments seg = segments(sample.length, threads, limit, (lo, hi) -> {
                        int[] targets = new int[c.numUsers()];
                        Arrays.fill(targets, -1);
                        for (int j = lo; j < hi; j++) targets[sample[j]] = targetOf[sample[j]];
                        new FullRankingEvaluator(items, a.seen(), targets, new int[]{10}, 64).evaluate(rec.scorer());
                    });
                    fill(r, sample.length, (double) sample.length * items / seg.seconds, seg, flops);
                }
            }
            case "two-stage" -> {
                List<String> more = new ArrayList<>();
                for (int u : spread(c.numUsers(), rankUsers * 8)) more.add(a.userIds().id(u));
                try (Recommender rec = new Recommender(a, Recommender.UnknownUserPolicy.ERROR, threads, candidates)) {
                    rec.recommendBatch(more.subList(0, Math.min(64, more.size())), k, x -> {});
                    double s = time(() -> rec.recommendBatch(more, k, x -> {}));
                    r.put("users", more.size());
                    r.put("candidates", candidates);
                    r.put("pairs_per_s", (double) more.size() * items / s);   // exact-ranking work done per second
                    r.put("users_per_s", more.size() / s);
                    r.put("sgemm_gflops", limit);
                    r.put("single_user_ms", singleUserMs(rec, ids, k));
                    List<String> check = ids.subList(0, Math.min(200, ids.size()));
                    r.put("recall_at_" + k, RecommendCommand.recallAgainstExact(rec, check, k, threads));
                    r.put("recall_users", check.size());
                }
            }
            case "serve" -> {
                // what an application serving requests sees: Recommender.recommend(user, k) from request threads
                Recommender.Options o = Recommender.Options.defaults().withThreads(threads);
                try (Recommender split = new Recommender(a, o); Recommender own = new Recommender(a, o.withSplitRequests(false))) {
                    double ms = singleUserMs(split, ids, k), ownMs = singleUserMs(own, ids, k);
                    double rps1 = requestsPerSecond(own, ids, k, 1), rpsN = requestsPerSecond(own, ids, k, threads);
                    r.put("users", ids.size());
                    r.put("users_per_s", rpsN);
                    r.put("pairs_per_s", rpsN * items);
                    r.put("single_user_ms", ms);
                    r.put("single_user_ms_calling_thread", ownMs);
                    r.put("requests_per_s_1_thread", rps1);
                    r.put("requests_per_s_" + threads + "_threads", rpsN);
                    r.put("sgemm_gflops", limit);
                    r.put("serve_note", String.format("recommend(user, %d): %.2f ms split over %d idle workers, %.2f ms on the calling thread; "
                            + "requests/s on calling threads: 1 thread %.0f, %d threads %.0f (%.2fx)", k, ms, threads, ownMs, rps1, threads, rpsN, rpsN / rps1));
                }
            }
            default -> throw new IllegalArgumentException("unknown recommend benchmark mode " + mode);
        }
        r.put("peak_rss_mb", BenchmarkCommand.peakRssMb());
        r.put("note", (r.containsKey("serve_note") ? r.remove("serve_note") + "; " : "") + io.ncf.core.rank.ScoringKernel.describeBackend()
                + (a.metadata().containsKey("note") ? "; " + a.metadata().get("note") : ""));
        return r;
    }

    private interface Range { void run(int lo, int hi) throws IOException; }

    /** Time of the whole work and the median, over its segments, of (kernel GFLOP/s) / (sgemm GFLOP/s measured just before the segment). */
    private record Segments(double seconds, double medianPctOfLimit, double minLimit, double maxLimit) {}

    /**
     * The work in 4 segments, each after its own sgemm measurement: this machine's speed drifts by a quarter within
     * minutes, so a ratio is only fair against a limit measured at the same time.
     */
    private static Segments segments(int n, int threads, double firstLimit, Range work) throws IOException {
        int parts = Math.min(4, n);
        double total = 0, lo = Double.MAX_VALUE, hi = 0;
        double[] ratio = new double[parts];
        for (int p = 0; p < parts; p++) {
            int a = (int) ((long) n * p / parts), b = (int) ((long) n * (p + 1) / parts);
            double limit = p == 0 ? firstLimit : Blas.measureSgemmGflops(threads);
            lo = Math.min(lo, limit);
            hi = Math.max(hi, limit);
            double s = time(() -> work.run(a, b));
            total += s;
            ratio[p] = (b - a) / s / limit;   // users/s per GFLOP/s of sgemm, scaled below
        }
        Arrays.sort(ratio);
        double med = parts % 2 == 1 ? ratio[parts / 2] : (ratio[parts / 2 - 1] + ratio[parts / 2]) / 2;
        return new Segments(total, med, lo, hi);
    }

    private static void fill(Map<String, Object> r, int users, double pairsPerS, Segments seg, long flops) {
        r.put("users", users);
        r.put("pairs_per_s", pairsPerS);
        r.put("users_per_s", pairsPerS / ((Number) r.getOrDefault("items", 1)).doubleValue());
        r.put("flops_per_pair", flops);
        r.put("sgemm_gflops", (seg.minLimit + seg.maxLimit) / 2);
        r.put("sgemm_gflops_range", String.format("%.0f-%.0f", seg.minLimit, seg.maxLimit));
        r.put("pct_of_limit", 100 * seg.medianPctOfLimit * ((Number) r.get("items")).doubleValue() * flops / 1e9);
    }

    /** n users spread evenly over [0, numUsers). */
    static int[] spread(int numUsers, int n) {
        n = Math.max(1, Math.min(n, numUsers));
        int[] out = new int[n];
        for (int j = 0; j < n; j++) out[j] = (int) ((long) j * numUsers / n);
        return out;
    }

    private interface Work { void run() throws IOException; }

    private static double time(Work w) throws IOException {
        long t0 = System.nanoTime();
        w.run();
        return (System.nanoTime() - t0) / 1e9;
    }

    /**
     * Median of 21 recommend(user, k) calls over different users, after a warm-up of a second or 500 calls, at
     * least 30 (the JIT compiles the path: 30 calls left a split request at 2.8 ms where it settles at 0.9).
     */
    private static double singleUserMs(Recommender rec, List<String> ids, int k) {
        long warm = System.nanoTime() + 1_000_000_000L;
        for (int j = 0; j < 30 || (j < 500 && System.nanoTime() < warm); j++) rec.recommend(ids.get(j % ids.size()), k);
        double[] ms = new double[21];
        for (int j = 0; j < ms.length; j++) {
            String u = ids.get((j * 7 + 1) % ids.size());
            long t0 = System.nanoTime();
            rec.recommend(u, k);
            ms[j] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        return ms[ms.length / 2];
    }

    /**
     * Requests per second with {@code threads} request threads, each calling recommend(user, k) over different users
     * for about a second (at least 20 calls each), after a warm-up call per thread.
     */
    private static double requestsPerSecond(Recommender rec, List<String> ids, int k, int threads) {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        try {
            java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(threads + 1);
            List<java.util.concurrent.Future<Integer>> parts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                final int first = t * 7919;
                parts.add(pool.submit(() -> {
                    rec.recommend(ids.get(first % ids.size()), k);
                    start.await();
                    long end = System.nanoTime() + 1_000_000_000L;
                    int n = 0;
                    while (n < 20 || System.nanoTime() < end) rec.recommend(ids.get((first + 31 * n++) % ids.size()), k);
                    return n;
                }));
            }
            start.await();
            long t0 = System.nanoTime();
            int total = 0;
            for (var f : parts) total += f.get();
            return total / ((System.nanoTime() - t0) / 1e9);
        } catch (Exception e) {
            throw new IllegalStateException("request threads failed: " + e, e);
        } finally {
            pool.shutdownNow();
        }
    }

    /** The PyTorch peer's script, from this jar, in a temporary file. */
    static Path peerScript(Path dir) throws IOException {
        Path f = dir.resolve("torch_recommend.py");
        try (InputStream in = RecommendBenchmark.class.getResourceAsStream("torch_recommend.py")) {
            if (in == null) throw new IOException("torch_recommend.py is missing from the ncf-cli jar");
            Files.copy(in, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        return f;
    }

    /** The peer at one precision: a row with pairs/s, or a note saying why it did not run. */
    static Map<String, Object> peer(Path script, Path model, String precision, int users, int k) throws Exception {
        return peer(script, model, precision, users, k, 4);
    }

    /**
     * The peer at one precision ranking {@code block} users per forward pass: a row with pairs/s (mode "peer"), or for
     * a block of 1, one user per request as a server would (mode "peer-serve", with its latency).
     */
    static Map<String, Object> peer(Path script, Path model, String precision, int users, int k, int block) throws Exception {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("what", "recommend");
        r.put("engine", "pytorch-peer");
        r.put("mode", block == 1 ? "peer-serve" : "peer");
        r.put("precision", precision);
        Process p = new ProcessBuilder(BenchmarkCommand.PEER_PYTHON, script.toString(), model.toString(), Integer.toString(users),
                Integer.toString(k), Integer.toString(BenchmarkCommand.PEER_THREADS), precision, Integer.toString(block)).redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        var m = java.util.regex.Pattern.compile("pairs/s ([0-9.]+) users/s ([0-9.]+) seconds [0-9.]+ torch (\\S+) threads ([0-9]+)").matcher(text);
        if (m.find()) {
            r.put("users", users);
            r.put("pairs_per_s", Double.parseDouble(m.group(1)));
            r.put("users_per_s", Double.parseDouble(m.group(2)));
            if (block == 1) r.put("single_user_ms", 1000 / Double.parseDouble(m.group(2)));
            r.put("note", (block == 1 ? "one user per forward pass (a request); " : "") + "torch " + m.group(3) + ", " + m.group(4) + " threads" + (precision.equals("bf16") ? ", autocast bfloat16" : ""));
        } else {
            r.put("note", "peer did not run (is python3-torch installed?): " + text.lines().reduce((x, y) -> y).orElse("").trim());
        }
        return r;
    }

    /**
     * "vs_peer": pairs/s over the faster block peer row's, on the ranking rows; on the serve row, the single-request
     * latency of the faster one-user peer over ours (both on the same threads).
     */
    static void addPeerRatios(List<Map<String, Object>> rows) {
        double best = 0, bestServeMs = Double.MAX_VALUE;
        for (Map<String, Object> r : rows) {
            if ("peer".equals(r.get("mode")) && r.get("pairs_per_s") instanceof Number n) best = Math.max(best, n.doubleValue());
            if ("peer-serve".equals(r.get("mode")) && r.get("single_user_ms") instanceof Number n) bestServeMs = Math.min(bestServeMs, n.doubleValue());
        }
        for (Map<String, Object> r : rows) {
            Object mode = r.get("mode");
            if ("serve".equals(mode)) {
                if (bestServeMs < Double.MAX_VALUE && r.get("single_user_ms") instanceof Number n) r.put("vs_best_peer", bestServeMs / n.doubleValue());
            } else if (best > 0 && !String.valueOf(mode).startsWith("peer") && r.get("pairs_per_s") instanceof Number n)
                r.put("vs_best_peer", n.doubleValue() / best);
        }
    }

    static void printTable(PrintWriter out, List<Map<String, Object>> rows) {
        out.printf("%-10s %-13s %-5s %7s %14s %11s %8s %10s %10s %9s %8s  %s%n", "mode", "engine", "prec", "users", "pairs/s", "users/s",
                "% limit", "1 user ms", "recall@K", "vs peer", "RSS MB", "note");
        for (Map<String, Object> r : rows) {
            Object recall = r.entrySet().stream().filter(e -> e.getKey().startsWith("recall_at_")).map(Map.Entry::getValue).findFirst().orElse(null);
            out.printf("%-10s %-13s %-5s %7s %14s %11s %8s %10s %10s %9s %8s  %s%n", r.get("mode"), r.get("engine"), r.get("precision"),
                    fmt(r.get("users"), "%s"), fmt(r.get("pairs_per_s"), "%,.0f"), fmt(r.get("users_per_s"), "%,.1f"),
                    fmt(r.get("pct_of_limit"), "%.1f"), fmt(r.get("single_user_ms"), "%.2f"), fmt(recall, "%.4f"),
                    fmt(r.get("vs_best_peer"), "%.2fx"), fmt(r.get("peak_rss_mb"), "%s"), r.getOrDefault("note", ""));
        }
        Object limit = rows.stream().map(r -> r.get("sgemm_gflops")).filter(v -> v != null).findFirst().orElse(null);
        Object flops = rows.stream().map(r -> r.get("flops_per_pair")).filter(v -> v != null).findFirst().orElse(null);
        if (limit != null && flops != null)
            out.printf("FLOP limit: sgemm 2048^3 on every thread, measured in each row's JVM before each quarter of its work (%% limit is the median"
                    + " of the quarters' ratios); first row: %s GFLOP/s / %,d FLOP per pair = %,.0f pairs/s at the mean%n",
                    rows.stream().map(r -> r.get("sgemm_gflops_range")).filter(v -> v != null).findFirst().orElse("?"), ((Number) flops).longValue(),
                    ((Number) limit).doubleValue() * 1e9 / ((Number) flops).doubleValue());
        out.flush();
    }

    private static String fmt(Object v, String f) { return v == null ? "-" : String.format(f, v); }
}
