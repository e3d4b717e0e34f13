package io.ncf.bench;

import io.ncf.model.DropoutMask;
import io.ncf.core.NeuMFConfig;
import io.ncf.model.ParamSet;
import io.ncf.model.fused.AdamKernels;
import io.ncf.core.blas.Blas;
import io.ncf.model.fused.FusedCpuEngine;
import io.ncf.model.fused.Sgemm;
import io.ncf.model.fused.TouchedRows;
import io.ncf.core.blas.Workers;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Times the fused engine on ml-20m-shaped tables (random ids, 1:4 labels): training steps (forward + backward,
 * then Adam with dense or lazy row-sparse embedding updates) at given global batches, and inference.
 * Prints one table; {@link #run} returns the rows for other harnesses (the CLI's {@code ncf benchmark train}).
 *
 * <p>Usage: {@code FusedEngineBench [--batches 65536,1048576] [--micro 65536] [--steps 3] [--threads 2]
 * [--users 138493] [--items 26744] [--adam dense|lazy|both] [--first-layer auto|per-sample|factored]
 * [--sort on|off] [--dropout 0.5] [--precision fp32|bf16|fp16]} ({@code --dropout 0} shows what the masks cost)
 */
public final class FusedEngineBench {

    public enum AdamMode { DENSE, LAZY }

    public record Options(int users, int items, int[] globalBatches, int microBatch, int steps, int threads,
                          List<AdamMode> adamModes, int scoreSamples, boolean splitGemm, FusedCpuEngine.FirstLayer firstLayer,
                          boolean sortSamples, float dropout, io.ncf.core.blas.HalfFormat half) {
        public static Options defaults() {
            return new Options(138_493, 26_744, new int[]{65_536, 1_048_576}, 65_536, 3, 2,
                    List.of(AdamMode.DENSE, AdamMode.LAZY), 2_000_000, true, FusedCpuEngine.FirstLayer.AUTO, true,
                    NeuMFConfig.DEFAULT_DROPOUT, null);
        }
    }

    /**
     * One training configuration's steady-state numbers (first step excluded as warm-up), or an inference row
     * when {@code adam} is null. Times are medians over the timed steps, in seconds.
     */
    public record Result(String what, int globalBatch, AdamMode adam, double samplesPerSecond, double stepSeconds,
                         double fwdBwdSeconds, double adamSeconds, double gemmShare, double gemmGflops,
                         long peakRssBytes, double cpuSecondsPerStep) {
        /**
         * Throughput if this process had {@code cores} cores to itself: samples per (process CPU time / cores).
         * On a machine shared with other jobs wall time overstates the cost; CPU time (spin-waits included) does not.
         */
        public double samplesPerSecondOnIdleCores(int cores) { return globalBatch / (cpuSecondsPerStep / cores); }
    }

    private static final java.lang.management.OperatingSystemMXBean OS = java.lang.management.ManagementFactory.getOperatingSystemMXBean();

    /** CPU time of this whole process (all threads, native ones included), in seconds. */
    static double processCpuSeconds() {
        return OS instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() / 1e9 : Double.NaN;
    }

    private FusedEngineBench() {}

    private static long[] lastPhases = new long[FusedCpuEngine.PHASES.length];

    public static List<Result> run(Options o) {
        NeuMFConfig c = NeuMFConfig.defaults(o.users(), o.items()).withDropout(o.dropout());
        ParamSet params = ParamSet.initialize(c, 1);
        ParamSet grads = params.zerosLike(), m = params.zerosLike(), v = params.zerosLike();
        int maxBatch = 0;
        for (int b : o.globalBatches()) maxBatch = Math.max(maxBatch, b);
        int n = Math.max(maxBatch, o.scoreSamples());
        Random r = new Random(7);
        int[] users = new int[n], items = new int[n];
        float[] labels = new float[n];
        for (int k = 0; k < n; k++) {
            users[k] = r.nextInt(c.numUsers());
            items[k] = r.nextInt(c.numItems());
            labels[k] = k % 5 == 0 ? 1f : 0f;
        }
        List<Result> out = new ArrayList<>();
        try (Workers workers = new Workers(o.threads());
             FusedCpuEngine engine = o.half() != null ? new FusedCpuEngine(params, o.microBatch(), workers, o.half())
                     : new FusedCpuEngine(params, o.microBatch(), workers, o.splitGemm())) {
            engine.setFirstLayer(o.firstLayer());
            engine.setSortSamples(o.sortSamples());
            Tables t = new Tables(params, grads, m, v);
            TouchedRows touchedUsers = new TouchedRows(c.numUsers()), touchedItems = new TouchedRows(c.numItems());
            for (int batch : o.globalBatches()) {
                for (AdamMode mode : o.adamModes()) {
                    int steps = Math.max(2, o.steps() + 1);
                    double[] cpu = new double[steps];
                    double[] total = new double[steps], fb = new double[steps], adam = new double[steps], gemm = new double[steps];
                    long flops = 0;
                    for (int s = 0; s < steps; s++) {
                        Sgemm.resetCounters();
                        double c0 = processCpuSeconds();
                        long t0 = System.nanoTime();
                        engine.accumulateGradients(users, items, labels, 0, batch, 1f / batch,
                                DropoutMask.forStep(3, s, c.dropout()), 0, grads);
                        engine.finishGradients(grads);
                        long t1 = System.nanoTime();
                        gemm[s] = Sgemm.nanos() / 1e9;
                        flops = Sgemm.flops();
                        AdamKernels.Step st = new AdamKernels.Step(0.0045f, 0.25f, 0.5f, 1e-8f, s + 1);
                        if (mode == AdamMode.DENSE) {
                            t.denseAll(workers, st);
                        } else {
                            touchedUsers.mark(users, 0, batch);
                            touchedItems.mark(items, 0, batch);
                            t.lazyEmbeddings(workers, st, touchedUsers, touchedItems, c);
                            touchedUsers.clear();
                            touchedItems.clear();
                        }
                        engine.parametersChanged();
                        long t2 = System.nanoTime();
                        cpu[s] = processCpuSeconds() - c0;
                        total[s] = (t2 - t0) / 1e9;
                        fb[s] = (t1 - t0) / 1e9;
                        adam[s] = (t2 - t1) / 1e9;
                    }
                    double step = median(total), g = median(gemm);
                    out.add(new Result("train", batch, mode, batch / step, step, median(fb), median(adam),
                            g / step, flops / g / 1e9, peakRss(), median(cpu)));
                }
            }
            // scoring: random pairs, and evaluation's layout (each user's 101 candidates in a row)
            int[] evalUsers = new int[o.scoreSamples()];
            for (int k = 0; k < evalUsers.length; k++) evalUsers[k] = k % 101 == 0 ? r.nextInt(c.numUsers()) : evalUsers[k - 1];
            out.add(score("score", engine, users, items, o));
            out.add(score("score101", engine, evalUsers, items, o));
        }
        return out;
    }

    private static Result score(String what, FusedCpuEngine engine, int[] users, int[] items, Options o) {
        float[] scores = new float[o.scoreSamples()];
        double[] times = new double[Math.max(2, o.steps() + 1)];
        long flops = 0;
        double[] gemm = new double[times.length], cpu = new double[times.length];
        for (int s = 0; s < times.length; s++) {
            Sgemm.resetCounters();
            double c0 = processCpuSeconds();
            long t0 = System.nanoTime();
            engine.parametersChanged();   // conservative: the factored path re-projects its tables in every timed call
            engine.score(users, items, o.scoreSamples(), scores);
            times[s] = (System.nanoTime() - t0) / 1e9;
            cpu[s] = processCpuSeconds() - c0;
            gemm[s] = Sgemm.nanos() / 1e9;
            flops = Sgemm.flops();
        }
        double st = median(times), g = median(gemm);
        lastPhases = engine.phaseNanos();
        return new Result(what, o.scoreSamples(), null, o.scoreSamples() / st, st, st, 0, g / st, flops / g / 1e9, peakRss(), median(cpu));
    }

    /** Median of all but the first (warm-up) entry. */
    private static double median(double[] a) {
        double[] s = java.util.Arrays.copyOfRange(a, 1, a.length);
        java.util.Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** Peak resident set size of this process (VmHWM), or -1 where /proc is not available. */
    public static long peakRss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status")))
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /** The four buffers of every parameter, in ParamSet order. */
    private static final class Tables {
        final List<String> names;
        final FloatBuffer[] p, g, m, v;
        final int[] len;

        Tables(ParamSet params, ParamSet grads, ParamSet m, ParamSet v) {
            names = params.names();
            int k = names.size();
            p = new FloatBuffer[k]; g = new FloatBuffer[k]; this.m = new FloatBuffer[k]; this.v = new FloatBuffer[k];
            len = new int[k];
            for (int i = 0; i < k; i++) {
                String n = names.get(i);
                p[i] = params.get(n).data().asNioFloat();
                g[i] = grads.get(n).data().asNioFloat();
                this.m[i] = m.get(n).data().asNioFloat();
                this.v[i] = v.get(n).data().asNioFloat();
                len[i] = (int) params.get(n).length();
            }
        }

        void denseAll(Workers w, AdamKernels.Step s) {
            for (int i = 0; i < names.size(); i++) AdamKernels.dense(w, p[i], g[i], m[i], v[i], len[i], s, true);
        }

        void lazyEmbeddings(Workers w, AdamKernels.Step s, TouchedRows users, TouchedRows items, NeuMFConfig c) {
            for (int i = 0; i < names.size(); i++) {
                String n = names.get(i);
                TouchedRows rows = n.equals(ParamSet.MF_USER) || n.equals(ParamSet.MLP_USER) ? users
                        : n.equals(ParamSet.MF_ITEM) || n.equals(ParamSet.MLP_ITEM) ? items : null;
                if (rows == null) {
                    AdamKernels.dense(w, p[i], g[i], m[i], v[i], len[i], s, true);
                } else {
                    int width = n.startsWith("mf_") ? c.factors() : c.mlpEmbeddingDim();
                    AdamKernels.rows(w, p[i], g[i], m[i], v[i], width, rows.rows(), rows.count(), s, true);
                }
            }
        }
    }

    public static String table(List<Result> rows) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%-8s %10s %6s %12s %12s %9s %9s %9s %9s %6s %9s %9s%n",
                "what", "batch", "adam", "samples/s", "idle2core/s", "step s", "cpu s", "fwd+bwd", "adam s", "gemm%", "gemmGF/s", "peakRSS"));
        for (Result r : rows)
            sb.append(String.format("%-8s %,10d %6s %,12.0f %,12.0f %9.3f %9.3f %9.3f %9.3f %5.1f%% %9.1f %8.2fG%n",
                    r.what(), r.globalBatch(), r.adam() == null ? "-" : r.adam().name().toLowerCase(), r.samplesPerSecond(),
                    r.samplesPerSecondOnIdleCores(2), r.stepSeconds(), r.cpuSecondsPerStep(), r.fwdBwdSeconds(), r.adamSeconds(), 100 * r.gemmShare(), r.gemmGflops(),
                    r.peakRssBytes() / 1e9));
        return sb.toString();
    }

    public static void main(String[] args) {
        Options d = Options.defaults();
        int users = d.users(), items = d.items(), micro = d.microBatch(), steps = d.steps(), threads = d.threads(), score = d.scoreSamples();
        int[] batches = d.globalBatches();
        List<AdamMode> modes = d.adamModes();
        boolean split = d.splitGemm();
        FusedCpuEngine.FirstLayer first = d.firstLayer();
        boolean sort = d.sortSamples();
        float dropout = d.dropout();
        io.ncf.core.blas.HalfFormat half = d.half();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (i + 1 >= args.length) throw new IllegalArgumentException("option " + a + " needs a value");
            String val = args[++i];
            switch (a) {
                case "--batches" -> batches = java.util.Arrays.stream(val.split(",")).mapToInt(Integer::parseInt).toArray();
                case "--micro" -> micro = Integer.parseInt(val);
                case "--steps" -> steps = Integer.parseInt(val);
                case "--threads" -> threads = Integer.parseInt(val);
                case "--users" -> users = Integer.parseInt(val);
                case "--items" -> items = Integer.parseInt(val);
                case "--gemm" -> split = switch (val) {
                    case "split" -> true;
                    case "openblas" -> false;
                    default -> throw new IllegalArgumentException("--gemm must be split or openblas, got " + val);
                };
                case "--score" -> score = Integer.parseInt(val);
                case "--sort" -> sort = switch (val) {
                    case "on" -> true;
                    case "off" -> false;
                    default -> throw new IllegalArgumentException("--sort must be on or off, got " + val);
                };
                case "--dropout" -> dropout = Float.parseFloat(val);
                case "--precision" -> half = val.equalsIgnoreCase("fp32") ? null : io.ncf.core.blas.HalfFormat.valueOf(val.toUpperCase(java.util.Locale.ROOT));
                case "--first-layer" -> first = FusedCpuEngine.FirstLayer.valueOf(val.toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
                case "--adam" -> modes = switch (val) {
                    case "dense" -> List.of(AdamMode.DENSE);
                    case "lazy" -> List.of(AdamMode.LAZY);
                    case "both" -> List.of(AdamMode.DENSE, AdamMode.LAZY);
                    default -> throw new IllegalArgumentException("--adam must be dense, lazy or both, got " + val);
                };
                default -> throw new IllegalArgumentException("unknown option " + a);
            }
        }
        List<Result> rows = run(new Options(users, items, batches, micro, steps, threads, modes, score, split, first, sort, dropout, half));
        System.out.println("gemm: " + (split ? Blas.describe() : "OpenBLAS, its own threads"));
        System.out.print(table(rows));
        System.out.println("calling-thread CPU seconds per phase over the whole run (with --threads 1: all of it):");
        for (int k = 0; k < FusedCpuEngine.PHASES.length; k++)
            System.out.printf("  %-20s %8.3f%n", FusedCpuEngine.PHASES[k], lastPhases[k] / 1e9);
        System.out.printf("  %-20s %8.3f  (%.1f GFLOP/s per calling thread)%n", "gemm", Sgemm.totalNanos() / 1e9, Sgemm.totalFlops() / (double) Sgemm.totalNanos());
    }
}
