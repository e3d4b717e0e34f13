package io.ncf.data;

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
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;

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
     * Ids are interned from the bytes; a String is created once per distinct id.
     */
    public RawInteractions readAll(String sourceName) {
        if (locations.length == 0) throw new IllegalStateException("initialize the reader first");
        RawInteractions raw = new RawInteractions(sourceName, spec.hasTimestamp(), new IdVocabulary(), new IdVocabulary(), 1 << 16);
        ByteInterner users = new ByteInterner(raw.userIds());
        ByteInterner items = new ByteInterner(raw.itemIds());
        FieldSplitter sp = new FieldSplitter(spec.delimiter(), quoted);
        ColumnSpec s = spec.hasHeader() ? null : spec;
        String[] header = null;
        int expected = fieldCount;
        int lastUser = -1;
        for (URI uri : locations) {
            String file = displayName(uri);
            boolean headerPending = spec.hasHeader();
            try (LineSource in = new LineSource(open(uri), file, BUFFER)) {
                while (in.next()) {
                    if (in.blank()) continue;
                    byte[] b = in.buffer();
                    long line = in.lineNumber();
                    int n = sp.split(b, in.start(), in.end());
                    if (n < 0) throw DataFormatException.at(file, line, "unterminated quoted field or text after a closing quote");
                    if (headerPending) {
                        headerPending = false;
                        String[] h = headerFields(sp, n);
                        if (header == null) {
                            header = h;
                            s = resolve(h, file);
                            if (expected == 0) expected = n;
                            checkHeaderWidth(file, line, n, expected, s);
                        } else if (!Arrays.equals(h, header)) {
                            throw DataFormatException.at(file, line, "header differs from the first file's: "
                                    + String.join(",", h) + " vs " + String.join(",", header));
                        }
                        continue;
                    }
                    if (expected == 0) {
                        expected = n;
                        if (n < s.minFields()) throw DataFormatException.at(file, line, "expected at least " + s.minFields()
                                + " fields for " + s + ", found " + n);
                    }
                    if (n != expected) throw DataFormatException.at(file, line, "expected " + expected + " fields, found " + n);
                    int uc = s.userColumn(), ic = s.itemColumn(), tc = s.timestampColumn();
                    if (sp.isEmpty(uc)) throw DataFormatException.atField(file, line, uc, s.fieldName(uc, header), "empty user id");
                    if (sp.isEmpty(ic)) throw DataFormatException.atField(file, line, ic, s.fieldName(ic, header), "empty item id");
                    // rows of one user usually come together: skip the hash lookup when the user repeats
                    byte[] us = sp.source(uc);
                    int u = lastUser >= 0 && users.equals(lastUser, us, sp.start(uc), sp.end(uc))
                            ? lastUser : users.intern(us, sp.start(uc), sp.end(uc));
                    lastUser = u;
                    int i = items.intern(sp.source(ic), sp.start(ic), sp.end(ic));
                    long t = 0;
                    if (tc >= 0) {
                        t = sp.parseLong(tc);
                        if (t == Long.MIN_VALUE) throw DataFormatException.atField(file, line, tc, s.fieldName(tc, header),
                                "'" + sp.text(tc) + "' is not an integer");
                    }
                    raw.add(u, i, t);
                }
            }
        }
        if (raw.size() == 0) throw new DataFormatException(String.join(", ", names()) + ": no data rows"
                + (header != null ? " (only a header)" : " (empty file)"));
        return raw;
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
