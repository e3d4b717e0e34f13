package io.ncf.cli;

import io.ncf.data.EvalCandidates;
import io.ncf.eval.EvalResult;
import io.ncf.eval.Evaluator;
import io.ncf.model.DropoutMask;
import io.ncf.core.NeuMFConfig;
import io.ncf.model.ParamSet;
import io.ncf.model.GradientEngine;
import io.ncf.train.Adam;
import io.ncf.train.EngineKind;
import io.ncf.core.Precision;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * {@code ncf benchmark train|eval|prepare|recommend}: the speed harness. Each measurement runs in a child JVM so its
 * peak RSS is its own; the parent prints one table (and, with --json, one JSON object per measurement).
 */
@Command(name = "benchmark", mixinStandardHelpOptions = true, sortOptions = false, usageHelpWidth = 110,
        description = {"Time training steps, evaluation scoring, preprocessing or ranking (top-K for many users) and print a table.",
                "train/eval/recommend use random data shaped like ml-20m (138,493 users × 26,744 items) unless --users/--items say otherwise."})
public final class BenchmarkCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "WHAT", description = "train, eval, prepare or recommend") What what;
    @Option(names = "--engine", split = ",", paramLabel = "NAME", description = "Engines to compare, by registry name ('ncf engines') (default: fused,samediff).") List<String> engines;
    @Option(names = {"-b", "--batch"}, split = ",", paramLabel = "N", description = "Global batch sizes (train; default: 65536,1048576).") List<Integer> batches;
    @Option(names = "--micro-batch", paramLabel = "N", description = "Micro-batch (default: the engine's).") Integer microBatch;
    @Option(names = "--workers", split = ",", paramLabel = "N", description = "Data-parallel worker counts to compare (train; default: 1). On the CPU backend workers share the cores.") List<Integer> workers;
    @Option(names = "--exchange", split = ",", paramLabel = "WAY", description = "How several GPUs share a step, to compare (train --engine cuda): auto (default), all-reduce (the whole gradient), user-shards (each GPU trains its users' samples; item and dense gradients all-reduced).") List<String> exchanges;
    @Option(names = "--steps", defaultValue = "3", description = "Timed steps per measurement after the warm-up (default: ${DEFAULT-VALUE}).") int steps;
    @Option(names = "--warmup", defaultValue = "1", description = "Untimed warm-up steps (default: ${DEFAULT-VALUE}).") int warmup;
    @Option(names = "--users", defaultValue = "138493") int users;
    @Option(names = "--items", defaultValue = "26744") int items;
    @Option(names = "--eval-users", defaultValue = "138493", description = "Users scored by 'eval' (101 candidates each) (default: ${DEFAULT-VALUE}).") int evalUsers;
    @Option(names = "--input", paramLabel = "FILE", description = "Ratings file for 'prepare'.") Path input;
    @Option(names = "--format", defaultValue = "ml-20m", description = "Format of --input (default: ${DEFAULT-VALUE}).") String format;
    @Option(names = "--blas", split = ",", paramLabel = "LIB", description = "BLAS libraries to compare under the fused engine: auto, mkl, openblas (default: auto, i.e. $NCF_BLAS or MKL when it loads).") List<String> blas;
    @Option(names = "--peer", description = {"train: also run the PyTorch CPU peer (--peer-script, /usr/bin/python3, 2 threads) when python3 has torch,"
            + " and add a 'vs peer' column: samples/s over the peer's at the same batch. Once per invocation the peer's own"
            + " sgemm speed is measured (2048x2048 float32 matmul, same threads) and printed under the table; below"
            + " --peer-min-gflops (or when it cannot be measured) the peer is not a fair peer: no ratio is reported and a"
            + " WARNING names the fix (Debian's python3-torch without libopenblas0-pthread runs on the reference BLAS, about"
            + " 14x slower). The exit code stays 0 then: the engine rows are still valid."}) boolean peer;
    @Option(names = "--rounds", defaultValue = "1", paramLabel = "N", description = "train: run every measurement N times, interleaved (each engine, then the peer, then again), and report the median samples/s and s/step of each; a shared machine's speed drifts over minutes, so a ratio is fairer from medians of interleaved runs (default: ${DEFAULT-VALUE}).") int rounds;
    @Option(names = "--peer-script", paramLabel = "FILE", defaultValue = "../shared/bench/torch_cpu_neumf.py", description = "The peer's script (default: ${DEFAULT-VALUE}).") Path peerScript;
    @Option(names = "--peer-min-gflops", paramLabel = "GFLOPS", defaultValue = "20", description = "The least sgemm GFLOP/s the peer's BLAS must reach for a 'vs peer' ratio; a reference BLAS does 2-5 on 2 cores, OpenBLAS 100 or more; 0 reports the ratio whatever the speed (default: ${DEFAULT-VALUE}).") double peerMinGflops;
    @Option(names = "--peer-sgemm-script", paramLabel = "FILE", hidden = true, description = "A python file run (as 'python3 FILE THREADS') instead of the built-in sgemm probe; it prints 'sgemm X GFLOP/s torch VERSION threads N' (tests).") Path peerSgemmScript;
    @Option(names = "--fp16", description = "--engine cuda: FP16 activations and GEMM inputs, FP32 accumulation and master weights, dynamic loss scaling.") boolean fp16;
    @Option(names = "--precision", split = ",", paramLabel = "P", description = {"train: precisions of the fused engine to compare in the same run: fp32, bf16, fp16 (default: fp32).",
            "16-bit rows are measured where the CPU runs them (AMX-BF16/AVX512-BF16, AMX-FP16 through MKL) and say why not elsewhere; with --peer the",
            "PyTorch peer also runs under torch.autocast(\"cpu\", dtype=torch.bfloat16) for bf16, and the table's foot gives the machine's FP32 and BF16 GEMM GFLOP/s."}) List<String> precisions;
    @Option(names = "--json", description = "Also print one JSON object per measurement.") boolean json;
    @Option(names = "--in-process", hidden = true, description = "Run one measurement here (used by the child JVMs).") boolean inProcess;

    @Option(names = "--model", paramLabel = "FILE", description = "recommend: the model.zip to rank with (default: a random model of --users x --items; its speed is the same, its two-stage recall means nothing).") Path model;
    @Option(names = "--rank-users", paramLabel = "N", defaultValue = "512", description = "recommend: users ranked by the exact and full-eval rows (8 times as many for two-stage) (default: ${DEFAULT-VALUE}).") int rankUsers;
    @Option(names = "--candidates", paramLabel = "N", defaultValue = "1000", description = "recommend: candidates per user of the two-stage row (default: ${DEFAULT-VALUE}).") int candidates;
    @Option(names = "--peer-users", paramLabel = "N", defaultValue = "16", description = "recommend: users ranked by the PyTorch peer (default: ${DEFAULT-VALUE}).") int peerUsers;
    @Option(names = "--mode", hidden = true, description = "recommend: the one mode a child JVM measures.") String mode;

    enum What { train, eval, prepare, recommend }

    @Override public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (engines == null) engines = List.of("fused", "samediff");
        try {
            engines = engines.stream().map(n -> io.ncf.train.engine.EngineRegistry.get(n).name()).toList();
        } catch (IllegalArgumentException e) {
            throw new NcfCli.UsageException("--engine: " + e.getMessage());
        }
        if (batches == null) batches = List.of(65_536, 1_048_576);
        if (workers == null) workers = List.of(1);
        if (exchanges == null) exchanges = List.of("auto");
        for (String x : exchanges) parseExchange(x);
        if (!exchanges.equals(List.of("auto")) && !engines.stream().allMatch(CUDA::equals))
            throw new NcfCli.UsageException("--exchange is for --engine cuda only (how several GPUs share a step)");
        for (int w : workers) if (w <= 0) throw new NcfCli.UsageException("--workers must be positive, got " + w);
        if (rounds < 1) throw new NcfCli.UsageException("--rounds must be at least 1, got " + rounds);
        if (!(peerMinGflops >= 0) || Double.isInfinite(peerMinGflops))
            throw new NcfCli.UsageException("--peer-min-gflops must be a finite number >= 0, got " + peerMinGflops);
        boolean cudaOnly = engines.stream().allMatch(CUDA::equals);
        if (fp16 && !cudaOnly) throw new NcfCli.UsageException("benchmark --fp16 is for --engine cuda only (the CPU engines compute in FLOAT)");
        if (blas == null) blas = List.of("auto");
        List<Precision> precisionList = new ArrayList<>();
        try {
            for (String pr : precisions == null ? List.of("fp32") : precisions) precisionList.add(Precision.parse(pr));
        } catch (IllegalArgumentException e) {
            throw new NcfCli.UsageException("--precision: " + e.getMessage());
        }
        if (!precisionList.equals(List.of(Precision.FP32)) && (what != What.train || cudaOnly))
            throw new NcfCli.UsageException("benchmark --precision compares the fused CPU engine's training precisions (benchmark train); the GPU's is --fp16");
        for (String b : blas)
            if (!List.of("auto", "mkl", "openblas").contains(b)) throw new NcfCli.UsageException("--blas: unknown BLAS '" + b + "': expected auto, mkl or openblas");
        if (inProcess) {
            if (!blas.equals(List.of("auto"))) TrainCommand.selectBlas(blas.get(0));
            Map<String, Object> r = switch (what) {
                case train -> CUDA.equals(engines.get(0)) ? cudaTrainOnce(batches.get(0), workers.get(0), parseExchange(exchanges.get(0)))
                        : trainOnce(EngineKind.parse(engines.get(0)), batches.get(0), workers.get(0), precisionList.get(0));
                case eval -> CUDA.equals(engines.get(0)) ? cudaEvalOnce() : evalOnce(EngineKind.parse(engines.get(0)));
                case prepare -> prepareOnce();
                case recommend -> RecommendBenchmark.once(mode, model, rankUsers, candidates, 10, Runtime.getRuntime().availableProcessors());
            };
            out.println(io.ncf.train.Json.object(r));
            return NcfCli.EXIT_OK;
        }
        if (cudaOnly) { // no ND4J on this path: the GPU runtime may have no ND4J natives
            io.ncf.cuda.CudaProbe.Result probe = io.ncf.cuda.CudaProbe.probe();
            if (!probe.available()) throw new IllegalStateException(probe.message());
            out.println("Backend: CUDA (ncf-cuda); " + probe.message());
        } else {
            out.println(io.ncf.train.BackendInfo.current(false).line());
        }
        out.println(io.ncf.core.blas.CpuFeatures.detect().line());
        if (what == What.recommend) return recommend(out);
        List<Map<String, Object>> rows = new ArrayList<>();
        List<String> underTable = new ArrayList<>();
        switch (what) {
            case train -> {
                // once per invocation, before the timed runs: how fast the peer's torch multiplies matrices
                PeerSgemm sgemm = peer && Files.isRegularFile(peerScript) ? probePeerSgemm() : null;
                List<Map<String, Object>> runs = new ArrayList<>();
                boolean peerBf16 = precisionList.contains(Precision.BF16);
                for (int round = 0; round < rounds; round++) {
                    for (int b : batches) {
                        for (String e : engines)
                            for (String lib : blasFor(e))
                                for (int w : workers)
                                    for (String x : CUDA.equals(e) ? exchanges : List.of("auto"))
                                    for (Precision pr : precisionList) {
                                        // 16-bit rows for the fused engine only; the others compute in FP32 (samediff's HALF is a reference)
                                        if (pr != Precision.FP32 && !"fused".equals(e)) continue;
                                        java.util.Optional<String> why = pr == Precision.FP32 ? java.util.Optional.empty() : io.ncf.model.fused.HalfPrecision.unavailable(pr);
                                        if (why.isPresent()) { runs.add(refusedRow(e, b, pr, why.get())); continue; }
                                        runs.add(child(List.of("train", "--engine", e.toString(), "-b", Integer.toString(b), "--workers", Integer.toString(w), "--blas", lib,
                                                "--precision", pr.id(), "--exchange", x)));
                                    }
                        if (peer) runs.add(runPeer(b, Precision.FP32));
                        if (peer && peerBf16) runs.add(runPeer(b, Precision.BF16));
                    }
                }
                rows.addAll(medians(runs));
                if (peer) {
                    String warning = judgePeer(rows, sgemm, peerMinGflops);
                    if (warning == null) addPeerRatios(rows);
                    if (sgemm != null) underTable.add("PyTorch peer sgemm: " + sgemm.describe());
                    if (warning != null) underTable.add(warning);
                }
                if (!precisionList.equals(List.of(Precision.FP32))) underTable.add(gemmLimits(precisionList));
            }
            case eval -> {
                for (String e : engines)
                    for (String lib : blasFor(e)) rows.add(child(List.of("eval", "--engine", e.toString(), "--blas", lib)));
            }
            case prepare -> {
                if (input == null) throw new NcfCli.UsageException("benchmark prepare needs --input FILE (e.g. an ml-20m-shaped ratings.csv)");
                rows.add(child(List.of("prepare", "--input", input.toString(), "--format", format)));
            }
        }
        printTable(out, rows);
        for (String line : underTable) out.println(line);
        out.flush();
        if (json) for (Map<String, Object> r : rows) out.println(io.ncf.train.Json.object(r));
        return NcfCli.EXIT_OK;
    }

    /**
     * {@code benchmark recommend}: a child JVM per mode (serve: single requests from request threads), then the peer
     * at FP32 and BF16 autocast, ranking blocks of users and one user per request; one table.
     */
    private int recommend(PrintWriter out) throws Exception {
        if (!engines.equals(List.of("fused")) && !engines.equals(List.of("fused", "samediff")))
            throw new NcfCli.UsageException("benchmark recommend measures the fused CPU kernel (--engine fused); the GPU's ranking is measured by ncf-bench on the device");
        if (rankUsers <= 0 || candidates <= 0 || peerUsers <= 0) throw new NcfCli.UsageException("--rank-users, --candidates and --peer-users must be positive");
        if (model != null && !Files.isRegularFile(model)) throw new NcfCli.UsageException("--model " + model + " does not exist or is not a file");
        Path dir = Files.createTempDirectory("ncf-bench-rec");
        try {
            Path m = model != null ? model : RecommendBenchmark.randomModel(users, items, dir);
            List<Map<String, Object>> rows = new ArrayList<>();
            for (int round = 0; round < rounds; round++) {
                for (String md : RecommendBenchmark.MODES)
                    rows.add(child(List.of("recommend", "--engine", "fused", "--mode", md, "--model", m.toString())));
                if (peer) {
                    Path script = RecommendBenchmark.peerScript(dir);
                    for (String precision : List.of("fp32", "bf16")) rows.add(RecommendBenchmark.peer(script, m, precision, peerUsers, 10));
                    for (String precision : List.of("fp32", "bf16")) rows.add(RecommendBenchmark.peer(script, m, precision, peerUsers, 10, 1));
                }
            }
            rows = mediansBy(rows, "pairs_per_s");
            if (peer) RecommendBenchmark.addPeerRatios(rows);
            RecommendBenchmark.printTable(out, rows);
            if (json) for (Map<String, Object> r : rows) out.println(io.ncf.train.Json.object(r));
            out.flush();
            return NcfCli.EXIT_OK;
        } finally {
            try (var walk = Files.walk(dir)) { walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete()); }
        }
    }

    /** Rows of the same mode and precision merged into the one with the median {@code key} (--rounds). */
    static List<Map<String, Object>> mediansBy(List<Map<String, Object>> rows, String key) {
        Map<String, List<Map<String, Object>>> groups = new LinkedHashMap<>();
        for (Map<String, Object> r : rows) groups.computeIfAbsent(r.get("mode") + "/" + r.get("precision") + "/" + r.get("engine"), x -> new ArrayList<>()).add(r);
        List<Map<String, Object>> out = new ArrayList<>();
        for (List<Map<String, Object>> g : groups.values()) {
            List<Map<String, Object>> sorted = new ArrayList<>(g);
            sorted.sort(java.util.Comparator.comparingDouble(r -> r.get(key) instanceof Number n ? n.doubleValue() : 0));
            Map<String, Object> med = new LinkedHashMap<>(sorted.get((sorted.size() - 1) / 2));
            if (g.size() > 1) med.put("rounds", g.size());
            out.add(med);
        }
        return out;
    }

    /** The --blas list applies to the fused engine only; other engines run once, their BLAS untouched. */
    /**
     * The benchmark times the engines' compute kernels outside the training loop: the CPU engines' gradient kernels
     * (EngineKind) on random ids, the GPU's steps through ncf-bench's GpuBenchmark. The training loop itself is the
     * same for every engine, so these rows compare the engines.
     */
    private static final String CUDA = "cuda";

    private List<String> blasFor(String e) { return "fused".equals(e) ? blas : List.of("auto"); }

    /** The fused engine's row names its BLAS: "fused" alone when only the default was asked for. */
    private String label(EngineKind kind) {
        return kind == EngineKind.FUSED && !blas.equals(List.of("auto")) ? "fused " + io.ncf.core.blas.Blas.library() : kind.toString();
    }

    /** For fused rows: which library ran the products. */
    private static void noteBlas(EngineKind kind, Map<String, Object> r) {
        if (kind == EngineKind.FUSED) r.put("note", "gemm: " + io.ncf.core.blas.Blas.describe());
    }

    private Map<String, Object> child(List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("-X") || a.startsWith("-D")).toList());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(NcfCli.class.getName());
        cmd.add("benchmark");
        cmd.addAll(args);
        cmd.addAll(List.of("--in-process", "--steps", Integer.toString(steps), "--warmup", Integer.toString(warmup),
                "--rank-users", Integer.toString(rankUsers), "--candidates", Integer.toString(candidates),
                "--users", Integer.toString(users), "--items", Integer.toString(items), "--eval-users", Integer.toString(evalUsers)));
        if (microBatch != null) cmd.addAll(List.of("--micro-batch", microBatch.toString()));
        if (fp16) cmd.add("--fp16");
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String last = null;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) if (line.startsWith("{")) last = line;
        }
        int rc = p.waitFor();
        if (rc != 0 || last == null) throw new IllegalStateException("benchmark child " + args + " failed with exit code " + rc);
        return parseFlatJson(last);
    }

    /** A 16-bit row the machine cannot run well: no numbers, the reason. */
    private static Map<String, Object> refusedRow(String engine, int batch, Precision p, String why) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("what", "train");
        r.put("engine", engine + " " + p.id());
        r.put("batch", batch);
        r.put("precision", p.id());
        r.put("note", "not run: " + why);
        return r;
    }

    /**
     * The machine's matrix-multiply limits beside the rows: FP32 sgemm and each 16-bit GEMM asked for, 2048^3 split by
     * rows over the cores, each a single-threaded call of the BLAS in use (the engine's way of calling it).
     */
    private static String gemmLimits(List<Precision> ps) {
        int threads = Runtime.getRuntime().availableProcessors();
        StringBuilder sb = new StringBuilder(String.format("GEMM limits (2048^3, %d threads, %s): FP32 %.1f GFLOP/s", threads,
                io.ncf.core.blas.Blas.describe(), io.ncf.core.blas.Blas.measureSgemmGflops(threads)));
        for (Precision p : ps)
            if (p != Precision.FP32)
                sb.append(String.format(", %s %.1f GFLOP/s", p.name(), io.ncf.core.blas.Blas.measureGemm16Gflops(p.halfFormat(), threads)));
        return sb.toString();
    }

    private Map<String, Object> trainOnce(EngineKind kind, int batch, int workerCount) {
        return trainOnce(kind, batch, workerCount, Precision.FP32);
    }

    private Map<String, Object> trainOnce(EngineKind kind, int batch, int workerCount, Precision precision) {
        NeuMFConfig c = NeuMFConfig.defaults(users, items);
        ParamSet params = ParamSet.initialize(c, 1);
        int mb = microBatch != null ? microBatch : kind.defaultMicroBatch();
        SplittableRandom rnd = new SplittableRandom(7);
        int[] u = new int[batch], it = new int[batch];
        float[] y = new float[batch];
        for (int k = 0; k < batch; k++) { u[k] = rnd.nextInt(users); it[k] = rnd.nextInt(items); y[k] = rnd.nextInt(5) == 0 ? 1f : 0f; }
        ParamSet grads = params.zerosLike();
        Adam adam = new Adam(0.0045f, 0.25f, 0.5f, 1e-8f, params);
        double seconds = 0;
        try (GradientEngine e = io.ncf.train.Engines.create(kind, params, mb, precision, workerCount); adam) {
            for (int s = 0; s < warmup + steps; s++) {
                long t0 = System.nanoTime();
                e.accumulateGradients(u, it, y, 0, batch, 1f / batch, DropoutMask.forStep(1, s, c.dropout()), 0, grads);
                e.finishGradients(grads);
                adam.step(params, grads);
                e.parametersChanged();
                if (s >= warmup) seconds += (System.nanoTime() - t0) / 1e9;
            }
        }
        String name = label(kind) + (precision == Precision.FP32 ? "" : " " + precision.id());
        Map<String, Object> r = result("train", workerCount == 1 ? name : name + " x" + workerCount, batch, (double) batch * steps / seconds, seconds / steps);
        r.put("workers", workerCount);
        r.put("precision", precision.id());
        noteBlas(kind, r);
        if (kind == EngineKind.FUSED && precision != Precision.FP32) r.put("note", io.ncf.model.fused.HalfPrecision.describe(precision));
        return r;
    }

    /** {@code --exchange}'s words for {@link io.ncf.cuda.GpuTraining.Exchange}. */
    static io.ncf.cuda.GpuTraining.Exchange parseExchange(String s) {
        try {
            return io.ncf.cuda.GpuTraining.Exchange.parse(s);
        } catch (IllegalArgumentException e) {
            throw new NcfCli.UsageException("--exchange: " + e.getMessage());
        }
    }

    private Map<String, Object> cudaTrainOnce(int batch, int workerCount, io.ncf.cuda.GpuTraining.Exchange exchange) {
        var p = fp16 ? io.ncf.cuda.Precision.FP16 : io.ncf.cuda.Precision.FP32;
        var g = io.ncf.bench.GpuBenchmark.train(users, items, batch, Math.max(1, warmup), steps, p, workerCount, NeuMFConfig.DEFAULT_DROPOUT, exchange);
        String way = exchange == io.ncf.cuda.GpuTraining.Exchange.AUTO ? "" : " " + exchange.id();
        Map<String, Object> r = result("train", "cuda " + p.toString().toLowerCase(java.util.Locale.ROOT) + (workerCount == 1 ? "" : " x" + workerCount) + way,
                batch, g.samplesPerSecond(), g.seconds());
        r.put("workers", workerCount);
        r.put("exchange", g.exchange());
        r.put("note", g.note());
        return r;
    }

    private Map<String, Object> cudaEvalOnce() {
        var p = fp16 ? io.ncf.cuda.Precision.FP16 : io.ncf.cuda.Precision.FP32;
        var g = io.ncf.bench.GpuBenchmark.eval(users, items, evalUsers, Math.max(1, warmup), steps, p);
        Map<String, Object> r = result("eval", "cuda " + p.toString().toLowerCase(java.util.Locale.ROOT), evalUsers * 101, g.samplesPerSecond(), g.seconds());
        r.put("note", g.note());
        return r;
    }

    private Map<String, Object> evalOnce(EngineKind kind) {
        NeuMFConfig c = NeuMFConfig.defaults(users, items);
        ParamSet params = ParamSet.initialize(c, 1);
        SplittableRandom rnd = new SplittableRandom(11);
        int[] us = new int[evalUsers];
        int[] cand = new int[evalUsers * 101];
        for (int r = 0; r < evalUsers; r++) us[r] = r % users;
        for (int k = 0; k < cand.length; k++) cand[k] = rnd.nextInt(items);
        Evaluator ev = new Evaluator(new EvalCandidates(us, cand, 100), items, 10, 5000);
        try (GradientEngine e = kind.create(params, microBatch != null ? microBatch : kind.defaultMicroBatch())) {
            e.parametersChanged(); // as after loading a model: lets an engine cache functions of the parameters
            for (int s = 0; s < warmup; s++) ev.evaluate(e);
            double seconds = 0;
            long samples = 0;
            for (int s = 0; s < steps; s++) { EvalResult r = ev.evaluate(e); seconds += r.seconds(); samples += r.samples(); }
            Map<String, Object> r = result("eval", label(kind), 5000 * 101, samples / seconds, seconds / steps);
            noteBlas(kind, r);
            return r;
        }
    }

    private Map<String, Object> prepareOnce() {
        var t = io.ncf.bench.PrepareBenchmark.run(input, io.ncf.data.RatingsFormat.fromName(format), null);
        Map<String, Object> r = result("prepare", "java", 0, t.rawRows() / t.ingestAndPreprocessS(), t.ingestAndPreprocessS());
        r.put("rows", t.rawRows());
        r.put("read_s", t.readS());
        r.put("preprocess_s", t.preprocessS());
        r.put("save_s", t.saveS());
        r.put("load_s", t.loadS());
        r.put("note", String.format("read %.1f s + preprocess %.1f s; save %.1f s, load %.1f s; %,d rows", t.readS(), t.preprocessS(), t.saveS(), t.loadS(), t.rawRows()));
        return r;
    }

    private Map<String, Object> result(String what, String engine, int batch, double samplesPerSecond, double seconds) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("what", what);
        r.put("engine", engine);
        r.put("batch", batch);
        r.put("samples_per_s", samplesPerSecond);
        r.put("seconds", seconds);
        r.put("peak_rss_mb", peakRssMb());
        return r;
    }

    /**
     * The PyTorch peer at one batch: FP32 runs --peer-script (the shared peer), BF16 the same model under
     * {@code torch.autocast("cpu", dtype=torch.bfloat16)} (torch_cpu_neumf_amp.py, shipped in the jar).
     */
    private Map<String, Object> runPeer(int batch, Precision precision) throws Exception {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("what", "train");
        r.put("engine", "pytorch-peer");
        r.put("batch", batch);
        r.put("precision", precision.id());
        if (precision != Precision.FP32) r.put("engine", "pytorch-peer " + precision.id());
        if (!Files.isRegularFile(peerScript)) {
            r.put("note", "peer script " + peerScript + " not found");
            return r;
        }
        Path script = peerScript;
        Path tmp = null;
        if (precision != Precision.FP32) {
            tmp = Files.createTempFile("torch_cpu_neumf_amp", ".py");
            try (var in = BenchmarkCommand.class.getResourceAsStream("torch_cpu_neumf_amp.py")) {
                if (in == null) throw new IllegalStateException("torch_cpu_neumf_amp.py is missing from the ncf-cli jar");
                Files.copy(in, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            script = tmp;
        }
        List<String> cmd = new ArrayList<>(List.of(PEER_PYTHON, script.toString(), Integer.toString(batch), Integer.toString(warmup + steps + 1), Integer.toString(PEER_THREADS)));
        if (precision != Precision.FP32) cmd.add(precision.id());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        var m = java.util.regex.Pattern.compile("median step ([0-9.]+)s -> ([0-9,]+) samples/s").matcher(text);
        if (m.find()) {
            r.put("samples_per_s", Double.parseDouble(m.group(2).replace(",", "")));
            r.put("seconds", Double.parseDouble(m.group(1)));
        } else {
            r.put("note", "peer did not run (is python3-torch installed?): " + text.lines().reduce((a, b) -> b).orElse("").trim());
        }
        if (tmp != null) Files.deleteIfExists(tmp);
        return r;
    }

    /** The interpreter and thread count of the PyTorch peer, and of its sgemm probe. */
    static final String PEER_PYTHON = "/usr/bin/python3";
    static final int PEER_THREADS = 2;
    /** Longest wait for the sgemm probe; a reference BLAS takes about 10 s, an optimized one well under 1 s (plus torch's import). */
    private static final long SGEMM_PROBE_TIMEOUT_S = 300;

    /**
     * The peer's sgemm probe, run as {@code python3 -c PROBE THREADS}: torch's float32 2048x2048 matmul with the peer's
     * thread count, after a smaller warm-up product; the best of up to 5 timed products (fewer when they pass 1 s, as
     * on a reference BLAS, where one takes several seconds).
     */
    private static final String SGEMM_PROBE = """
            import sys, time, torch
            torch.set_num_threads(int(sys.argv[1]))
            torch.manual_seed(0)
            n = 2048
            a, b = torch.randn(n, n), torch.randn(n, n)
            torch.randn(1024, 1024) @ torch.randn(1024, 1024)
            best, stop = float('inf'), time.perf_counter() + 1.0
            for k in range(5):
                t = time.perf_counter(); c = a @ b; best = min(best, time.perf_counter() - t)
                if time.perf_counter() > stop: break
            print(f'sgemm {2 * n ** 3 / best / 1e9:.1f} GFLOP/s torch {torch.__version__} threads {torch.get_num_threads()}')
            """;

    /** The peer's measured sgemm rate, or why it could not be measured ({@code error} non-null, {@code gflops} NaN). */
    record PeerSgemm(double gflops, String torch, int threads, String error) {
        boolean measured() { return error == null; }

        String describe() {
            return measured() ? String.format("%.1f GFLOP/s (%dx%d float32 matmul, torch %s, %d threads)", gflops, 2048, 2048, torch, threads)
                    : "not measured (" + error + ")";
        }
    }

    private static final java.util.regex.Pattern SGEMM_LINE =
            java.util.regex.Pattern.compile("sgemm ([0-9]+(?:\\.[0-9]*)?(?:[eE][-+]?[0-9]+)?) GFLOP/s torch (\\S+) threads ([0-9]+)");

    /** Reads the probe's output: its "sgemm X GFLOP/s torch V threads N" line, or the output's last line as the error. */
    static PeerSgemm parseSgemm(String text) {
        var m = SGEMM_LINE.matcher(text);
        if (m.find()) return new PeerSgemm(Double.parseDouble(m.group(1)), m.group(2), Integer.parseInt(m.group(3)), null);
        String last = text.lines().map(String::trim).filter(s -> !s.isEmpty()).reduce((a, b) -> b).orElse("no output");
        return new PeerSgemm(Double.NaN, null, PEER_THREADS, "sgemm probe printed no rate: " + last);
    }

    /** Runs the sgemm probe (or --peer-sgemm-script) with the peer's interpreter and thread count. */
    private PeerSgemm probePeerSgemm() {
        List<String> cmd = new ArrayList<>(List.of(PEER_PYTHON));
        if (peerSgemmScript != null) cmd.add(peerSgemmScript.toString());
        else cmd.addAll(List.of("-c", SGEMM_PROBE));
        cmd.add(Integer.toString(PEER_THREADS));
        Path log = null;
        try {
            log = Files.createTempFile("ncf-peer-sgemm", ".txt");
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(SGEMM_PROBE_TIMEOUT_S, java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                return new PeerSgemm(Double.NaN, null, PEER_THREADS, "sgemm probe took over " + SGEMM_PROBE_TIMEOUT_S + " s");
            }
            return parseSgemm(Files.readString(log, StandardCharsets.UTF_8));
        } catch (java.io.IOException e) {
            return new PeerSgemm(Double.NaN, null, PEER_THREADS, "could not run " + PEER_PYTHON + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new PeerSgemm(Double.NaN, null, PEER_THREADS, "sgemm probe interrupted");
        } finally {
            if (log != null) try { Files.deleteIfExists(log); } catch (java.io.IOException ignored) { /* a temp file */ }
        }
    }

    /**
     * Decides whether the peer rows may serve as the denominator of "vs peer": every peer row gets
     * "peer_sgemm_gflops" when the probe measured it; when the rate is below {@code minGflops} (or unknown, with
     * {@code minGflops > 0}) the peer rows that ran get a note saying why no ratio is reported, and the WARNING line
     * to print is returned. Null means the peer is fair (or never ran, its rows saying why): report the ratios.
     */
    static String judgePeer(List<Map<String, Object>> rows, PeerSgemm sgemm, double minGflops) {
        List<Map<String, Object>> peers = rows.stream().filter(BenchmarkCommand::isPeer).toList();
        if (sgemm != null && sgemm.measured()) for (Map<String, Object> r : peers) r.put("peer_sgemm_gflops", sgemm.gflops());
        List<Map<String, Object>> ran = peers.stream().filter(r -> r.get("samples_per_s") instanceof Number).toList();
        if (minGflops <= 0 || ran.isEmpty()) return null;
        String min = minGflops == Math.rint(minGflops) ? Long.toString((long) minGflops) : Double.toString(minGflops);
        String note, warning;
        if (sgemm == null || !sgemm.measured()) {
            String why = sgemm == null ? "no sgemm probe ran" : sgemm.error();
            note = "peer's BLAS speed unknown (" + why + "); no ratio reported";
            warning = "WARNING: could not measure the PyTorch peer's sgemm speed (" + why + "), so it may be running on"
                    + " Debian's reference BLAS, about 14x slower than with libopenblas0-pthread: no 'vs peer' ratio reported."
                    + " Check that " + PEER_PYTHON + " -c 'import torch' works and that libopenblas0-pthread is installed"
                    + " (see ../shared/bench/README.md), or pass --peer-min-gflops 0 to report the ratio anyway.";
        } else if (sgemm.gflops() < minGflops) {
            note = String.format("peer runs on a slow BLAS (%.1f GFLOP/s sgemm < %s): install libopenblas0-pthread"
                    + " (see ../shared/bench/README.md); no ratio reported", sgemm.gflops(), min);
            warning = String.format("WARNING: the PyTorch peer runs on a slow BLAS: %.1f GFLOP/s sgemm, below --peer-min-gflops %s"
                    + " (an optimized BLAS does 100 or more on 2 cores), so it is not a fair peer and no 'vs peer' ratio is reported."
                    + " Debian's python3-torch falls back to the reference BLAS without libopenblas0-pthread: install it"
                    + " (apt-get install -y libopenblas0-pthread; see ../shared/bench/README.md) and run again. The engine rows are valid.",
                    sgemm.gflops(), min);
        } else {
            return null;
        }
        for (Map<String, Object> r : ran) {
            Object old = r.get("note");
            r.put("note", old == null || old.toString().isEmpty() ? note : note + "; " + old);
        }
        return warning;
    }

    /**
     * One row per measurement (engine label, batch, workers) in first-seen order: the median samples/s and s/step of
     * its runs, the largest peak RSS, and "median of N" in the note when there was more than one run.
     */
    static List<Map<String, Object>> medians(List<Map<String, Object>> runs) {
        Map<List<Object>, List<Map<String, Object>>> groups = new LinkedHashMap<>();
        for (Map<String, Object> r : runs)
            groups.computeIfAbsent(List.of(String.valueOf(r.get("engine")), String.valueOf(r.get("batch")), String.valueOf(r.get("workers"))),
                    k -> new ArrayList<>()).add(r);
        List<Map<String, Object>> out = new ArrayList<>();
        for (List<Map<String, Object>> g : groups.values()) {
            Map<String, Object> r = new LinkedHashMap<>(g.get(0));
            if (g.size() > 1 && g.stream().anyMatch(x -> x.get("samples_per_s") != null)) {   // (a row that never ran keeps its note alone)
                for (String key : List.of("samples_per_s", "seconds")) {
                    double[] v = g.stream().map(x -> x.get(key)).filter(java.util.Objects::nonNull).mapToDouble(x -> ((Number) x).doubleValue()).sorted().toArray();
                    if (v.length > 0) r.put(key, v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2);
                }
                g.stream().map(x -> x.get("peak_rss_mb")).filter(java.util.Objects::nonNull)
                        .mapToLong(x -> ((Number) x).longValue()).max().ifPresent(m -> r.put("peak_rss_mb", m));
                String runsNote = "median of " + g.size() + ": " + g.stream().map(x -> fmt(x.get("samples_per_s"), "%,.0f"))
                        .collect(java.util.stream.Collectors.joining(" / "));
                Object note = r.get("note");
                r.put("note", note == null || note.toString().isEmpty() ? runsNote : note + "; " + runsNote);
            }
            out.add(r);
        }
        return out;
    }

    /** Adds "vs_peer" (samples/s divided by the PyTorch peer's at the same batch) to every other train row. */
    /** "vs peer" of every row: its samples/s over the peer's at the same batch and precision (rows without one are FP32). */
    static void addPeerRatios(List<Map<String, Object>> rows) {
        for (Map<String, Object> peerRow : rows) {
            if (!isPeer(peerRow) || !(peerRow.get("samples_per_s") instanceof Number p)) continue;
            for (Map<String, Object> r : rows)
                if (r != peerRow && !isPeer(r) && String.valueOf(r.get("batch")).equals(String.valueOf(peerRow.get("batch")))
                        && precisionOf(r).equals(precisionOf(peerRow)) && r.get("samples_per_s") instanceof Number n)
                    r.put("vs_peer", n.doubleValue() / p.doubleValue());
        }
    }

    private static boolean isPeer(Map<String, Object> r) { return String.valueOf(r.get("engine")).startsWith("pytorch-peer"); }

    private static String precisionOf(Map<String, Object> r) { return String.valueOf(r.getOrDefault("precision", "fp32")); }

    static long peakRssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status")))
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
        } catch (Exception ignored) {
            // not Linux: no peak RSS
        }
        return -1;
    }

    private static void printTable(PrintWriter out, List<Map<String, Object>> rows) {
        boolean ratios = rows.stream().anyMatch(r -> r.containsKey("vs_peer"));
        String ratioHead = ratios ? String.format(" %8s", "vs peer") : "";
        out.printf("%-8s %-14s %10s %16s %12s %12s%s  %s%n", "what", "engine", "batch", "samples/s", "s/step", "peak RSS MB", ratioHead, "note");
        for (Map<String, Object> r : rows) {
            String ratio = ratios ? String.format(" %8s", fmt(r.get("vs_peer"), "%.2fx")) : "";
            out.printf("%-8s %-14s %10s %16s %12s %12s%s  %s%n", r.get("what"), r.get("engine"), r.get("batch"),
                    fmt(r.get("samples_per_s"), "%,.0f"), fmt(r.get("seconds"), "%.3f"), fmt(r.get("peak_rss_mb"), "%s"),
                    ratio, r.getOrDefault("note", ""));
        }
        out.flush();
    }

    private static String fmt(Object v, String f) { return v == null ? "-" : String.format(f, v); }

    /** Parses the flat JSON objects our children print (string and number values only). */
    static Map<String, Object> parseFlatJson(String s) {
        Map<String, Object> m = new LinkedHashMap<>();
        var p = java.util.regex.Pattern.compile("\"([^\"]+)\":(\"((?:[^\"\\\\]|\\\\.)*)\"|[-0-9.eE+]+|null|true|false)");
        var mt = p.matcher(s);
        while (mt.find()) {
            String v = mt.group(2);
            if (mt.group(3) != null) m.put(mt.group(1), mt.group(3));
            else if (v.equals("null")) m.put(mt.group(1), null);
            else if (v.equals("true") || v.equals("false")) m.put(mt.group(1), Boolean.parseBoolean(v));
            else if (v.matches("-?[0-9]+")) m.put(mt.group(1), Long.parseLong(v));
            else m.put(mt.group(1), Double.parseDouble(v));
        }
        return m;
    }

}
