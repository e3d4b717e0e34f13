package io.ncf.data;

import io.ncf.core.IdVocabulary;
import io.ncf.core.UserItemIndex;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;
import java.util.zip.CRC32;

/**
 * A preprocessed dataset on disk, so the preprocessing runs once. A versioned directory:
 * <pre>
 *   dataset.properties   format name and version, counts, DatasetInfo, each file's byte size and CRC32
 *   train.bin            trainUsers[], trainItems[]
 *   test.bin             testItems[]
 *   candidates.bin       candidate users[], items[] (+ negatives per user)
 *   seen.bin             seen offsets[], items[]
 *   users.vocab, items.vocab   original ids, UTF-8, length-prefixed (any string round-trips)
 * </pre>
 * Binary files are little-endian: an 8-byte magic, an int32 version, then arrays as (int64 length, elements).
 * Loading maps each file, checks size, checksum, magic and version, and copies the arrays out in bulk.
 * {@link #save} writes a temporary sibling directory and moves it into place, so a reader never sees a
 * half-written dataset and an existing one is replaced only after the new one is complete.
 */
public final class DatasetStore {

    public static final String FORMAT = "ncf-dataset";
    public static final int VERSION = 1;
    public static final String PROPERTIES = "dataset.properties";

    private static final String TRAIN = "train.bin", TEST = "test.bin", CANDIDATES = "candidates.bin", SEEN = "seen.bin",
            USERS = "users.vocab", ITEMS = "items.vocab";
    private static final int HEADER = 12;

    private DatasetStore() {}

    /** True if {@code dir} looks like a stored dataset (has its properties file). */
    public static boolean exists(Path dir) { return Files.isRegularFile(dir.resolve(PROPERTIES)); }

    // ------------------------------------------------------------------ save

    public static void save(NcfDataset ds, Path dir) { save(ds, dir, () -> {}); }

    /** {@code beforeMove} runs once every file is written, just before the move into place (a seam for tests). */
    static void save(NcfDataset ds, Path dir, Runnable beforeMove) {
        Path target = dir.toAbsolutePath().normalize();
        Path parent = target.getParent();
        Path tmp = null;
        try {
            Files.createDirectories(parent);
            if (Files.exists(target) && !Files.isDirectory(target))
                throw new DatasetException(target + ": exists and is not a directory; refusing to replace it");
            if (Files.isDirectory(target) && !exists(target) && !isEmpty(target))
                throw new DatasetException(target + ": exists, is not empty and holds no " + PROPERTIES
                        + "; refusing to replace a directory that is not an ncf dataset");
            tmp = Files.createTempDirectory(parent, "." + target.getFileName() + ".tmp-");
            Properties p = new Properties();
            p.setProperty("format", FORMAT);
            p.setProperty("version", Integer.toString(VERSION));
            p.setProperty("numUsers", Integer.toString(ds.numUsers()));
            p.setProperty("numItems", Integer.toString(ds.numItems()));
            p.setProperty("trainSize", Integer.toString(ds.trainSize()));
            p.setProperty("candidateUsers", Integer.toString(ds.candidates().numUsers()));
            p.setProperty("negativesPerUser", Integer.toString(ds.candidates().negativesPerUser()));
            p.setProperty("seenSize", Long.toString(ds.seen().size()));
            NcfDataset.DatasetInfo info = ds.info();
            p.setProperty("info.source", info.source());
            p.setProperty("info.minRatings", Integer.toString(info.minRatings()));
            p.setProperty("info.validNegative", Integer.toString(info.validNegative()));
            p.setProperty("info.seed", Long.toString(info.seed()));
            p.setProperty("info.rawRows", Long.toString(info.rawRows()));
            p.setProperty("info.droppedUsers", Integer.toString(info.droppedUsers()));
            p.setProperty("info.duplicatePairs", Long.toString(info.duplicatePairs()));

            record(p, TRAIN, writeInts(tmp.resolve(TRAIN), "NCFTRAIN", ds.trainUsers(), ds.trainItems()));
            record(p, TEST, writeInts(tmp.resolve(TEST), "NCFTEST_", ds.testItems()));
            record(p, CANDIDATES, writeInts(tmp.resolve(CANDIDATES), "NCFCANDS",
                    new int[]{ds.candidates().negativesPerUser()}, ds.candidates().users(), ds.candidates().items()));
            record(p, SEEN, writeInts(tmp.resolve(SEEN), "NCFSEEN_", ds.seen().offsetsArray(), ds.seen().itemsArray()));
            record(p, USERS, writeVocab(tmp.resolve(USERS), ds.userIds()));
            record(p, ITEMS, writeVocab(tmp.resolve(ITEMS), ds.itemIds()));
            // the properties go last: a directory without them is never taken for a dataset
            try (OutputStream out = Files.newOutputStream(tmp.resolve(PROPERTIES))) {
                p.store(out, "ncf preprocessed dataset; binary files are little-endian, see DatasetStore");
            }
            fsync(tmp.resolve(PROPERTIES));
            beforeMove.run();
            moveIntoPlace(tmp, target);
            tmp = null;
        } catch (IOException e) {
            throw new DatasetException(target + ": cannot save dataset: " + e, e);
        } finally {
            if (tmp != null) deleteTree(tmp);
        }
    }

