package io.ncf.model;

import io.ncf.core.NeuMFConfig;
import io.ncf.core.ParamShapes;
import io.ncf.core.ModelFileException;

import io.ncf.core.AtomicFiles;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * The checkpoint file: one NeuMF config, a string metadata map and named sections, each a {@link ParamSet}
 * ("params", "adam_m", "adam_v", ...).
 *
 * <p>Layout, all little-endian:
 * <pre>
 *   magic "NCFMODEL" (8 bytes), int format version
 *   config: int numUsers, int numItems, int factors, int layerCount, int[layerCount] layers, float dropout
 *   int metaCount, then metaCount × (string key, string value)
 *   int sectionCount, then per section: string name, int tensorCount,
 *       tensorCount × (string name, int rank, long[rank] shape, float[product(shape)] data)
 *   int CRC32 of every preceding byte
 * </pre>
 * A string is an int byte length and UTF-8 bytes. Tensors appear in {@link ParamSet} order with its shapes,
 * and the reader insists on it, so a file can never be silently applied to a model of another shape.
 * Writes go to a temporary file in the target directory, are fsynced, then atomically renamed, so a crash
 * leaves either the old checkpoint or the new one.
 */
public final class ModelIO {

    static final byte[] MAGIC = "NCFMODEL".getBytes(StandardCharsets.US_ASCII);
    public static final int FORMAT_VERSION = 1;

    private static final int MAX_STRING_BYTES = 1 << 20;
    private static final int MAX_COUNT = 1 << 16;

    private ModelIO() {}

    /** A checkpoint read back: its config, metadata and sections (arrays owned by the caller). */
    public static final class Loaded {
        private final Path path;
        private final NeuMFConfig config;
        private final Map<String, String> meta;
        private final Map<String, ParamSet> sections;

        Loaded(Path path, NeuMFConfig config, Map<String, String> meta, Map<String, ParamSet> sections) {
            this.path = path;
            this.config = config;
            this.meta = Collections.unmodifiableMap(meta);
            this.sections = Collections.unmodifiableMap(sections);
        }

        public NeuMFConfig config() { return config; }

        public Map<String, String> meta() { return meta; }

        public List<String> sectionNames() { return List.copyOf(sections.keySet()); }

        public boolean hasSection(String name) { return sections.containsKey(name); }

        public ParamSet section(String name) throws ModelFileException {
            ParamSet p = sections.get(name);
            if (p == null) throw new ModelFileException("checkpoint " + path + " has no section '" + name + "' (it has " + sections.keySet() + ")");
            return p;
        }

        /** Refuses the checkpoint if it was made for another model shape; see {@link ModelIO#requireCompatible}. */
        public Loaded requireCompatible(NeuMFConfig expected) throws ModelFileException {
            ModelIO.requireCompatible(path, config, expected);
            return this;
        }
    }

    public static void write(Path file, NeuMFConfig config, Map<String, String> meta, Map<String, ParamSet> sections) throws IOException {
        for (var s : sections.entrySet())
            if (!s.getValue().config().equals(config) && !sameShape(s.getValue().config(), config))
                throw new IllegalArgumentException("section '" + s.getKey() + "' is for " + s.getValue().config() + ", not " + config);
        writeFile(file, config, meta, List.copyOf(sections.keySet()), (w, section, tensor) -> w.floats(sections.get(section).get(tensor)));
    }

    /**
     * The same file as {@link #write(Path, NeuMFConfig, Map, Map)} with one section whose tensors are given flat, in
     * {@link ParamShapes} order (each row-major): byte for byte what the ParamSet writer produces for those values.
     * Loads no ND4J class, so the GPU path can write checkpoints without ND4J's native libraries.
     */
    public static void writeFlat(Path file, NeuMFConfig config, Map<String, String> meta, String section, float[] flat) throws IOException {
        writeFlat(file, config, meta, Map.of(section, flat));
    }

