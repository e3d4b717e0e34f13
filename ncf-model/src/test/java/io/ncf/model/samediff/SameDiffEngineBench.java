package io.ncf.model.samediff;

import io.ncf.model.DropoutMask;
import io.ncf.core.NeuMFConfig;
import io.ncf.model.ParamSet;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Times {@link SameDiffEngine#accumulateGradients} on ml-20m-shaped tables with random ids, plus a plain-Java
 * dense Adam step standing in for the optimizer, and reports peak RSS (VmHWM). Peak RSS is per process, so run
 * one micro-batch size per JVM:
 * <pre>java ... io.ncf.model.samediff.SameDiffEngineBench [microBatch=65536] [globalBatch=1048576] [steps=2]</pre>
 */
public final class SameDiffEngineBench {

    public static void main(String[] args) throws Exception {
        int micro = args.length > 0 ? Integer.parseInt(args[0]) : SameDiffEngine.DEFAULT_MICRO_BATCH;
        int global = args.length > 1 ? Integer.parseInt(args[1]) : 1 << 20;
        int steps = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        NeuMFConfig cfg = NeuMFConfig.defaults(138_493, 26_744);
        ParamSet params = ParamSet.initialize(cfg, 1);
        ParamSet grads = ParamSet.zeros(cfg);
        ParamSet m = ParamSet.zeros(cfg), v = ParamSet.zeros(cfg);
        Random r = new Random(2);
        int[] users = new int[global], items = new int[global];
        float[] labels = new float[global];
        for (int i = 0; i < global; i++) {
            users[i] = r.nextInt(cfg.numUsers());
            items[i] = r.nextInt(cfg.numItems());
            labels[i] = i % 5 == 0 ? 1f : 0f;
        }
        System.out.printf("config %s (%,d params), micro-batch %,d, global batch %,d, %d steps after a warm-up micro-batch%n",
                cfg, cfg.parameterCount(), micro, global, steps);
        System.out.printf("%-5s %12s %10s %12s %9s %14s %12s %10s %10s%n",
                "step", "loss/sample", "accum s", "accum smp/s", "adam s", "total smp/s", "CPU s/core", "RSS GB", "peak GB");
        try (SameDiffEngine engine = new SameDiffEngine(params, micro)) {
            engine.accumulateGradients(users, items, labels, 0, Math.min(micro, global), 1f / global,
                    DropoutMask.forStep(7, 0, cfg.dropout()), 0, grads);
            List<Double> rates = new ArrayList<>();
            for (int s = 1; s <= steps; s++) {
                grads.clear();
                double cpu0 = cpuSeconds();
                long t0 = System.nanoTime();
                double loss = engine.accumulateGradients(users, items, labels, 0, global, 1f / global,
                        DropoutMask.forStep(7, s, cfg.dropout()), (long) s * global, grads);
                long t1 = System.nanoTime();
                adam(params, grads, m, v, s);
                long t2 = System.nanoTime();
                double cpu = (cpuSeconds() - cpu0) / Runtime.getRuntime().availableProcessors();
                double acc = (t1 - t0) / 1e9, ad = (t2 - t1) / 1e9;
                rates.add(global / (acc + ad));
                System.out.printf("%-5d %12.5f %10.2f %,12.0f %9.2f %,14.0f %12.2f %10.2f %10.2f%n", s, loss / global, acc, global / acc, ad,
                        global / (acc + ad), cpu, status("VmRSS"), status("VmHWM"));
            }
            System.out.printf("micro-batch %,d: mean %,.0f samples/s incl. Adam, peak RSS %.2f GB%n",
                    micro, rates.stream().mapToDouble(d -> d).average().orElse(0), status("VmHWM"));
        }
    }

    /** Dense Adam (lr 1e-3) over every tensor: the optimizer's cost at NCF's batch sizes, where every row is touched. */
    static void adam(ParamSet p, ParamSet g, ParamSet m, ParamSet v, int t) {
        float b1 = 0.9f, b2 = 0.999f, lr = 1e-3f, eps = 1e-8f;
        float c1 = (float) (1 - Math.pow(b1, t)), c2 = (float) (1 - Math.pow(b2, t));
        for (String n : p.names()) {
            FloatBuffer pb = buf(p.get(n)), gb = buf(g.get(n)), mb = buf(m.get(n)), vb = buf(v.get(n));
            for (int i = 0, len = (int) p.get(n).length(); i < len; i++) {
                float gi = gb.get(i);
                float mi = b1 * mb.get(i) + (1 - b1) * gi, vi = b2 * vb.get(i) + (1 - b2) * gi * gi;
                mb.put(i, mi);
                vb.put(i, vi);
                pb.put(i, pb.get(i) - lr * (mi / c1) / ((float) Math.sqrt(vi / c2) + eps));
            }
        }
    }

    private static FloatBuffer buf(INDArray a) { return a.data().asNioFloat(); }

    /**
     * User+system CPU seconds of this process (/proc/self/stat, clock ticks of 1/100 s). On a shared machine,
     * CPU seconds per core below the wall time means other processes took the cores: the step would have
     * taken about that long on idle cores.
     */
    static double cpuSeconds() throws Exception {
        String stat = Files.readString(Path.of("/proc/self/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
    }

    /** A /proc/self/status memory field in GB (Linux). */
    static double status(String field) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status")))
            if (line.startsWith(field + ":")) return Long.parseLong(line.replaceAll("\\D", "")) / 1024.0 / 1024.0;
        return Double.NaN;
    }
}