    private static void moveIntoPlace(Path tmp, Path target) throws IOException {
        if (!Files.exists(target)) {
            move(tmp, target);
            return;
        }
        Path old = Files.createTempDirectory(target.getParent(), "." + target.getFileName() + ".old-");
        Files.delete(old);
        move(target, old);
        try {
            move(tmp, target);
        } catch (IOException | RuntimeException e) {
            move(old, target); // put the previous dataset back
            throw e;
        }
        deleteTree(old);
    }

    /** Best effort: a leftover temporary or replaced dataset directory. */
    private static void deleteTree(Path root) {
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }

    private static void record(Properties p, String file, long[] sizeAndCrc) {
        p.setProperty("file." + file + ".bytes", Long.toString(sizeAndCrc[0]));
        p.setProperty("file." + file + ".crc32", Long.toHexString(sizeAndCrc[1]));
    }

    /** Writes magic, version, then each array as (int64 length, int32 elements); returns {size, crc32}. */
    private static long[] writeInts(Path file, String magic, int[]... arrays) throws IOException {
        try (Writer w = new Writer(file, magic)) {
            for (int[] a : arrays) {
                w.putLong(a.length);
                w.putInts(a);
            }
            return w.finish();
        }
    }

    private static long[] writeVocab(Path file, IdVocabulary vocab) throws IOException {
        try (Writer w = new Writer(file, "NCFVOCAB")) {
            w.putLong(vocab.size());
            for (String id : vocab.ids()) {
                byte[] b = id.getBytes(StandardCharsets.UTF_8);
                w.putInt(b.length);
                w.putBytes(b);
            }
            return w.finish();
        }
    }

    /** Buffered little-endian writer that checksums everything it writes. */
    private static final class Writer implements AutoCloseable {
        private final FileChannel ch;
        private final ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        private final CRC32 crc = new CRC32();
        private long size;

        Writer(Path file, String magic) throws IOException {
            ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            putBytes(magic.getBytes(StandardCharsets.US_ASCII));
            putInt(VERSION);
        }

        void putInt(int v) throws IOException { room(4); buf.putInt(v); }

        void putLong(long v) throws IOException { room(8); buf.putLong(v); }

        void putBytes(byte[] b) throws IOException {
            int off = 0;
            while (off < b.length) {
                room(1);
                int n = Math.min(buf.remaining(), b.length - off);
                buf.put(b, off, n);
                off += n;
            }
        }

        void putInts(int[] a) throws IOException {
            int off = 0;
            while (off < a.length) {
                room(4);
                int n = Math.min(buf.remaining() / 4, a.length - off);
                IntBuffer view = buf.asIntBuffer();
                view.put(a, off, n);
                buf.position(buf.position() + 4 * n);
                off += n;
            }
        }

        private void room(int n) throws IOException { if (buf.remaining() < n) flush(); }

        private void flush() throws IOException {
            buf.flip();
            crc.update(buf.duplicate());
            size += buf.remaining();
            while (buf.hasRemaining()) ch.write(buf);
            buf.clear();
        }

