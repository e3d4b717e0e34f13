package io.ncf.serve;

import io.ncf.core.ModelFileException;
import io.ncf.model.ParamSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.*;

class ModelArtifactTest {

    @TempDir Path dir;

    @Test void roundTripKeepsEverythingBitForBit() throws IOException {
        ModelArtifact a = ArtifactFixtures.small(7);
        Path f = dir.resolve("m.zip");
        a.write(f);
        ModelArtifact b = ModelArtifact.read(f);
        assertEquals(a.config(), b.config());
        assertEquals(a.userIds(), b.userIds());
        assertEquals(a.itemIds(), b.itemIds());
        assertArrayEquals(a.seen().offsetsArray(), b.seen().offsetsArray());
        assertArrayEquals(a.seen().itemsArray(), b.seen().itemsArray());
        assertArrayEquals(a.popularity(), b.popularity());
        assertEquals(a.metadata(), b.metadata());
        for (String n : ParamSet.shapes(a.config()).keySet()) {
            float[] x = io.ncf.model.Artifacts.params(a).get(n).dup().data().asFloat(), y = io.ncf.model.Artifacts.params(b).get(n).dup().data().asFloat();
            assertEquals(x.length, y.length, n);
            for (int i = 0; i < x.length; i++) assertEquals(Float.floatToRawIntBits(x[i]), Float.floatToRawIntBits(y[i]), n + "[" + i + "]");
        }
        assertFalse(Files.list(dir).anyMatch(p -> p.toString().endsWith(".tmp")), "temporary file left behind");
    }

    @Test void writingTwiceGivesTheSameBytes() throws IOException {
        ModelArtifact a = ArtifactFixtures.small(3);
        a.write(dir.resolve("1.zip"));
        a.write(dir.resolve("2.zip"));
        // zip entries carry timestamps, so compare the entry contents rather than the files
        try (ZipFile z1 = new ZipFile(dir.resolve("1.zip").toFile()); ZipFile z2 = new ZipFile(dir.resolve("2.zip").toFile())) {
            for (ZipEntry e : java.util.Collections.list(z1.entries()))
                assertArrayEquals(z1.getInputStream(e).readAllBytes(), z2.getInputStream(z2.getEntry(e.getName())).readAllBytes(), e.getName());
        }
    }

    @Test void tamperedEntryIsRefusedByChecksumNamingTheEntry() throws IOException {
        Path f = dir.resolve("m.zip");
        ArtifactFixtures.small(1).write(f);
        Path bad = dir.resolve("bad.zip");
        rewrite(f, bad, "params.bin", bytes -> bytes[bytes.length / 2] ^= 1);
        ModelFileException e = assertThrows(ModelFileException.class, () -> ModelArtifact.read(bad));
        assertTrue(e.getMessage().contains("params.bin") && e.getMessage().contains("SHA-256"), e.getMessage());
        assertTrue(e.getMessage().contains(bad.toString()), e.getMessage());
    }

    @Test void missingEntryAndWrongFormatAndNotAZipAreClearErrors() throws IOException {
        Path f = dir.resolve("m.zip");
        ArtifactFixtures.small(1).write(f);
        Path noSeen = dir.resolve("noseen.zip");
        rewrite(f, noSeen, "seen.bin", null);
        assertTrue(assertThrows(ModelFileException.class, () -> ModelArtifact.read(noSeen)).getMessage().contains("no entry 'seen.bin'"));

        Path v2 = dir.resolve("v2.zip");
        rewrite(f, v2, "MANIFEST.properties", bytes -> {
            String s = new String(bytes).replace("version=1", "version=2");
            System.arraycopy(s.getBytes(), 0, bytes, 0, bytes.length);
        });
        assertTrue(assertThrows(ModelFileException.class, () -> ModelArtifact.read(v2)).getMessage().contains("format version 2"));

        Path text = dir.resolve("model.ncf");
        Files.writeString(text, "hello");
        assertTrue(assertThrows(ModelFileException.class, () -> ModelArtifact.read(text)).getMessage().contains("not a zip file"));
        assertTrue(assertThrows(ModelFileException.class, () -> ModelArtifact.read(dir.resolve("none.zip"))).getMessage().contains("does not exist"));
    }

    interface Edit { void apply(byte[] bytes); }

    /** Copies a zip, editing one entry in place (or dropping it when edit is null). */
    private static void rewrite(Path from, Path to, String entry, Edit edit) throws IOException {
        try (ZipFile z = new ZipFile(from.toFile()); ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(to))) {
            for (ZipEntry e : java.util.Collections.list(z.entries())) {
                byte[] b = z.getInputStream(e).readAllBytes();
                if (e.getName().equals(entry)) {
                    if (edit == null) continue;
                    b = Arrays.copyOf(b, b.length);
                    edit.apply(b);
                }
                out.putNextEntry(new ZipEntry(e.getName()));
                out.write(b);
                out.closeEntry();
            }
        }
    }
}
