package io.ncf.data;

import io.ncf.core.IdVocabulary;

import org.datavec.api.conf.Configuration;
import org.datavec.api.records.Record;
import org.datavec.api.records.metadata.RecordMetaData;
import org.datavec.api.records.metadata.RecordMetaDataLine;
import org.datavec.api.split.FileSplit;
import org.datavec.api.split.InputSplit;
import org.datavec.api.writable.Text;
import org.datavec.api.writable.Writable;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.stream.IntStream;

/**
 * A DataVec {@link org.datavec.api.records.reader.RecordReader} for delimited ratings files (the MovieLens
 * layouts of {@link RatingsFormat} or any {@link ColumnSpec}), with two ways to read:
 * <ul>
 * <li>the DataVec way: {@link #next()} / {@link #nextRecord()} give every field of a line as {@link Text}
 *     (quotes stripped, CR removed, blank lines skipped). Like {@code CSVRecordReader} with no skipped lines,
 *     the header line (if any) is delivered as the first record, so {@link InteractionReader} can consume it;
 *     the headers of further files in the split are skipped. Line metadata is the 0-based physical line, as
 *     DataVec's line readers report it.</li>
 * <li>the bulk way: {@link #readAll(String)} parses the bytes straight into {@link RawInteractions}
 *     (no Writables, no Strings per row, reused buffers), several times faster.</li>
 * </ul>
 * Both go through the same line and field splitting, and give identical interactions.
 */
public class RatingsRecordReader extends org.datavec.api.records.reader.BaseRecordReader {

    private static final int BUFFER = 1 << 22;

    private final ColumnSpec spec;
    private final boolean quoted;
    private final int fieldCount;
    private Configuration conf;
    private URI[] locations = new URI[0];
    private int fileIndex = -1;
    private LineSource lines;
    private FieldSplitter splitter;
    private boolean ready;
    private boolean headerDelivered;

    public RatingsRecordReader(RatingsFormat format) {
        this(format.spec(), format.quoted(), format.fieldCount());
    }

    private boolean integerIds;
    private BadRows badRows = BadRows.fail();

    /**
     * Ids are opaque text by default; with this on (the CLI's {@code --id-type int}) the bulk path refuses an id
     * that is not a 32-bit integer, naming file, line and field.
     */
    public RatingsRecordReader integerIds(boolean on) {
        this.integerIds = on;
        return this;
    }

    private Progress progress = Progress.NONE;

    /** The bulk path reports bytes read as task {@link #PROGRESS_TASK} (total: the files' sizes, when known). */
    public RatingsRecordReader progress(Progress p) {
        this.progress = Progress.orNone(p);
        return this;
    }

    public static final String PROGRESS_TASK = "read";

    /** What the bulk path does with malformed rows (default: fail at the first); the collector receives the skipped ones. */
    public RatingsRecordReader onBadRows(BadRows b) {
        this.badRows = b;
        return this;
    }

    /**
     * @param quoted     whether fields may be wrapped in double quotes
     * @param fieldCount fields every row must have, or 0 to take the count of the header (or first row)
     */
    public RatingsRecordReader(ColumnSpec spec, boolean quoted, int fieldCount) {
        this.spec = spec;
        this.quoted = quoted;
        this.fieldCount = fieldCount;
    }

    /** Reads a whole ratings file the fast way; the source name is the path. */
    public static RawInteractions read(Path file, RatingsFormat format) {
        return read(file, new RatingsRecordReader(format));
    }

    /** Reads a whole ratings file the fast way with explicit columns. */
    public static RawInteractions read(Path file, ColumnSpec spec, boolean quoted) {
        return read(file, new RatingsRecordReader(spec, quoted, 0));
    }

    /** {@link #read(Path, RatingsFormat)} skipping or failing on malformed rows as {@code bad} says. */
    public static RawInteractions read(Path file, RatingsFormat format, BadRows bad, boolean integerIds) {
        return read(file, new RatingsRecordReader(format).onBadRows(bad).integerIds(integerIds));
    }

