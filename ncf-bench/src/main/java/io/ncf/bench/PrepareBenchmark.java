package io.ncf.bench;

import io.ncf.data.DatasetStore;
import io.ncf.data.NcfDataset;
import io.ncf.data.NegativeSampler;
import io.ncf.data.Preprocessor;
import io.ncf.data.RatingsFormat;
import io.ncf.data.RatingsRecordReader;
import io.ncf.data.RawInteractions;
import io.ncf.data.TrainingSamples;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Times the data pipeline on one ratings file: read (fast path), preprocess, save, load, and one epoch of
 * training samples (shortcut and verified). Usage: {@code PrepareBenchmark FILE FORMAT [STORE_DIR]}; the store
 * goes to a temporary directory (deleted afterwards) unless one is given.
 */
public final class PrepareBenchmark {

    private PrepareBenchmark() {}

    /** Seconds per stage and the sizes they worked on. */
    public record Timings(double readS, double preprocessS, double saveS, double loadS, double sampleShortcutS,
                          double sampleVerifiedS, long rawRows, int users, int items, int trainSize, long samples,
                          long storeBytes, double[] cpuS) {
        public double ingestAndPreprocessS() { return readS + preprocessS; }
    }

    /** Runs every stage once; {@code storeDir} null means a temporary directory removed afterwards. */
    public static Timings run(Path file, RatingsFormat format, Path storeDir) {
        // process CPU seconds next to wall seconds: on a shared machine wall time overstates the cost
        double[] cpu = new double[6];
        long c = cpuNanos();
        long t0 = System.nanoTime();
        RawInteractions raw = RatingsRecordReader.read(file, format);
        long t1 = System.nanoTime();
        c = lap(cpu, 0, c);
        NcfDataset ds = new Preprocessor().run(raw);
        long t2 = System.nanoTime();
        c = lap(cpu, 1, c);
        long rawRows = raw.size();
        raw = null;
        Path tmp = null;
        try {
            Path dir = storeDir;
            if (dir == null) {
                tmp = Files.createTempDirectory("ncf-prepare-bench");
                dir = tmp.resolve("dataset");
            }
            c = cpuNanos();
            DatasetStore.save(ds, dir);
            long t3 = System.nanoTime();
            c = lap(cpu, 2, c);
            NcfDataset loaded = DatasetStore.load(dir);
            long t4 = System.nanoTime();
            lap(cpu, 3, c);
            long bytes = sizeOf(dir);
            ds = null;
            NegativeSampler shortcut = new NegativeSampler(loaded, 4, false, 1L);
            TrainingSamples samples = shortcut.newSamples();
            shortcut.sample(0, samples); // first epoch warms the JIT
            long t5 = System.nanoTime();
            c = cpuNanos();
            shortcut.sample(1, samples);
            long t6 = System.nanoTime();
            lap(cpu, 4, c);
            NegativeSampler verified = new NegativeSampler(loaded, 4, true, 1L);
            verified.sample(0, samples);
            long t7 = System.nanoTime();
            c = cpuNanos();
            verified.sample(1, samples);
            long t8 = System.nanoTime();
            lap(cpu, 5, c);
            return new Timings(s(t1 - t0), s(t2 - t1), s(t3 - t2), s(t4 - t3), s(t6 - t5), s(t8 - t7), rawRows,
                    loaded.numUsers(), loaded.numItems(), loaded.trainSize(), samples.size(), bytes, cpu);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (tmp != null) deleteTree(tmp);
        }
    }

    private static double s(long nanos) { return nanos / 1e9; }

    private static long cpuNanos() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : -1;
    }

    private static long lap(double[] cpu, int k, long since) {
        long now = cpuNanos();
        cpu[k] = since < 0 || now < 0 ? Double.NaN : (now - since) / 1e9;
        return now;
    }

    private static long sizeOf(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.mapToLong(p -> p.toFile().length()).sum();
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort for a temporary directory
        }
    }

    public static void main(String[] args) {
        if (args.length < 2) {
            System.err.println("usage: PrepareBenchmark FILE FORMAT [STORE_DIR]   (FORMAT: ml-20m, ml-1m, ml-100k, csv)");
            System.exit(2);
        }
        Path file = Path.of(args[0]);
        RatingsFormat format = RatingsFormat.fromName(args[1]);
        Timings t = run(file, format, args.length > 2 ? Path.of(args[2]) : null);
        System.out.println(table(file, t));
    }

    public static String table(Path file, Timings t) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%s: %,d rows -> %,d users, %,d items, %,d train positives, %,d samples/epoch, store %.1f MB (%d cores)%n",
                file, t.rawRows(), t.users(), t.items(), t.trainSize(), t.samples(), t.storeBytes() / 1e6,
                Runtime.getRuntime().availableProcessors()));
        b.append(String.format(Locale.ROOT, "%-28s %10s %10s %18s%n", "stage", "wall s", "CPU s", "rate (wall)"));
        double[] c = t.cpuS();
        row(b, "read (fast path)", t.readS(), c[0], t.rawRows(), "rows");
        row(b, "preprocess", t.preprocessS(), c[1], t.rawRows(), "rows");
        row(b, "read + preprocess", t.ingestAndPreprocessS(), c[0] + c[1], t.rawRows(), "rows");
        row(b, "save", t.saveS(), c[2], t.storeBytes(), "B");
        row(b, "load", t.loadS(), c[3], t.storeBytes(), "B");
        row(b, "epoch samples (shortcut)", t.sampleShortcutS(), c[4], t.samples(), "samples");
        row(b, "epoch samples (verified)", t.sampleVerifiedS(), c[5], t.samples(), "samples");
        return b.toString();
    }

    private static void row(StringBuilder b, String stage, double sec, double cpu, long count, String unit) {
        b.append(String.format(Locale.ROOT, "%-28s %10.2f %10.2f %10.2f M%s/s%n", stage, sec, cpu, count / sec / 1e6, unit));
    }
}
