package io.ncf.data.bench;

import io.ncf.data.NegativeSampler;
import io.ncf.data.TrainingSamples;

import java.util.Locale;
import java.util.SplittableRandom;

/** Epoch generation speed at ml-20m scale on synthetic positives (no file needed). Args: [epochs] [verify]. */
public final class SamplerBench {
    public static long cpu() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    public static void main(String[] args) {
        int epochs = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        boolean verify = args.length > 1 && Boolean.parseBoolean(args[1]);
        int users = 138_493, items = 26_744, positives = 19_861_770;
        int[] tu = new int[positives], ti = new int[positives];
        SplittableRandom r = new SplittableRandom(1);
        int per = positives / users;
        for (int k = 0; k < positives; k++) { tu[k] = Math.min(users - 1, k / per); ti[k] = r.nextInt(items); }
        NegativeSampler s = new NegativeSampler(users, items, tu, ti, 4, verify, 1);
        TrainingSamples t = s.newSamples();
        for (int e = 0; e < epochs; e++) {
            long t0 = System.nanoTime(), c0 = cpu();
            s.sample(e, t);
            double sec = (System.nanoTime() - t0) / 1e9, cpuSec = (cpu() - c0) / 1e9;
            // CPU seconds matter when other processes share the cores: wall time then overstates the cost
            System.out.printf(Locale.ROOT, "epoch %d: %,d samples in %.2f s wall, %.2f s CPU (%.1f M/s wall)%n", e, t.size(), sec, cpuSec, t.size() / sec / 1e6);
        }
    }
}