    /** {@link #read(Path, ColumnSpec, boolean)} skipping or failing on malformed rows as {@code bad} says. */
    public static RawInteractions read(Path file, ColumnSpec spec, boolean quoted, BadRows bad, boolean integerIds) {
        return read(file, new RatingsRecordReader(spec, quoted, 0).onBadRows(bad).integerIds(integerIds));
    }

    /** {@link #read(Path, RatingsFormat, BadRows, boolean)} reporting bytes read to {@code progress}. */
    public static RawInteractions read(Path file, RatingsFormat format, BadRows bad, boolean integerIds, Progress progress) {
        return read(file, new RatingsRecordReader(format).onBadRows(bad).integerIds(integerIds).progress(progress));
    }

    /** {@link #read(Path, ColumnSpec, boolean, BadRows, boolean)} reporting bytes read to {@code progress}. */
    public static RawInteractions read(Path file, ColumnSpec spec, boolean quoted, BadRows bad, boolean integerIds, Progress progress) {
        return read(file, new RatingsRecordReader(spec, quoted, 0).onBadRows(bad).integerIds(integerIds).progress(progress));
    }

    private RangeParser configure(RangeParser rp) {
        rp.skipBad = badRows.skipping();
        rp.integerIds = integerIds;
        return rp;
    }

    private void drainSkipped(RangeParser rp, String file, long lineOffset) {
        badRows.add(rp.skipped, file, lineOffset, rp.skippedExamples);
        rp.skipped = 0;
        rp.skippedExamples.clear();
    }

    private static RawInteractions read(Path file, RatingsRecordReader reader) {
        checkReadableFile(file);
        reader.initialize(new FileSplit(file.toFile()));
        try {
            return reader.readAll(file.toString());
        } finally {
            reader.close();
        }
    }

    /** Fails with a one-line message (no stack trace needed) if {@code file} is not a readable regular file. */
    public static void checkReadableFile(Path file) {
        if (!Files.exists(file)) throw new DataFormatException(file + ": no such file");
        if (Files.isDirectory(file)) throw new DataFormatException(file + ": is a directory, not a ratings file");
        if (!Files.isReadable(file)) throw new DataFormatException(file + ": cannot be read (permission denied)");
    }

    @Override
    public void initialize(InputSplit split) {
        try {
            super.initialize(split);
        } catch (IOException | InterruptedException e) {
            throw new DataFormatException("cannot initialize from " + split + ": " + e.getMessage(), e);
        }
        URI[] locs = split.locations();
        if (locs == null || locs.length == 0) throw new DataFormatException("input split " + split + " has no files");
        for (URI u : locs) if ("file".equals(u.getScheme())) checkReadableFile(Paths.get(u));
        close();
        this.locations = locs.clone();
        this.fileIndex = -1;
        this.headerDelivered = false;
        this.ready = false;
    }

    @Override
    public void initialize(Configuration conf, InputSplit split) {
        this.conf = conf;
        initialize(split);
    }

    // ---------------------------------------------------------------- bulk fast path

    /**
     * Parses every file of the split (from the start, whatever the record cursor) straight into interactions.
     * Ids are interned from the bytes; a String is created once per distinct id. A single large local file is
     * cut at line boundaries and parsed by several threads, then merged in file order, so the result (ids in
     * order of first appearance included) is the same as a sequential read.
     */
    public RawInteractions readAll(String sourceName) {
        return readAll(sourceName, Math.min(MAX_THREADS, Runtime.getRuntime().availableProcessors()), PARALLEL_MIN_BYTES);
    }

    /** {@link #readAll(String)} with the parallelism spelled out (tests force the parallel path on small files). */
    RawInteractions readAll(String sourceName, int threads, long parallelMinBytes) {
        if (locations.length == 0) throw new IllegalStateException("initialize the reader first");
        if (locations.length == 1 && "file".equals(locations[0].getScheme()) && threads > 1) {
            Path p = Paths.get(locations[0]);
            try {
                if (Files.size(p) >= parallelMinBytes) return readParallel(p, sourceName, threads);
            } catch (IOException e) {
                throw new DataFormatException(p + ": cannot read: " + e.getMessage(), e);
            }
        }
        return readSequential(sourceName);
    }

