package io.ncf.data.bench;

import io.ncf.data.NcfDataset;
import io.ncf.data.Preprocessor;
import io.ncf.data.RatingsFormat;
import io.ncf.data.RatingsRecordReader;
import io.ncf.data.RawInteractions;

import java.nio.file.Path;
import java.util.Locale;

/** Fast-path read and preprocess, repeated, with wall and CPU seconds. Args: FILE FORMAT [repeats]. */
public final class ReadBench {
    public static void main(String[] args) {
        Path f = Path.of(args[0]);
        RatingsFormat fmt = RatingsFormat.fromName(args[1]);
        int reps = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        for (int r = 0; r < reps; r++) {
            long t0 = System.nanoTime(), c0 = SamplerBench.cpu();
            RawInteractions raw = RatingsRecordReader.read(f, fmt);
            long t1 = System.nanoTime(), c1 = SamplerBench.cpu();
            NcfDataset ds = new Preprocessor().run(raw);
            long t2 = System.nanoTime(), c2 = SamplerBench.cpu();
            System.out.printf(Locale.ROOT, "read %.2f s wall %.2f s CPU (%.2f M rows/s) | preprocess %.2f s wall %.2f s CPU | %d rows %d users%n",
                    (t1 - t0) / 1e9, (c1 - c0) / 1e9, raw.size() / ((t1 - t0) / 1e9) / 1e6, (t2 - t1) / 1e9, (c2 - c1) / 1e9, raw.size(), ds.numUsers());
        }
    }
}
