package io.ncf.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

class DatasetStoreTest {

    @TempDir Path dir;

    static void assertSameDataset(NcfDataset a, NcfDataset b) {
        assertEquals(a.numUsers(), b.numUsers());
        assertEquals(a.numItems(), b.numItems());
        assertArrayEquals(a.trainUsers(), b.trainUsers());
        assertArrayEquals(a.trainItems(), b.trainItems());
        assertArrayEquals(a.testItems(), b.testItems());
        assertArrayEquals(a.candidates().users(), b.candidates().users());
        assertArrayEquals(a.candidates().items(), b.candidates().items());
        assertEquals(a.candidates().negativesPerUser(), b.candidates().negativesPerUser());
        assertArrayEquals(a.seen().offsetsArray(), b.seen().offsetsArray());
        assertArrayEquals(a.seen().itemsArray(), b.seen().itemsArray());
        assertEquals(a.userIds(), b.userIds());
        assertEquals(a.itemIds(), b.itemIds());
        assertEquals(a.info(), b.info());
    }

    @Test
    void roundTripIncludingOddIds() {
        NcfDataset demo = DemoData.generate(1);
        Path store = dir.resolve("demo");
        DatasetStore.save(demo, store);
        assertTrue(DatasetStore.exists(store));
        assertSameDataset(demo, DatasetStore.load(store));

        // ids with delimiters, quotes, newlines, non-ASCII and the empty-looking ones round-trip
        RawInteractions raw = new RawInteractions("odd \"source\"\nname", true);
        String[] users = {"ü ser", "a,b", "line\nbreak", "😀"};
        String[] items = {"x\ty", "\"q\"", " ", "é", "z"};
        int t = 0;
        for (String u : users) for (String i : items) raw.add(u, i, t++);
        NcfDataset odd = new Preprocessor(new Preprocessor.Options(1, 0, 9)).run(raw);
        Path store2 = dir.resolve("odd");
        DatasetStore.save(odd, store2);
        assertSameDataset(odd, DatasetStore.load(store2));
    }

    @Test
    void atomicReplaceLeavesNoTemporaryDirectories() throws IOException {
        Path store = dir.resolve("ds");
        DatasetStore.save(DemoData.generate(1), store);
        NcfDataset second = DemoData.generate(2);
        DatasetStore.save(second, store);
        assertSameDataset(second, DatasetStore.load(store));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(store), s.toList(), "only the dataset directory remains");
        }
    }

    @Test
    void failedSaveKeepsTheOldDatasetAndCleansUp() throws IOException {
        Path store = dir.resolve("ds");
        NcfDataset first = DemoData.generate(1);
        DatasetStore.save(first, store);
        RuntimeException boom = new IllegalStateException("disk full (simulated)");
        assertSame(boom, assertThrows(IllegalStateException.class,
                () -> DatasetStore.save(DemoData.generate(2), store, () -> { throw boom; })));
        assertSameDataset(first, DatasetStore.load(store));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(store), s.toList(), "the temporary directory is removed");
        }
    }

    @Test
    void refusesToReplaceANonDatasetDirectory() throws IOException {
        Path victim = dir.resolve("home");
        Files.createDirectories(victim);
        Files.writeString(victim.resolve("precious.txt"), "keep me");
        DatasetException e = assertThrows(DatasetException.class, () -> DatasetStore.save(DemoData.generate(1), victim));
        assertTrue(e.getMessage().contains("not an ncf dataset"), e.getMessage());
        assertTrue(Files.exists(victim.resolve("precious.txt")));
    }

    private Path saved() {
        Path store = dir.resolve("ds");
        DatasetStore.save(DemoData.generate(1), store);
        return store;
    }

    private static String loadError(Path store) {
        return assertThrows(DatasetException.class, () -> DatasetStore.load(store)).getMessage();
    }

    @Test
    void truncatedFileIsRefused() throws IOException {
        Path store = saved();
        Path train = store.resolve("train.bin");
        try (RandomAccessFile f = new RandomAccessFile(train.toFile(), "rw")) {
            f.setLength(f.length() - 4);
        }
        String m = loadError(store);
        assertTrue(m.startsWith(train.toString()) && m.contains("(truncated)"), m);
    }

    @Test
    void corruptedByteIsRefused() throws IOException {
        Path store = saved();
        Path cand = store.resolve("candidates.bin");
        try (RandomAccessFile f = new RandomAccessFile(cand.toFile(), "rw")) {
            f.seek(f.length() / 2);
            int b = f.read();
            f.seek(f.length() / 2);
            f.write(b ^ 0x40);
        }
        String m = loadError(store);
        assertTrue(m.startsWith(cand.toString()) && m.contains("checksum mismatch"), m);
    }

    @Test
    void foreignFileIsRefused() throws IOException {
        Path store = saved();
        // a test.bin from another dataset: right name, wrong content
        Path other = dir.resolve("other");
        DatasetStore.save(DemoData.generate(2), other);
        Files.copy(other.resolve("seen.bin"), store.resolve("seen.bin"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        String m = loadError(store);
        assertTrue(m.startsWith(store.resolve("seen.bin").toString()), m);
    }

    @Test
    void wrongMagicIsRefusedEvenWithAMatchingChecksum() throws IOException {
        Path store = saved();
        // swap in test.bin's bytes under the name of train.bin and fix up the properties: the magic catches it
        Path props = store.resolve(DatasetStore.PROPERTIES);
        java.util.Properties p = new java.util.Properties();
        try (var in = Files.newInputStream(props)) { p.load(in); }
        Files.copy(store.resolve("test.bin"), store.resolve("train.bin"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        p.setProperty("file.train.bin.bytes", p.getProperty("file.test.bin.bytes"));
        p.setProperty("file.train.bin.crc32", p.getProperty("file.test.bin.crc32"));
        try (var out = Files.newOutputStream(props)) { p.store(out, null); }
        String m = loadError(store);
        assertTrue(m.startsWith(store.resolve("train.bin").toString()) && m.contains("magic 'NCFTEST_'"), m);
    }

    @Test
    void wrongVersionAndMissingPiecesAreRefused() throws IOException {
        Path store = saved();
        Path props = store.resolve(DatasetStore.PROPERTIES);
        String text = Files.readString(props);
        Files.writeString(props, text.replace("version=1", "version=99"));
        assertTrue(loadError(store).contains("dataset version 99, this build reads version 1"));
        Files.writeString(props, text.replace("format=ncf-dataset", "format=something-else"));
        assertTrue(loadError(store).contains("format is 'something-else'"));
        Files.writeString(props, text);
        Files.delete(store.resolve("items.vocab"));
        assertEquals(store.resolve("items.vocab") + ": missing from the dataset directory", loadError(store));
        Files.delete(props);
        assertTrue(loadError(store).contains("missing dataset.properties"));
        assertTrue(loadError(dir.resolve("nothing")).contains("no dataset here"));
    }
}