    static final long PARALLEL_MIN_BYTES = 8L << 20;
    private static final int MAX_THREADS = 8;

    /** The resolved columns, header and expected field count, from the start of the first file. */
    private record Head(ColumnSpec spec, String[] header, int expected, long dataStart, long linesBefore) {}

    /** Reads the header (if any) of {@code in}; for the first file resolves the columns, for later ones checks it. */
    private Head readHead(LineSource in, String file, Head first) {
        if (!spec.hasHeader()) return new Head(spec, null, fieldCount, 0, 0);
        FieldSplitter sp = new FieldSplitter(spec.delimiter(), quoted);
        while (in.next()) {
            if (in.blank()) continue;
            int n = sp.split(in.buffer(), in.start(), in.end());
            if (n < 0) throw DataFormatException.at(file, in.lineNumber(), "unterminated quoted field in the header");
            String[] h = headerFields(sp, n);
            if (first != null) {
                if (!Arrays.equals(h, first.header())) throw DataFormatException.at(file, in.lineNumber(),
                        "header differs from the first file's: " + String.join(",", h) + " vs " + String.join(",", first.header()));
                return first;
            }
            ColumnSpec s = resolve(h, file);
            int expected = fieldCount == 0 ? n : fieldCount;
            checkHeaderWidth(file, in.lineNumber(), n, expected, s);
            return new Head(s, h, expected, in.position(), in.lineNumber());
        }
        return null; // no lines at all
    }

    private RawInteractions readSequential(String sourceName) {
        IdVocabulary users = new IdVocabulary(), items = new IdVocabulary();
        Head head = null;
        RangeParser parser = null;
        long total = totalBytes();
        java.util.concurrent.atomic.AtomicLong read = new java.util.concurrent.atomic.AtomicLong();
        for (URI uri : locations) {
            String file = displayName(uri);
            try (LineSource in = new LineSource(counted(open(uri), read, total), file, BUFFER)) {
                Head h = readHead(in, file, head);
                if (h == null) continue;
                if (head == null) {
                    head = h;
                    parser = configure(new RangeParser(h.spec(), h.header(), h.expected(), quoted, users, items, capacityGuess()));
                }
                parser.parse(in);
                drainSkipped(parser, file, 0);
                if (parser.errorLine > 0) throw DataFormatException.at(file, parser.errorLine, parser.errorMessage);
            }
        }
        if (parser == null || parser.n == 0) throw noData(head != null && head.header() != null);
        if (total > 0) progress.update(PROGRESS_TASK, total, total);
        return new RawInteractions(sourceName, users, items, parser.u, parser.i, parser.t, parser.n);
    }

    /** Sum of the local files' sizes, or 0 if any location's size is unknown. */
    private long totalBytes() {
        long bytes = 0;
        for (URI u : locations) {
            if (!"file".equals(u.getScheme())) return 0;
            try {
                bytes += Files.size(Paths.get(u));
            } catch (IOException e) {
                return 0;
            }
        }
        return bytes;
    }

