package io.ncf.serve;

import io.ncf.core.AtomicFiles;
import io.ncf.core.IdVocabulary;
import io.ncf.core.UserItemIndex;
import io.ncf.core.ModelFileException;
import io.ncf.core.NeuMFConfig;
import io.ncf.core.ParamShapes;

import java.io.BufferedReader;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * The servable model: one zip file holding everything a {@link Recommender} needs, and nothing from the trainer.
 *
 * <p>Entries (all binary numbers big-endian except the parameters, which are little-endian floats):
 * <pre>
 *   MANIFEST.properties  format=ncf-model-artifact, version, and per entry: sha256.NAME and size.NAME
 *   config.properties    numUsers, numItems, factors, layers (space separated), dropout
 *   metadata.properties  free-form provenance (epoch, hr, data source, ...)
 *   users.txt, items.txt original ids, one per line, line i = dense index i
 *   seen.bin             int numUsers, int count, int[numUsers+1] offsets, int[count] items (CSR, sorted rows)
 *   popularity.bin       int numItems, int[numItems] interaction counts (the fallback for unknown users)
 *   params.bin           every tensor of {@link ParamShapes#of} in that order, row-major little-endian float32
 * </pre>
 * The manifest is written last and read first; every entry's SHA-256 and size are checked as it is read, so a
 * corrupted or truncated file is refused with the entry named. The file is written to a temporary file in the
 * target directory, fsynced and renamed, so readers see the old artifact or the new one, never half of one.
 * "Seen" means every item the user interacted with (training positives and the held-out item).
 */
public final class ModelArtifact {

    public static final String FORMAT = "ncf-model-artifact";
    public static final int VERSION = 1;
    /** The artifact's name inside {@code ncf train --checkpoint-dir}. */
    public static final String FILE_NAME = "model.zip";

    static final String MANIFEST = "MANIFEST.properties", CONFIG = "config.properties", METADATA = "metadata.properties",
            USERS = "users.txt", ITEMS = "items.txt", SEEN = "seen.bin", POPULARITY = "popularity.bin", PARAMS = "params.bin";
    private static final List<String> REQUIRED = List.of(CONFIG, METADATA, USERS, ITEMS, SEEN, POPULARITY, PARAMS);

    private final NeuMFConfig config;
    private final float[] flat;
    private final IdVocabulary userIds, itemIds;
    private final UserItemIndex seen;
    private final int[] popularity;
    private final Map<String, String> metadata;

    /**
     * An artifact over flat parameters: every tensor of {@link ParamShapes} in order, row-major (shared, not copied).
     * ncf-model's {@code io.ncf.model.Artifacts} makes one from a trained ParamSet and its data set.
     */
    public ModelArtifact(NeuMFConfig config, float[] flatParams, IdVocabulary userIds, IdVocabulary itemIds, UserItemIndex seen, int[] popularity,
                         Map<String, String> metadata) {
        long want = ParamShapes.totalLength(config);
        if (flatParams.length != want) throw new IllegalArgumentException("parameters have " + flatParams.length + " floats, " + config + " needs " + want);
        checkParts(config, userIds, itemIds, seen, popularity);
        this.config = config;
        this.flat = flatParams;
        this.userIds = userIds;
        this.itemIds = itemIds;
        this.seen = seen;
        this.popularity = popularity;
        this.metadata = Map.copyOf(metadata);
    }

    private static void checkParts(NeuMFConfig config, IdVocabulary userIds, IdVocabulary itemIds, UserItemIndex seen, int[] popularity) {
        if (userIds.size() != config.numUsers() || itemIds.size() != config.numItems())
            throw new IllegalArgumentException("vocabularies have " + userIds.size() + " users × " + itemIds.size() + " items but the model has "
                    + config.numUsers() + " × " + config.numItems());
        if (seen.numUsers() != config.numUsers()) throw new IllegalArgumentException("seen index has " + seen.numUsers() + " users, model " + config.numUsers());
        if (popularity.length != config.numItems()) throw new IllegalArgumentException("popularity has " + popularity.length + " items, model " + config.numItems());
    }

    /** Interactions per item over every user's seen items. */
    public static int[] popularity(UserItemIndex seen, int numItems) {
        int[] pop = new int[numItems];
        int[] items = seen.itemsArray();
        for (int k = 0, n = (int) seen.size(); k < n; k++) pop[items[k]]++;
        return pop;
    }

    public NeuMFConfig config() { return config; }

    /**
     * The parameters as one array, every tensor of {@link ParamShapes} in order, row-major: what the scoring kernel
     * reads. Shared, not copied: do not modify it.
     */
    public float[] flatParams() { return flat; }

    public IdVocabulary userIds() { return userIds; }

    public IdVocabulary itemIds() { return itemIds; }

    public UserItemIndex seen() { return seen; }

    /** Interactions per dense item index; do not modify. */
    public int[] popularity() { return popularity; }

    public Map<String, String> metadata() { return metadata; }

    // ---------------------------------------------------------------------------------------------- writing

    public void write(Path file) throws IOException {
        write(file, config, metadata, userIds, itemIds, seen, popularity, out -> writeFloats(out, flat, 0, flat.length));
    }

    /**
     * Writes the artifact of flat parameters and its parts without making a {@code ModelArtifact} (no copy of the
     * vocabularies): byte for byte what {@link #write} writes for the same content.
     */
    public static void writeFlat(Path file, NeuMFConfig config, float[] flat, IdVocabulary userIds, IdVocabulary itemIds, UserItemIndex seen,
                                 int[] popularity, Map<String, String> metadata) throws IOException {
        if (flat.length != ParamShapes.totalLength(config))
            throw new IllegalArgumentException("flat parameters have " + flat.length + " values but " + config + " has " + ParamShapes.totalLength(config));
        checkParts(config, userIds, itemIds, seen, popularity);
        write(file, config, Map.copyOf(metadata), userIds, itemIds, seen, popularity, out -> writeFloats(out, flat, 0, flat.length));
    }

    private static void write(Path file, NeuMFConfig config, Map<String, String> metadata, IdVocabulary userIds, IdVocabulary itemIds,
                              UserItemIndex seen, int[] popularity, EntryWriter params) throws IOException {
        AtomicFiles.write(file, ch -> {
            ZipOutputStream zip = new ZipOutputStream(new BufferedOutputStream(java.nio.channels.Channels.newOutputStream(ch), 1 << 16));
            zip.setLevel(Deflater.BEST_SPEED);
            Map<String, String> digests = new TreeMap<>();
            entry(zip, CONFIG, digests, out -> out.write(properties(configProperties(config))));
            entry(zip, METADATA, digests, out -> out.write(properties(metadata)));
            entry(zip, USERS, digests, out -> writeIds(out, userIds));
            entry(zip, ITEMS, digests, out -> writeIds(out, itemIds));
            entry(zip, SEEN, digests, out -> {
                writeInts(out, new int[]{seen.numUsers(), (int) seen.size()}, 2);
                writeInts(out, seen.offsetsArray(), seen.numUsers() + 1);
                writeInts(out, seen.itemsArray(), (int) seen.size());
            });
            entry(zip, POPULARITY, digests, out -> {
                writeInts(out, new int[]{popularity.length}, 1);
                writeInts(out, popularity, popularity.length);
            });
            // float parameters barely compress: storing them saves most of the write time
            zip.setLevel(Deflater.NO_COMPRESSION);
            entry(zip, PARAMS, digests, params);
            Map<String, String> manifest = new LinkedHashMap<>();
            manifest.put("format", FORMAT);
            manifest.put("version", Integer.toString(VERSION));
            manifest.putAll(digests);
            zip.putNextEntry(new ZipEntry(MANIFEST));
            zip.write(properties(manifest));
            zip.closeEntry();
            zip.finish();
            zip.flush();
        });
    }

    private interface EntryWriter { void write(OutputStream out) throws IOException; }

    private static void entry(ZipOutputStream zip, String name, Map<String, String> digests, EntryWriter w) throws IOException {
        zip.putNextEntry(new ZipEntry(name));
        MessageDigest md = sha256();
        long[] size = {0};
        OutputStream counted = new FilterOutputStream(zip) {
            @Override public void write(int b) throws IOException { md.update((byte) b); size[0]++; out.write(b); }
            @Override public void write(byte[] b, int off, int len) throws IOException { md.update(b, off, len); size[0] += len; out.write(b, off, len); }
            @Override public void close() {}
        };
        w.write(counted);
        zip.closeEntry();
        digests.put("sha256." + name, HexFormat.of().formatHex(md.digest()));
        digests.put("size." + name, Long.toString(size[0]));
    }

    private static void writeIds(OutputStream out, IdVocabulary ids) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < ids.size(); i++) {
            String id = ids.id(i);
            if (id.indexOf('\n') >= 0 || id.indexOf('\r') >= 0) throw new IllegalArgumentException("id " + i + " contains a line break: '" + id + "'");
            b.append(id).append('\n');
            if (b.length() > 1 << 16) { out.write(b.toString().getBytes(StandardCharsets.UTF_8)); b.setLength(0); }
        }
        out.write(b.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Big-endian ints, one bulk copy per 64 KB rather than a stream call per int. */
    private static void writeInts(OutputStream out, int[] a, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(1 << 16);
        for (int off = 0; off < n; ) {
            int m = Math.min(n - off, b.capacity() / 4);
            b.clear();
            b.asIntBuffer().put(a, off, m);
            out.write(b.array(), 0, m * 4);
            off += m;
        }
    }

    private static void readInts(InputStream in, int[] dst, int n) throws IOException {
        byte[] buf = new byte[1 << 16];
        for (int off = 0; off < n; ) {
            int m = Math.min(n - off, buf.length / 4);
            if (in.readNBytes(buf, 0, m * 4) < m * 4) throw new java.io.EOFException();
            ByteBuffer.wrap(buf, 0, m * 4).asIntBuffer().get(dst, off, m);
            off += m;
        }
    }

    /** Little-endian floats {@code v[off, off+n)}, one bulk copy per 64 KB. */
    private static void writeFloats(OutputStream out, float[] v, int off, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        for (int k = 0; k < n; ) {
            int m = Math.min(n - k, b.capacity() / 4);
            b.clear();
            b.asFloatBuffer().put(v, off + k, m);
            out.write(b.array(), 0, m * 4);
            k += m;
        }
    }

    private static Map<String, String> configProperties(NeuMFConfig c) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("numUsers", Integer.toString(c.numUsers()));
        m.put("numItems", Integer.toString(c.numItems()));
        m.put("factors", Integer.toString(c.factors()));
        StringBuilder layers = new StringBuilder();
        for (int l : c.layers()) layers.append(layers.length() == 0 ? "" : " ").append(l);
        m.put("layers", layers.toString());
        m.put("dropout", Float.toString(c.dropout()));
        return m;
    }

    /** Sorted key=value lines (java.util.Properties escaping, no date comment, so equal content gives equal bytes). */
    private static byte[] properties(Map<String, String> m) throws IOException {
        Properties p = new Properties();
        p.putAll(m);
        java.io.StringWriter w = new java.io.StringWriter();
        p.store(w, null);
        List<String> lines = new ArrayList<>(Arrays.asList(w.toString().split("\n")));
        lines.removeIf(l -> l.startsWith("#"));
        lines.sort(null);
        return (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    // ---------------------------------------------------------------------------------------------- reading

    public static ModelArtifact read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new ModelFileException("model artifact " + file + " does not exist or is not a file");
        ZipFile zip;
        try {
            zip = new ZipFile(file.toFile());
        } catch (java.util.zip.ZipException e) {
            throw new ModelFileException("model artifact " + file + " is not a zip file (" + e.getMessage() + "); 'ncf train --checkpoint-dir' writes "
                    + FILE_NAME, e);
        }
        try (zip) {
            Reader r = new Reader(file, zip);
            Map<String, String> manifest = r.rawProperties(MANIFEST);
            if (!FORMAT.equals(manifest.get("format")))
                throw r.error("is not an ncf model artifact (" + MANIFEST + " has format=" + manifest.get("format") + ")");
            if (!Integer.toString(VERSION).equals(manifest.get("version")))
                throw r.error("has format version " + manifest.get("version") + "; this build reads version " + VERSION);
            r.manifest = manifest;
            Map<String, String> cfg = r.properties(CONFIG);
            NeuMFConfig config;
            try {
                String[] ls = cfg.getOrDefault("layers", "").trim().split(" +");
                int[] layers = new int[ls.length];
                for (int i = 0; i < ls.length; i++) layers[i] = Integer.parseInt(ls[i]);
                config = new NeuMFConfig(Integer.parseInt(cfg.get("numUsers")), Integer.parseInt(cfg.get("numItems")),
                        Integer.parseInt(cfg.get("factors")), layers, Float.parseFloat(cfg.get("dropout")));
            } catch (RuntimeException e) {
                throw r.error("has an invalid " + CONFIG + ": " + e.getMessage());
            }
            Map<String, String> meta = r.properties(METADATA);
            IdVocabulary users = r.ids(USERS, config.numUsers());
            IdVocabulary items = r.ids(ITEMS, config.numItems());
            UserItemIndex seen = r.seen(config);
            int[] popularity = r.popularity(config);
            float[] params = r.params(config);
            return new ModelArtifact(config, params, users, items, seen, popularity, meta);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }

    /** Reads entries, checking each one's SHA-256 and size against the manifest when it is fully read. */
    private static final class Reader {
        private final Path file;
        private final ZipFile zip;
        Map<String, String> manifest;

        Reader(Path file, ZipFile zip) { this.file = file; this.zip = zip; }

        ModelFileException error(String what) { return new ModelFileException("model artifact " + file + " " + what); }

        private interface Body<T> { T read(InputStream in) throws IOException; }

        private <T> T entry(String name, Body<T> body) throws IOException {
            ZipEntry e = zip.getEntry(name);
            if (e == null) throw error("has no entry '" + name + "'");
            String expected = manifest == null ? null : manifest.get("sha256." + name);
            if (manifest != null && expected == null) throw error("has no checksum for '" + name + "' in " + MANIFEST);
            MessageDigest md = sha256();
            long[] size = {0};
            T value;
            try (InputStream raw = zip.getInputStream(e);
                 InputStream in = new DigestInputStream(new BufferedInputStream(raw, 1 << 16), md) {
                     @Override public int read() throws IOException { int b = super.read(); if (b >= 0) size[0]++; return b; }
                     @Override public int read(byte[] b, int off, int len) throws IOException { int n = super.read(b, off, len); if (n > 0) size[0] += n; return n; }
                 }) {
                try {
                    value = body.read(in);
                } catch (java.io.EOFException ex) {
                    throw error("entry '" + name + "' is truncated (" + size[0] + " bytes)");
                } catch (java.util.zip.ZipException ex) {
                    throw error("entry '" + name + "' is corrupted: " + ex.getMessage());
                }
                if (in.read() >= 0) throw error("entry '" + name + "' has unexpected bytes after its data");
            } catch (java.util.zip.ZipException ex) {
                throw error("entry '" + name + "' is corrupted: " + ex.getMessage());
            }
            if (expected != null) {
                String actual = HexFormat.of().formatHex(md.digest());
                if (!actual.equals(expected))
                    throw error("is corrupted: entry '" + name + "' has SHA-256 " + actual + " but " + MANIFEST + " says " + expected);
                String expSize = manifest.get("size." + name);
                if (expSize != null && !expSize.equals(Long.toString(size[0])))
                    throw error("is corrupted: entry '" + name + "' has " + size[0] + " bytes but " + MANIFEST + " says " + expSize);
            }
            return value;
        }

        Map<String, String> rawProperties(String name) throws IOException {
            return entry(name, in -> {
                Properties p = new Properties();
                p.load(new InputStreamReader(in, StandardCharsets.UTF_8));
                Map<String, String> m = new TreeMap<>();
                for (String k : p.stringPropertyNames()) m.put(k, p.getProperty(k));
                return m;
            });
        }

        Map<String, String> properties(String name) throws IOException { return rawProperties(name); }

        IdVocabulary ids(String name, int expected) throws IOException {
            List<String> ids = entry(name, in -> {
                BufferedReader br = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16);
                List<String> out = new ArrayList<>(expected);
                for (String line; (line = br.readLine()) != null; ) out.add(line);
                return out;
            });
            if (ids.size() != expected) throw error("entry '" + name + "' has " + ids.size() + " ids but the model has " + expected);
            try {
                return IdVocabulary.of(ids);
            } catch (IllegalArgumentException e) {
                throw error("entry '" + name + "': " + e.getMessage());
            }
        }

        UserItemIndex seen(NeuMFConfig c) throws IOException {
            return entry(SEEN, in -> {
                int[] head = new int[2];
                readInts(in, head, 2);
                int users = head[0], count = head[1];
                if (users != c.numUsers() || count < 0) throw error("entry '" + SEEN + "' is for " + users + " users, the model has " + c.numUsers());
                int[] offsets = new int[users + 1];
                readInts(in, offsets, users + 1);
                int[] items = new int[count];
                readInts(in, items, count);
                for (int it : items)
                    if (it < 0 || it >= c.numItems()) throw error("entry '" + SEEN + "' has item " + it + " outside [0, " + c.numItems() + ")");
                if (offsets[0] != 0 || offsets[users] != count) throw error("entry '" + SEEN + "' has inconsistent offsets");
                for (int u = 0; u < users; u++) if (offsets[u + 1] < offsets[u]) throw error("entry '" + SEEN + "' has decreasing offsets at user " + u);
                return new UserItemIndex(offsets, items);
            });
        }

        int[] popularity(NeuMFConfig c) throws IOException {
            return entry(POPULARITY, in -> {
                int[] n = new int[1];
                readInts(in, n, 1);
                if (n[0] != c.numItems()) throw error("entry '" + POPULARITY + "' has " + n[0] + " items, the model has " + c.numItems());
                int[] p = new int[n[0]];
                readInts(in, p, n[0]);
                return p;
            });
        }

        float[] params(NeuMFConfig c) throws IOException {
            return entry(PARAMS, in -> {
                long total = ParamShapes.totalLength(c);
                float[] v = new float[Math.toIntExact(total)];
                byte[] buf = new byte[1 << 16];
                long at = 0;
                for (var s : ParamShapes.of(c).entrySet()) {
                    long n = 1;
                    for (long d : s.getValue()) n *= d;
                    int filled = 0;
                    while (filled < n) {
                        int want = (int) Math.min(buf.length, (n - filled) * 4);
                        int got = in.readNBytes(buf, 0, want);
                        if (got < want) throw error("entry '" + PARAMS + "' is truncated in tensor '" + s.getKey() + "'");
                        ByteBuffer.wrap(buf, 0, got).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v, (int) (at + filled), got / 4);
                        filled += got / 4;
                    }
                    at += n;
                }
                return v;
            });
        }
    }
}
