package io.ncf.model;

import io.ncf.core.ModelFileException;

import io.ncf.core.NeuMFConfig;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class ModelIOTest {

    static final NeuMFConfig CFG = new NeuMFConfig(11, 7, 4, new int[]{6, 5, 3}, 0.25f);

    @TempDir Path dir;

    private Path writeSample(Map<String, String> meta) throws IOException {
        ParamSet params = ParamSet.initialize(CFG, 1);
        ParamSet m = ParamSet.initialize(CFG, 2), v = ParamSet.initialize(CFG, 3);
        Map<String, ParamSet> sections = new LinkedHashMap<>();
        sections.put("params", params);
        sections.put("adam_m", m);
        sections.put("adam_v", v);
        Path f = dir.resolve("model.ncf");
        ModelIO.write(f, CFG, meta, sections);
        return f;
    }

    @Test
    void roundTripIsBitExact() throws IOException {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("epoch", "3");
        meta.put("hr@10", "0.6123");
        meta.put("note", "ünïcode ✓");
        Path f = writeSample(meta);
        ModelIO.Loaded l = ModelIO.read(f);
        assertEquals(CFG, l.config());
        assertEquals(meta, l.meta());
        assertEquals(java.util.List.of("params", "adam_m", "adam_v"), l.sectionNames());
        long seed = 1;
        for (String s : l.sectionNames()) {
            ParamSet expected = ParamSet.initialize(CFG, seed++), got = l.section(s);
            assertEquals(expected.names(), got.names());
            for (String n : expected.names()) {
                assertArrayEquals(expected.get(n).shape(), got.get(n).shape(), s + "/" + n);
                int[] a = floatBits(expected.get(n).data().asFloat()), b = floatBits(got.get(n).data().asFloat());
                assertArrayEquals(a, b, s + "/" + n);
            }
        }
        assertEquals(CFG, ModelIO.readConfig(f));
        // Nothing left behind by the atomic write.
        try (var files = Files.list(dir)) { assertEquals(1, files.count()); }
        ModelFileException e = assertThrows(ModelFileException.class, () -> l.section("nope"));
        assertTrue(e.getMessage().contains("no section 'nope'"), e.getMessage());
    }

    @Test
    void overwritesAtomically() throws IOException {
        Path f = writeSample(Map.of("epoch", "1"));
        writeSample(Map.of("epoch", "2"));
        assertEquals("2", ModelIO.read(f).meta().get("epoch"));
    }

    @Test
    void refusesTruncatedFiles() throws IOException {
        Path f = writeSample(Map.of("k", "v"));
        byte[] all = Files.readAllBytes(f);
        // Cut inside the header, inside tensor data, and just before the checksum.
        for (int len : new int[]{5, 30, all.length / 2, all.length - 2}) {
            Path t = dir.resolve("cut" + len);
            Files.write(t, Arrays.copyOf(all, len));
            ModelFileException e = assertThrows(ModelFileException.class, () -> ModelIO.read(t), "length " + len);
            assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains(t.toString()), e.getMessage());
        }
    }

    @Test
    void refusesAFlippedByte() throws IOException {
        Path f = writeSample(Map.of());
        byte[] all = Files.readAllBytes(f);
        all[all.length - 100] ^= 0x10; // inside the last tensor's data
        Files.write(f, all);
        ModelFileException e = assertThrows(ModelFileException.class, () -> ModelIO.read(f));
        assertTrue(e.getMessage().contains("checksum"), e.getMessage());
    }

    @Test
    void refusesTrailingGarbage() throws IOException {
        Path f = writeSample(Map.of());
        Files.write(f, new byte[]{1, 2, 3}, java.nio.file.StandardOpenOption.APPEND);
        ModelFileException e = assertThrows(ModelFileException.class, () -> ModelIO.read(f));
        assertTrue(e.getMessage().contains("unexpected bytes"), e.getMessage());
    }

    @Test
    void refusesForeignFiles() throws IOException {
        Path f = dir.resolve("ratings.csv");
        Files.write(f, "userId,movieId,rating,timestamp\n1,2,3.5,1112486027\n".getBytes(StandardCharsets.UTF_8));
        ModelFileException e = assertThrows(ModelFileException.class, () -> ModelIO.read(f));
        assertTrue(e.getMessage().contains("not an ncf model file"), e.getMessage());
        assertThrows(ModelFileException.class, () -> ModelIO.readConfig(f));
        Path empty = Files.createFile(dir.resolve("empty"));
        assertTrue(assertThrows(ModelFileException.class, () -> ModelIO.read(empty)).getMessage().contains("truncated"));
        assertTrue(assertThrows(ModelFileException.class, () -> ModelIO.read(dir.resolve("missing"))).getMessage().contains("does not exist"));
    }

    @Test
    void refusesAnotherFormatVersion() throws IOException {
        Path f = writeSample(Map.of());
        byte[] all = Files.readAllBytes(f);
        all[8] = 99; // the version int follows the 8-byte magic
        Files.write(f, all);
        ModelFileException e = assertThrows(ModelFileException.class, () -> ModelIO.read(f));
        assertTrue(e.getMessage().contains("format version 99"), e.getMessage());
    }

    @Test
    void configMismatchNamesTheFlag() throws IOException {
        Path f = writeSample(Map.of());
        ModelIO.Loaded l = ModelIO.read(f);
        ModelFileException e = assertThrows(ModelFileException.class,
                () -> l.requireCompatible(new NeuMFConfig(11, 7, 8, new int[]{6, 5, 3}, 0.25f)));
        assertEquals("checkpoint " + f + " has factors=4 but --factors 8 was given", e.getMessage());
        e = assertThrows(ModelFileException.class, () -> l.requireCompatible(new NeuMFConfig(11, 7, 4, new int[]{6, 4}, 0.25f)));
        assertTrue(e.getMessage().contains("layers=6 5 3 but --layers 6 4"), e.getMessage());
        e = assertThrows(ModelFileException.class, () -> l.requireCompatible(new NeuMFConfig(12, 7, 4, new int[]{6, 5, 3}, 0.25f)));
        assertTrue(e.getMessage().contains("11 users"), e.getMessage());
        // Dropout is a training setting: a different value still loads.
        assertSame(l, l.requireCompatible(CFG.withDropout(0f)));
    }

    @Test
    void refusesSectionsOfAnotherShape() {
        ParamSet other = ParamSet.zeros(new NeuMFConfig(11, 7, 5, new int[]{6, 5, 3}, 0.25f));
        assertThrows(IllegalArgumentException.class,
                () -> ModelIO.write(dir.resolve("x"), CFG, Map.of(), Map.of("params", other)));
    }

    private static int[] floatBits(float[] v) {
        int[] b = new int[v.length];
        for (int i = 0; i < v.length; i++) b[i] = Float.floatToRawIntBits(v[i]);
        return b;
    }
}