    /** Reports every buffer-sized read of {@code in} to the progress callback (no-op stream when nobody listens). */
    private java.io.InputStream counted(java.io.InputStream in, java.util.concurrent.atomic.AtomicLong read, long total) {
        if (progress == Progress.NONE) return in;
        return new java.io.FilterInputStream(in) {
            @Override public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                if (n > 0) progress.update(PROGRESS_TASK, Math.min(read.addAndGet(n), total > 0 ? total : Long.MAX_VALUE), total);
                return n;
            }
        };
    }

    /** Rows to expect from the file sizes (MovieLens lines are 20-30 bytes), so the arrays rarely grow. */
    private int capacityGuess() {
        long bytes = 0;
        for (URI u : locations) {
            if (!"file".equals(u.getScheme())) return 1 << 16;
            try {
                bytes += Files.size(Paths.get(u));
            } catch (IOException e) {
                return 1 << 16;
            }
        }
        return (int) Math.min(Integer.MAX_VALUE - 8, bytes / 20 + 1024);
    }

    private DataFormatException noData(boolean hadHeader) {
        if (badRows.count() > 0) return new DataFormatException(String.join(", ", names()) + ": no valid data rows; " + badRows.summary());
        return new DataFormatException(String.join(", ", names()) + ": no data rows" + (hadHeader ? " (only a header)" : " (empty file)"));
    }

    private RawInteractions readParallel(Path path, String sourceName, int threads) throws IOException {
        String file = path.toString();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            Head head;
            try (LineSource in = new LineSource(new RegionInputStream(ch, 0, size), file, 1 << 16)) {
                head = readHead(in, file, null);
            }
            if (head == null) throw noData(false);
            // a field count taken from the first row must be known before the ranges start
            int expected = head.expected();
            if (expected == 0) {
                try (LineSource in = new LineSource(new RegionInputStream(ch, head.dataStart(), size), file, 1 << 16)) {
                    FieldSplitter sp = new FieldSplitter(spec.delimiter(), quoted);
                    while (in.next() && expected == 0) {
                        if (in.blank()) continue;
                        int n = sp.split(in.buffer(), in.start(), in.end());
                        if (n < 0) throw DataFormatException.at(file, head.linesBefore() + in.lineNumber(), "unterminated quoted field or text after a closing quote");
                        if (n < head.spec().minFields()) throw DataFormatException.at(file, head.linesBefore() + in.lineNumber(),
                                "expected at least " + head.spec().minFields() + " fields for " + head.spec() + ", found " + n);
                        expected = n;
                    }
                }
            }
            long[] cuts = cuts(ch, head.dataStart(), size, threads);
            int parts = cuts.length - 1;
            RangeParser[] parsers = new RangeParser[parts];
            final int exp = expected;
            java.util.concurrent.atomic.AtomicLong read = new java.util.concurrent.atomic.AtomicLong(head.dataStart());
            int guess = (int) Math.min(Integer.MAX_VALUE - 8, (size - head.dataStart()) / parts / 20 + 1024);
            IntStream.range(0, parts).parallel().forEach(k -> {
                RangeParser rp = configure(new RangeParser(head.spec(), head.header(), exp, quoted, new IdVocabulary(), new IdVocabulary(), guess));
                try (LineSource in = new LineSource(counted(new RegionInputStream(ch, cuts[k], cuts[k + 1]), read, size), file, BUFFER)) {
                    rp.parse(in);
                }
                parsers[k] = rp;
            });
            long lineOffset = head.linesBefore();
            for (RangeParser rp : parsers) {
                if (rp.errorLine > 0) throw DataFormatException.at(file, lineOffset + rp.errorLine, rp.errorMessage);
                drainSkipped(rp, file, lineOffset);
                lineOffset += rp.lines;
            }
            RawInteractions merged = merge(sourceName, parsers, head.header() != null);
            progress.update(PROGRESS_TASK, size, size);
            return merged;
        }
    }

    /** Range boundaries: {@code parts} roughly equal byte ranges of [from, to), each moved to just after a newline. */
    private static long[] cuts(FileChannel ch, long from, long to, int parts) throws IOException {
        long[] c = new long[parts + 1];
        c[0] = from;
        int k = 1;
        ByteBuffer b = ByteBuffer.allocate(1 << 16);
        for (int p = 1; p < parts; p++) {
            long at = Math.max(c[k - 1], from + (to - from) * p / parts);
            long cut = -1;
            for (long pos = at; pos < to && cut < 0; pos += b.limit()) {
                b.clear();
                if (ch.read(b, pos) <= 0) break;
                b.flip();
                for (int j = 0; j < b.limit(); j++) if (b.get(j) == '\n') { cut = pos + j + 1; break; }
            }
            if (cut < 0 || cut >= to) break;
            if (cut > c[k - 1]) c[k++] = cut;
        }
        c[k++] = to;
        return Arrays.copyOf(c, k);
    }

    /** Concatenates the ranges in file order, renumbering each range's ids into the first range's vocabularies. */
    private static RawInteractions merge(String sourceName, RangeParser[] parts, boolean hadHeader) {
        RangeParser first = parts[0];
        long total = 0;
        for (RangeParser rp : parts) total += rp.n;
        if (total == 0) throw new DataFormatException(sourceName + ": no data rows" + (hadHeader ? " (only a header)" : " (empty file)"));
        if (total > Integer.MAX_VALUE - 8) throw new DataFormatException(sourceName + ": more than 2^31 rows are not supported");
        int n = (int) total;
        if (parts.length == 1) return new RawInteractions(sourceName, first.userVocab, first.itemVocab, first.u, first.i, first.t, first.n);
        int[] users = Arrays.copyOf(first.u, n), items = Arrays.copyOf(first.i, n);
        long[] times = first.t == null ? null : Arrays.copyOf(first.t, n);
        int at = first.n;
        for (int k = 1; k < parts.length; k++) {
            RangeParser rp = parts[k];
            // a range's local ids are in its own first-appearance order, so appending the new ones keeps the
            // global first-appearance order
            int[] umap = new int[rp.userVocab.size()], imap = new int[rp.itemVocab.size()];
            for (int j = 0; j < umap.length; j++) umap[j] = first.userVocab.add(rp.userVocab.id(j));
            for (int j = 0; j < imap.length; j++) imap[j] = first.itemVocab.add(rp.itemVocab.id(j));
            for (int r = 0; r < rp.n; r++) {
                users[at + r] = umap[rp.u[r]];
                items[at + r] = imap[rp.i[r]];
            }
            if (times != null) System.arraycopy(rp.t, 0, times, at, rp.n);
            at += rp.n;
            parts[k] = null;
        }
        return new RawInteractions(sourceName, first.userVocab, first.itemVocab, users, items, times, n);
    }

    private ColumnSpec resolve(String[] header, String file) {
        return spec.resolve(Arrays.asList(header), file);
    }

    private static void checkHeaderWidth(String file, long line, int n, int expected, ColumnSpec s) {
        if (n != expected) throw DataFormatException.at(file, line, "header has " + n + " fields, expected " + expected);
        if (n < s.minFields()) throw DataFormatException.at(file, line, "header has " + n + " fields, too few for " + s);
    }

    private static String[] headerFields(FieldSplitter sp, int n) {
        String[] h = new String[n];
        for (int k = 0; k < n; k++) h[k] = sp.text(k);
        if (n > 0 && h[0].startsWith("\uFEFF")) h[0] = h[0].substring(1); // UTF-8 byte order mark
        return h;
    }

    private List<String> names() {
        List<String> out = new ArrayList<>();
        for (URI u : locations) out.add(displayName(u));
        return out;
    }

    static String displayName(URI uri) {
        return "file".equals(uri.getScheme()) ? Paths.get(uri).toString() : uri.toString();
    }

    private InputStream open(URI uri) {
        try {
            if ("file".equals(uri.getScheme())) return Files.newInputStream(Paths.get(uri));
            if (streamCreatorFn != null) return streamCreatorFn.apply(uri);
            return uri.toURL().openStream();
        } catch (IOException e) {
            throw new DataFormatException(displayName(uri) + ": cannot open: " + e.getMessage(), e);
        }
    }

    // ---------------------------------------------------------------- DataVec record path

    @Override
    public boolean hasNext() {
        if (ready) return true;
        while (true) {
            if (lines == null) {
                if (fileIndex + 1 >= locations.length) return false;
                fileIndex++;
                lines = new LineSource(open(locations[fileIndex]), displayName(locations[fileIndex]), 1 << 16);
                if (splitter == null) splitter = new FieldSplitter(spec.delimiter(), quoted);
            }
            while (lines.next()) {
                if (lines.blank()) continue;
                // the header is "the first non-blank line of a file"; only the first file's is delivered
                boolean headerLine = spec.hasHeader() && !headerSeenInFile;
                headerSeenInFile = true;
                if (headerLine && headerDelivered) continue;
                if (headerLine) headerDelivered = true;
                ready = true;
                return true;
            }
            lines.close();
            lines = null;
            headerSeenInFile = false;
        }
    }

    private boolean headerSeenInFile;

    @Override
    public List<Writable> next() {
        return nextRecord().getRecord();
    }

    @Override
    public Record nextRecord() {
        if (!hasNext()) throw new NoSuchElementException("no more ratings records");
        ready = false;
        FieldSplitter sp = splitter;
        int n = sp.split(lines.buffer(), lines.start(), lines.end());
        if (n < 0) throw DataFormatException.at(lines.fileName(), lines.lineNumber(), "unterminated quoted field or text after a closing quote");
        List<Writable> out = new ArrayList<>(n);
        for (int k = 0; k < n; k++) {
            String t = sp.text(k);
            if (k == 0 && lines.lineNumber() == 1 && t.startsWith("\uFEFF")) t = t.substring(1);
            out.add(new Text(t));
        }
        RecordMetaData meta = new RecordMetaDataLine((int) (lines.lineNumber() - 1), locations[fileIndex], RatingsRecordReader.class);
        Record r = new org.datavec.api.records.impl.Record(out, meta);
        invokeListeners(out);
        return r;
    }

    @Override
    public List<List<Writable>> next(int num) {
        List<List<Writable>> out = new ArrayList<>(num);
        while (out.size() < num && hasNext()) out.add(next());
        return out;
    }

    @Override public boolean batchesSupported() { return true; }

    @Override public List<String> getLabels() { return null; }

    @Override
    public void reset() {
        close();
        fileIndex = -1;
        headerDelivered = false;
        headerSeenInFile = false;
        ready = false;
    }

    @Override public boolean resetSupported() { return true; }

    /** Parses the first non-blank line of {@code stream} as one record. */
    @Override
    public List<Writable> record(URI uri, DataInputStream stream) {
        try (LineSource in = new LineSource(stream, uri == null ? "stream" : displayName(uri), 1 << 12)) {
            FieldSplitter sp = new FieldSplitter(spec.delimiter(), quoted);
            while (in.next()) {
                if (in.blank()) continue;
                int n = sp.split(in.buffer(), in.start(), in.end());
                if (n < 0) throw DataFormatException.at(in.fileName(), in.lineNumber(), "unterminated quoted field");
                List<Writable> out = new ArrayList<>(n);
                for (int k = 0; k < n; k++) out.add(new Text(sp.text(k)));
                return out;
            }
        }
        throw new DataFormatException((uri == null ? "stream" : displayName(uri)) + ": no record in stream");
    }

    @Override
    public Record loadFromMetaData(RecordMetaData recordMetaData) {
        return loadFromMetaData(List.of(recordMetaData)).get(0);
    }

    @Override
    public List<Record> loadFromMetaData(List<RecordMetaData> list) {
        List<Record> out = new ArrayList<>(list.size());
        for (RecordMetaData m : list) {
            if (!(m instanceof RecordMetaDataLine ml)) throw new IllegalArgumentException("not line metadata: " + m);
            try (LineSource in = new LineSource(open(ml.getURI()), displayName(ml.getURI()), 1 << 16)) {
                FieldSplitter sp = new FieldSplitter(spec.delimiter(), quoted);
                boolean found = false;
                while (in.next()) {
                    if (in.lineNumber() - 1 != ml.getLineNumber()) continue;
                    int n = sp.split(in.buffer(), in.start(), in.end());
                    List<Writable> rec = new ArrayList<>(Math.max(n, 0));
                    for (int k = 0; k < n; k++) rec.add(new Text(sp.text(k)));
                    out.add(new org.datavec.api.records.impl.Record(rec, m));
                    found = true;
                    break;
                }
                if (!found) throw new DataFormatException(displayName(ml.getURI()) + ": no line " + (ml.getLineNumber() + 1));
            }
        }
        return out;
    }

    @Override
    public void close() {
        if (lines != null) {
            lines.close();
            lines = null;
        }
    }

    @Override public void setConf(Configuration conf) { this.conf = conf; }

    @Override public Configuration getConf() { return conf; }

    public ColumnSpec spec() { return spec; }
}
