package io.ncf.data;

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
                          long storeBytes) {
        public double ingestAndPreprocessS() { return readS + preprocessS; }
    }

    /** Runs every stage once; {@code storeDir} null means a temporary directory removed afterwards. */
    public static Timings run(Path file, RatingsFormat format, Path storeDir) {
        long t0 = System.nanoTime();
        RawInteractions raw = RatingsRecordReader.read(file, format);
        long t1 = System.nanoTime();
        NcfDataset ds = new Preprocessor().run(raw);
        long t2 = System.nanoTime();
        long rawRows = raw.size();
        raw = null;
        Path tmp = null;
        try {
            Path dir = storeDir;
            if (dir == null) {
                tmp = Files.createTempDirectory("ncf-prepare-bench");
                dir = tmp.resolve("dataset");
            }
            DatasetStore.save(ds, dir);
            long t3 = System.nanoTime();
            NcfDataset loaded = DatasetStore.load(dir);
            long t4 = System.nanoTime();
            long bytes = sizeOf(dir);
            ds = null;
            NegativeSampler shortcut = new NegativeSampler(loaded, 4, false, 1L);
            TrainingSamples samples = shortcut.newSamples();
            shortcut.sample(0, samples); // first epoch warms the JIT
            long t5 = System.nanoTime();
            shortcut.sample(1, samples);
            long t6 = System.nanoTime();
            NegativeSampler verified = new NegativeSampler(loaded, 4, true, 1L);
            verified.sample(0, samples);
            long t7 = System.nanoTime();
            verified.sample(1, samples);
            long t8 = System.nanoTime();
            return new Timings(s(t1 - t0), s(t2 - t1), s(t3 - t2), s(t4 - t3), s(t6 - t5), s(t8 - t7), rawRows,
                    loaded.numUsers(), loaded.numItems(), loaded.trainSize(), samples.size(), bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (tmp != null) deleteTree(tmp);
        }
    }

    private static double s(long nanos) { return nanos / 1e9; }

    private static long sizeOf(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.mapToLong(p -> p.toFile().length()).sum();
        }
    }

    static void deleteTree(Path root) {
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
        b.append(String.format(Locale.ROOT, "%-28s %10s %14s%n", "stage", "seconds", "rate"));
        row(b, "read (fast path)", t.readS(), t.rawRows(), "rows");
        row(b, "preprocess", t.preprocessS(), t.rawRows(), "rows");
        row(b, "read + preprocess", t.ingestAndPreprocessS(), t.rawRows(), "rows");
        row(b, "save", t.saveS(), t.storeBytes(), "B");
        row(b, "load", t.loadS(), t.storeBytes(), "B");
        row(b, "epoch samples (shortcut)", t.sampleShortcutS(), t.samples(), "samples");
        row(b, "epoch samples (verified)", t.sampleVerifiedS(), t.samples(), "samples");
        return b.toString();
    }

    private static void row(StringBuilder b, String stage, double sec, long count, String unit) {
        b.append(String.format(Locale.ROOT, "%-28s %10.2f %10.2f M%s/s%n", stage, sec, count / sec / 1e6, unit));
    }
}
