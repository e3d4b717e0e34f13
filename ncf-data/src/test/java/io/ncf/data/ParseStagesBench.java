package io.ncf.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** CPU seconds of the fast path's stages on one thread: line scan, + field split, + full parse. Args: FILE. */
public final class ParseStagesBench {
    public static void main(String[] args) throws Exception {
        Path f = Path.of(args[0]);
        for (int rep = 0; rep < 2; rep++) {
            long c0 = io.ncf.data.bench.SamplerBench.cpu();
            long lines = 0;
            try (LineSource in = new LineSource(Files.newInputStream(f), "f", 1 << 22)) {
                while (in.next()) lines++;
            }
            long c1 = io.ncf.data.bench.SamplerBench.cpu();
            long fields = 0;
            FieldSplitter sp = new FieldSplitter(",", false);
            try (LineSource in = new LineSource(Files.newInputStream(f), "f", 1 << 22)) {
                while (in.next()) fields += sp.split(in.buffer(), in.start(), in.end());
            }
            long c2 = io.ncf.data.bench.SamplerBench.cpu();
            RawInteractions raw;
            try (RatingsRecordReader rr = new RatingsRecordReader(RatingsFormat.ML_20M)) {
                rr.initialize(new org.datavec.api.split.FileSplit(f.toFile()));
                raw = rr.readAll("f", 1, Long.MAX_VALUE);
            }
            long c3 = io.ncf.data.bench.SamplerBench.cpu();
            System.out.printf(Locale.ROOT, "scan %.2f s, +split %.2f s, full parse %.2f s CPU (%d lines, %d fields, %d rows)%n",
                    (c1 - c0) / 1e9, (c2 - c1) / 1e9, (c3 - c2) / 1e9, lines, fields, raw.size());
        }
    }
}