        long[] finish() throws IOException {
            flush();
            ch.force(true);
            return new long[]{size, crc.getValue()};
        }

        @Override public void close() throws IOException { ch.close(); }
    }

    private static void fsync(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }

    // ------------------------------------------------------------------ load

    public static NcfDataset load(Path dir) {
        if (!Files.isDirectory(dir)) throw new DatasetException(dir + ": no dataset here (not a directory)");
        Path propsFile = dir.resolve(PROPERTIES);
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(propsFile)) {
            p.load(in);
        } catch (NoSuchFileException e) {
            throw new DatasetException(dir + ": missing " + PROPERTIES + ": not an ncf dataset directory");
        } catch (IOException | IllegalArgumentException e) {
            throw new DatasetException(propsFile + ": unreadable: " + e.getMessage(), e);
        }
        if (!FORMAT.equals(p.getProperty("format")))
            throw new DatasetException(propsFile + ": format is '" + p.getProperty("format") + "', expected '" + FORMAT + "'");
        int version = intProp(p, propsFile, "version");
        if (version != VERSION)
            throw new DatasetException(propsFile + ": dataset version " + version + ", this build reads version " + VERSION
                    + "; prepare the dataset again");
        int numUsers = intProp(p, propsFile, "numUsers");
        int numItems = intProp(p, propsFile, "numItems");
        int trainSize = intProp(p, propsFile, "trainSize");
        int candUsers = intProp(p, propsFile, "candidateUsers");
        int negatives = intProp(p, propsFile, "negativesPerUser");
        long seenSize = longProp(p, propsFile, "seenSize");