    /**
     * Several sections given flat (parameters and optimizer moments of a training state), in the map's order: the same
     * bytes as {@link #write(Path, NeuMFConfig, Map, Map)} for those values, without loading ND4J.
     */
    public static void writeFlat(Path file, NeuMFConfig config, Map<String, String> meta, Map<String, float[]> sections) throws IOException {
        long total = ParamShapes.totalLength(config);
        for (var e : sections.entrySet())
            if (e.getValue().length != total)
                throw new IllegalArgumentException("flat parameters of section '" + e.getKey() + "' have " + e.getValue().length + " values but " + config + " has " + total);
        Map<String, Long> offsets = new LinkedHashMap<>();
        long off = 0;
        for (var t : ParamShapes.of(config).entrySet()) {
            offsets.put(t.getKey(), off);
            off += ParamShapes.length(t.getValue());
        }
        Map<String, long[]> shapes = ParamShapes.of(config);
        writeFile(file, config, meta, List.copyOf(sections.keySet()), (w, s, tensor) -> w.floats(sections.get(s),
                Math.toIntExact(offsets.get(tensor)), Math.toIntExact(ParamShapes.length(shapes.get(tensor)))));
    }

    /** Writes one tensor's data of a section. */
    private interface TensorData { void write(CrcWriter w, String section, String tensor) throws IOException; }

    private static void writeFile(Path file, NeuMFConfig config, Map<String, String> meta, List<String> sections, TensorData data) throws IOException {
        AtomicFiles.write(file, ch -> {
            CrcWriter w = new CrcWriter(ch);
            w.bytes(MAGIC);
            w.i32(FORMAT_VERSION);
            writeConfig(w, config);
            w.i32(meta.size());
            for (var e : meta.entrySet()) {
                w.string(e.getKey());
                w.string(e.getValue());
            }
            w.i32(sections.size());
            Map<String, long[]> shapes = ParamShapes.of(config);
            for (String section : sections) {
                w.string(section);
                w.i32(shapes.size());
                for (var t : shapes.entrySet()) {
                    w.string(t.getKey());
                    w.i32(t.getValue().length);
                    for (long d : t.getValue()) w.i64(d);
                    data.write(w, section, t.getKey());
                }
            }
            w.finish();
        });
    }

    /** Convenience for the common case of one "params" section. */
    public static void write(Path file, ParamSet params, Map<String, String> meta) throws IOException {
        write(file, params.config(), meta, Map.of("params", params));
    }

    public static Loaded read(Path file) throws IOException {
        Map<String, ParamSet> sections = new LinkedHashMap<>();
        Header h = readSections(file, (r, config, name) -> {
            Map<String, INDArray> arrays = new LinkedHashMap<>();
            readTensors(r, config, name, (tn, shape, where) -> {
                INDArray a = Nd4j.createUninitialized(DataType.FLOAT, shape);
                r.floats(a, "data of " + tn + " in " + where);
                arrays.put(tn, a);
            });
            sections.put(name, ParamSet.of(config, arrays));
        });
        return new Loaded(file, h.config(), h.meta(), sections);
    }

    /** A checkpoint read into flat arrays ({@link ParamShapes} order), as the GPU path and the training state use it. */
    public record FlatLoaded(Path path, NeuMFConfig config, Map<String, String> meta, Map<String, float[]> sections) {
        public float[] section(String name) throws ModelFileException {
            float[] f = sections.get(name);
            if (f == null) throw new ModelFileException("checkpoint " + path + " has no section '" + name + "' (it has " + sections.keySet() + ")");
            return f;
        }
    }

    /** {@link #read} into flat float arrays: loads no ND4J class. */
    public static FlatLoaded readFlat(Path file) throws IOException {
        Map<String, float[]> sections = new LinkedHashMap<>();
        Header h = readSections(file, (r, config, name) -> {
            long total = ParamShapes.totalLength(config);
            if (total > Integer.MAX_VALUE - 8) throw r.error("holds " + total + " values per section: too many for one Java array");
            float[] flat = new float[(int) total];
            int[] off = {0};
            readTensors(r, config, name, (tn, shape, where) -> {
                int n = Math.toIntExact(ParamShapes.length(shape));
                r.floats(flat, off[0], n, "data of " + tn + " in " + where);
                off[0] += n;
            });
            sections.put(name, flat);
        });
        return new FlatLoaded(file, h.config(), Collections.unmodifiableMap(h.meta()), Collections.unmodifiableMap(sections));
    }

