package io.ncf.serve;

import io.ncf.model.ModelIO;
import io.ncf.core.NeuMFConfig;
import io.ncf.model.ParamSet;
import io.ncf.core.ParamShapes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The flat (float[]) writers of the GPU path must produce the very files the ParamSet writers produce, so a
 * GPU-trained model is read back, served and resumed like any other.
 */
class FlatWritersTest {

    @TempDir Path dir;

    private static float[] flatten(ParamSet p) {
        float[] flat = new float[Math.toIntExact(ParamShapes.totalLength(p.config()))];
        int off = 0;
        for (String n : ParamShapes.of(p.config()).keySet()) {
            float[] v = p.get(n).dup('c').data().asFloat();
            System.arraycopy(v, 0, flat, off, v.length);
            off += v.length;
        }
        assertEquals(flat.length, off);
        return flat;
    }

    @Test void checkpointFileIsByteIdentical() throws Exception {
        ModelArtifact a = ArtifactFixtures.small(5);
        ParamSet p = io.ncf.model.Artifacts.params(a);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("epoch", "7");
        meta.put("hr", "0.5");
        ModelIO.write(dir.resolve("nd4j.ncf"), p.config(), meta, Map.of("params", p));
        ModelIO.writeFlat(dir.resolve("flat.ncf"), p.config(), meta, "params", flatten(p));
        assertArrayEquals(Files.readAllBytes(dir.resolve("nd4j.ncf")), Files.readAllBytes(dir.resolve("flat.ncf")));
        assertEquals(p.get(ParamSet.FINAL_W), ModelIO.read(dir.resolve("flat.ncf")).section("params").get(ParamSet.FINAL_W));
    }

    @Test void artifactIsByteIdentical() throws Exception {
        ModelArtifact a = ArtifactFixtures.small(6);
        a.write(dir.resolve("nd4j.zip"));
        ModelArtifact.writeFlat(dir.resolve("flat.zip"), a.config(), flatten(io.ncf.model.Artifacts.params(a)), a.userIds(), a.itemIds(), a.seen(), a.popularity(), a.metadata());
        assertArrayEquals(Files.readAllBytes(dir.resolve("nd4j.zip")), Files.readAllBytes(dir.resolve("flat.zip")));
    }

    @Test void wrongLengthIsRefused() {
        ModelArtifact a = ArtifactFixtures.small(7);
        NeuMFConfig c = a.config();
        float[] shorter = new float[Math.toIntExact(ParamShapes.totalLength(c)) - 1];
        var e = assertThrows(IllegalArgumentException.class, () -> ModelIO.writeFlat(dir.resolve("x.ncf"), c, Map.of(), "params", shorter));
        assertTrue(e.getMessage().contains("flat parameters"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ModelArtifact.writeFlat(dir.resolve("x.zip"), c, shorter, a.userIds(), a.itemIds(),
                a.seen(), a.popularity(), Map.of()));
    }

    @Test void shapesAgreeWithParamSet() {
        NeuMFConfig c = new NeuMFConfig(11, 13, 8, new int[]{16, 8, 4}, 0.1f);
        var a = ParamShapes.of(c);
        var b = ParamSet.initialize(c, 1);
        assertEquals(b.names(), java.util.List.copyOf(a.keySet()));
        for (String n : b.names()) assertArrayEquals(b.get(n).shape(), a.get(n));
        assertEquals(c.parameterCount(), ParamShapes.totalLength(c));
    }
}