        List<int[]> train = readInts(dir, p, TRAIN, "NCFTRAIN", new long[]{trainSize, trainSize});
        List<int[]> test = readInts(dir, p, TEST, "NCFTEST_", new long[]{numUsers});
        List<int[]> cand = readInts(dir, p, CANDIDATES, "NCFCANDS", new long[]{1, candUsers, (long) candUsers * (1 + negatives)});
        List<int[]> seen = readInts(dir, p, SEEN, "NCFSEEN_", new long[]{numUsers + 1L, seenSize});
        IdVocabulary users = readVocab(dir, p, USERS, numUsers);
        IdVocabulary items = readVocab(dir, p, ITEMS, numItems);
        if (cand.get(0)[0] != negatives)
            throw new DatasetException(dir.resolve(CANDIDATES) + ": " + cand.get(0)[0] + " negatives per user, properties say " + negatives);
        NcfDataset.DatasetInfo info = new NcfDataset.DatasetInfo(p.getProperty("info.source", ""),
                intProp(p, propsFile, "info.minRatings"), intProp(p, propsFile, "info.validNegative"),
                longProp(p, propsFile, "info.seed"), longProp(p, propsFile, "info.rawRows"),
                intProp(p, propsFile, "info.droppedUsers"), longProp(p, propsFile, "info.duplicatePairs"));
        try {
            return new NcfDataset(numUsers, numItems, train.get(0), train.get(1), test.get(0),
                    new EvalCandidates(cand.get(1), cand.get(2), negatives), new UserItemIndex(seen.get(0), seen.get(1)),
                    users, items, info);
        } catch (IllegalArgumentException e) {
            throw new DatasetException(dir + ": inconsistent dataset: " + e.getMessage(), e);
        }
    }

    private static int intProp(Properties p, Path file, String key) {
        long v = longProp(p, file, key);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) throw new DatasetException(file + ": " + key + " out of range: " + v);
        return (int) v;
    }

    private static long longProp(Properties p, Path file, String key) {
        String s = p.getProperty(key);
        if (s == null) throw new DatasetException(file + ": missing property '" + key + "'");
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            throw new DatasetException(file + ": property '" + key + "' is not an integer: '" + s + "'");
        }
    }

    /** Maps a file and checks its size, CRC32, magic and version against the properties. */
    private static ByteBuffer open(Path dir, Properties p, String name, String magic) {
        Path file = dir.resolve(name);
        Path propsFile = dir.resolve(PROPERTIES);
        long expectedSize = longProp(p, propsFile, "file." + name + ".bytes");
        String crcText = p.getProperty("file." + name + ".crc32");
        if (crcText == null) throw new DatasetException(propsFile + ": missing property 'file." + name + ".crc32'");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size != expectedSize)
                throw new DatasetException(file + ": " + size + " bytes, expected " + expectedSize + (size < expectedSize ? " (truncated)" : ""));
            if (size < HEADER) throw new DatasetException(file + ": too short for a header (" + size + " bytes)");
            if (size > Integer.MAX_VALUE) throw new DatasetException(file + ": larger than 2 GB, not supported by this version");
            MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
            CRC32 crc = new CRC32();
            crc.update(m.duplicate());
            long want;
            try {
                want = Long.parseLong(crcText.trim(), 16);
            } catch (NumberFormatException e) {
                throw new DatasetException(propsFile + ": bad checksum '" + crcText + "' for " + name);
            }
            if (crc.getValue() != want)
                throw new DatasetException(file + ": checksum mismatch (CRC32 " + Long.toHexString(crc.getValue()) + ", expected "
                        + Long.toHexString(want) + "): the file is corrupted or belongs to another dataset");
            m.order(ByteOrder.LITTLE_ENDIAN);
            byte[] head = new byte[8];
            m.get(head);
            String found = new String(head, StandardCharsets.ISO_8859_1);
            if (!found.equals(magic)) throw new DatasetException(file + ": not an ncf " + name + " file (magic '" + printable(found) + "', expected '" + magic + "')");
            int v = m.getInt();
            if (v != VERSION) throw new DatasetException(file + ": file version " + v + ", this build reads version " + VERSION);
            return m;
        } catch (NoSuchFileException e) {
            throw new DatasetException(file + ": missing from the dataset directory");
        } catch (IOException e) {
            throw new DatasetException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) b.append(c >= 32 && c < 127 ? c : '?');
        return b.toString();
    }

    private static List<int[]> readInts(Path dir, Properties p, String name, String magic, long[] lengths) {
        ByteBuffer m = open(dir, p, name, magic);
        Path file = dir.resolve(name);
        List<int[]> out = new ArrayList<>(lengths.length);
        for (long want : lengths) {
            if (m.remaining() < 8) throw new DatasetException(file + ": ends before array " + (out.size() + 1));
            long len = m.getLong();
            if (len != want) throw new DatasetException(file + ": array " + (out.size() + 1) + " has " + len + " entries, expected " + want);
            if (m.remaining() < len * 4) throw new DatasetException(file + ": array " + (out.size() + 1) + " is cut short");
            int[] a = new int[(int) len];
            m.asIntBuffer().get(a);
            m.position(m.position() + (int) len * 4);
            out.add(a);
        }
        if (m.hasRemaining()) throw new DatasetException(file + ": " + m.remaining() + " unexpected trailing bytes");
        return out;
    }

    private static IdVocabulary readVocab(Path dir, Properties p, String name, int expected) {
        ByteBuffer m = open(dir, p, name, "NCFVOCAB");
        Path file = dir.resolve(name);
        long n = m.getLong();
        if (n != expected) throw new DatasetException(file + ": " + n + " ids, expected " + expected);
        List<String> ids = new ArrayList<>(expected);
        byte[] b = new byte[64];
        for (int k = 0; k < n; k++) {
            if (m.remaining() < 4) throw new DatasetException(file + ": ends at id " + k);
            int len = m.getInt();
            if (len < 0 || len > m.remaining()) throw new DatasetException(file + ": bad length " + len + " at id " + k);
            if (b.length < len) b = new byte[Math.max(len, b.length * 2)];
            m.get(b, 0, len);
            ids.add(new String(b, 0, len, StandardCharsets.UTF_8));
        }
        if (m.hasRemaining()) throw new DatasetException(file + ": " + m.remaining() + " unexpected trailing bytes");
        try {
            return IdVocabulary.of(ids);
        } catch (IllegalArgumentException e) {
            throw new DatasetException(file + ": " + e.getMessage(), e);
        }
    }

}