    private record Header(NeuMFConfig config, Map<String, String> meta) {}

    private interface SectionReader { void read(CrcReader r, NeuMFConfig config, String name) throws IOException; }

    private interface TensorReader { void read(String name, long[] shape, String where) throws IOException; }

    /** The file's structure, checked as it is read; each section's tensors go to {@code sections}. */
    private static Header readSections(Path file, SectionReader sections) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            CrcReader r = new CrcReader(file, ch);
            NeuMFConfig config = readHeader(r);
            Map<String, String> meta = new LinkedHashMap<>();
            int metaCount = r.count("metadata entry count");
            for (int i = 0; i < metaCount; i++) {
                String k = r.string("metadata key");
                meta.put(k, r.string("metadata value of '" + k + "'"));
            }
            java.util.Set<String> seen = new java.util.HashSet<>();
            int sectionCount = r.count("section count");
            for (int s = 0; s < sectionCount; s++) {
                String name = r.string("section name");
                if (!seen.add(name)) throw r.error("section '" + name + "' appears twice");
                sections.read(r, config, name);
            }
            r.finish();
            return new Header(config, meta);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new ModelFileException("checkpoint " + file + " does not exist", e);
        }
    }

    private static void readTensors(CrcReader r, NeuMFConfig config, String name, TensorReader tensor) throws IOException {
        Map<String, long[]> shapes = ParamShapes.of(config);
        int tensors = r.count("tensor count of section '" + name + "'");
        if (tensors != shapes.size())
            throw r.error("section '" + name + "' has " + tensors + " tensors but " + config + " has " + shapes.size());
        for (var expected : shapes.entrySet()) {
            String where = "section '" + name + "'";
            String tn = r.string("tensor name in " + where);
            if (!tn.equals(expected.getKey()))
                throw r.error(where + " has tensor '" + tn + "' where '" + expected.getKey() + "' belongs");
            int rank = r.i32("rank of " + tn);
            if (rank < 0 || rank > 8) throw r.error("tensor '" + tn + "' in " + where + " has rank " + rank);
            long[] shape = new long[rank];
            for (int d = 0; d < rank; d++) shape[d] = r.i64("shape of " + tn);
            if (!Arrays.equals(shape, expected.getValue()))
                throw r.error("tensor '" + tn + "' in " + where + " has shape " + Arrays.toString(shape) + " but "
                        + config + " needs " + Arrays.toString(expected.getValue()));
            tensor.read(tn, shape, where);
        }
    }

    /** Only the config, from the header (the checksum is not verified: this does not read the tensors). */
    public static NeuMFConfig readConfig(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return readHeader(new CrcReader(file, ch));
        } catch (java.nio.file.NoSuchFileException e) {
            throw new ModelFileException("checkpoint " + file + " does not exist", e);
        }
    }

    /**
     * Refuses a checkpoint whose model shape differs from what was asked for, naming the flag, e.g.
     * "checkpoint X has factors=64 but --factors 32 was given". Dropout is a training setting, not a shape,
     * and is not compared.
     */
    public static void requireCompatible(Path file, NeuMFConfig inFile, NeuMFConfig expected) throws ModelFileException {
        if (inFile.factors() != expected.factors())
            throw new ModelFileException("checkpoint " + file + " has factors=" + inFile.factors() + " but --factors " + expected.factors() + " was given");
        if (!Arrays.equals(inFile.layers(), expected.layers()))
            throw new ModelFileException("checkpoint " + file + " has layers=" + join(inFile.layers()) + " but --layers " + join(expected.layers()) + " was given");
        if (inFile.numUsers() != expected.numUsers() || inFile.numItems() != expected.numItems())
            throw new ModelFileException("checkpoint " + file + " was trained on " + inFile.numUsers() + " users × " + inFile.numItems()
                    + " items but the dataset has " + expected.numUsers() + " users × " + expected.numItems() + " items");
    }

    private static String join(int[] a) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < a.length; i++) b.append(i == 0 ? "" : " ").append(a[i]);
        return b.toString();
    }

    private static boolean sameShape(NeuMFConfig a, NeuMFConfig b) {
        return a.numUsers() == b.numUsers() && a.numItems() == b.numItems() && a.factors() == b.factors() && Arrays.equals(a.layers(), b.layers());
    }

    private static void writeConfig(CrcWriter w, NeuMFConfig c) throws IOException {
        w.i32(c.numUsers());
        w.i32(c.numItems());
        w.i32(c.factors());
        int[] layers = c.layers();
        w.i32(layers.length);
        for (int l : layers) w.i32(l);
        w.f32(c.dropout());
    }

    private static NeuMFConfig readHeader(CrcReader r) throws IOException {
        byte[] magic = r.bytes(MAGIC.length, "magic");
        if (!Arrays.equals(magic, MAGIC)) throw r.error("is not an ncf model file (bad magic)");
        int version = r.i32("format version");
        if (version != FORMAT_VERSION)
            throw r.error("has format version " + version + "; this build reads version " + FORMAT_VERSION);
        int users = r.i32("numUsers"), items = r.i32("numItems"), factors = r.i32("factors");
        int n = r.i32("layer count");
        if (n < 0 || n > 64) throw r.error("has an implausible layer count " + n);
        int[] layers = new int[n];
        for (int i = 0; i < n; i++) layers[i] = r.i32("layers");
        float dropout = r.f32("dropout");
        try {
            return new NeuMFConfig(users, items, factors, layers, dropout);
        } catch (IllegalArgumentException e) {
            throw r.error("has an invalid model config: " + e.getMessage());
        }
    }

    /** Little-endian view of an array's memory (copied if the array is not a plain FLOAT 'c' block). */
    private static ByteBuffer bytesOf(INDArray a) {
        INDArray c = a.dataType() == DataType.FLOAT && a.ordering() == 'c' && a.offset() == 0 && a.length() == a.data().length()
                ? a : a.castTo(DataType.FLOAT).dup('c');
        ByteBuffer b = c.data().asNio().duplicate().order(ByteOrder.nativeOrder());
        b.clear().limit((int) (c.length() * 4));
        return b;
    }

    private static final class CrcWriter {
        private final FileChannel ch;
        private final CRC32 crc = new CRC32();
        private final ByteBuffer buf = ByteBuffer.allocateDirect(1 << 16).order(ByteOrder.LITTLE_ENDIAN);

        CrcWriter(FileChannel ch) { this.ch = ch; }

        private void room(int n) throws IOException { if (buf.remaining() < n) flush(); }

        void i32(int v) throws IOException { room(4); buf.putInt(v); }

        void i64(long v) throws IOException { room(8); buf.putLong(v); }

        void f32(float v) throws IOException { room(4); buf.putFloat(v); }

        void bytes(byte[] b) throws IOException {
            for (int off = 0; off < b.length; ) {
                room(1);
                int n = Math.min(buf.remaining(), b.length - off);
                buf.put(b, off, n);
                off += n;
            }
        }

        void string(String s) throws IOException {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            if (b.length > MAX_STRING_BYTES) throw new IllegalArgumentException("string too long for a model file: " + b.length + " bytes");
            i32(b.length);
            bytes(b);
        }

        /** Little-endian floats {@code v[off, off+n)}. */
        void floats(float[] v, int off, int n) throws IOException {
            flush();
            for (int k = 0; k < n; ) {
                int m = Math.min(n - k, buf.capacity() / 4);
                buf.asFloatBuffer().put(v, off + k, m); // buf is little-endian
                buf.position(m * 4);
                flush();
                k += m;
            }
        }

        void floats(INDArray a) throws IOException {
            flush();
            ByteBuffer b = bytesOf(a);
            if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
                ByteBuffer le = ByteBuffer.allocateDirect(b.remaining()).order(ByteOrder.LITTLE_ENDIAN);
                le.asFloatBuffer().put(b.asFloatBuffer());
                b = le;
            }
            crc.update(b.duplicate());
            while (b.hasRemaining()) ch.write(b);
        }

        private void flush() throws IOException {
            buf.flip();
            crc.update(buf.duplicate());
            while (buf.hasRemaining()) ch.write(buf);
            buf.clear();
        }

        void finish() throws IOException {
            flush();
            ByteBuffer t = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) crc.getValue());
            t.flip();
            while (t.hasRemaining()) ch.write(t);
        }
    }

    private static final class CrcReader {
        private final Path file;
        private final FileChannel ch;
        private final long size;
        private final CRC32 crc = new CRC32();
        private final ByteBuffer buf = ByteBuffer.allocateDirect(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        private long consumed;

        CrcReader(Path file, FileChannel ch) throws IOException {
            this.file = file;
            this.ch = ch;
            this.size = ch.size();
            buf.limit(0);
        }

        ModelFileException error(String what) {
            return new ModelFileException("checkpoint " + file + " " + what);
        }

        private ModelFileException truncated(String what) {
            return new ModelFileException("checkpoint " + file + " is truncated: it ends at byte " + size + " while reading " + what);
        }

        /** Makes n bytes available in buf, all counted into the CRC as they are consumed. */
        private void need(int n, String what) throws IOException {
            if (buf.remaining() >= n) return;
            buf.compact();
            while (buf.position() < n) {
                if (ch.read(buf) < 0) {
                    buf.flip();
                    throw truncated(what);
                }
            }
            buf.flip();
        }

        private ByteBuffer take(int n, String what) throws IOException {
            need(n, what);
            ByteBuffer slice = buf.slice().order(ByteOrder.LITTLE_ENDIAN);
            slice.limit(n);
            crc.update(slice.duplicate());
            buf.position(buf.position() + n);
            consumed += n;
            return slice;
        }

        int i32(String what) throws IOException { return take(4, what).getInt(); }

        long i64(String what) throws IOException { return take(8, what).getLong(); }

        float f32(String what) throws IOException { return take(4, what).getFloat(); }

        int count(String what) throws IOException {
            int n = i32(what);
            if (n < 0 || n > MAX_COUNT) throw error("has an implausible " + what + " " + n + " at byte " + (consumed - 4));
            return n;
        }

        byte[] bytes(int n, String what) throws IOException {
            byte[] b = new byte[n];
            take(n, what).get(b);
            return b;
        }

        String string(String what) throws IOException {
            int n = i32("length of " + what);
            if (n < 0 || n > MAX_STRING_BYTES) throw error("has an implausible length " + n + " for " + what + " at byte " + (consumed - 4));
            if (consumed + n > size) throw truncated(what);
            return new String(bytes(n, what), StandardCharsets.UTF_8);
        }

        /** Reads n floats into {@code dst[off..]} (through the small buffer, counted into the CRC). */
        void floats(float[] dst, int off, int n, String what) throws IOException {
            if (consumed + 4L * n > size) throw truncated(what);
            for (int k = 0; k < n; ) {
                int m = Math.min(n - k, buf.capacity() / 4);
                take(4 * m, what).asFloatBuffer().get(dst, off + k, m); // take's slice is little-endian
                k += m;
            }
        }

        /** Reads the array's data straight into its memory: the bulk of the file moves without a Java copy. */
        void floats(INDArray a, String what) throws IOException {
            long bytes = a.length() * 4;
            if (consumed + bytes > size) throw truncated(what);
            ByteBuffer dst = a.data().asNio().duplicate().order(ByteOrder.nativeOrder());
            dst.clear().limit((int) bytes);
            int fromBuf = (int) Math.min(buf.remaining(), bytes);
            ByteBuffer head = buf.slice();
            head.limit(fromBuf);
            dst.put(head);
            buf.position(buf.position() + fromBuf);
            while (dst.hasRemaining()) if (ch.read(dst) < 0) throw truncated(what);
            dst.flip();
            crc.update(dst.duplicate());
            consumed += bytes;
            if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
                float[] v = new float[(int) a.length()];
                dst.order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
                a.data().setData(v);
            }
        }

        void finish() throws IOException {
            int expected = (int) crc.getValue();
            if (consumed + 4 > size) throw truncated("the checksum");
            need(4, "the checksum");
            int stored = buf.getInt();
            consumed += 4;
            if (consumed != size)
                throw error("has " + (size - consumed) + " unexpected bytes after the checksum (corrupted or not a checkpoint)");
            if (stored != expected)
                throw error(String.format("is corrupted: checksum %08x does not match its contents (%08x)", stored, expected));
        }
    }
}
