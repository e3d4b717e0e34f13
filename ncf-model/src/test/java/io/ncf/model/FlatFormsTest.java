package io.ncf.model;

import io.ncf.core.NeuMFConfig;
import io.ncf.core.ParamShapes;
import io.ncf.core.ModelFileException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The engine-neutral (flat, ND4J-free) forms agree with the ParamSet ones: what a GPU engine writes, freezes and
 * starts from is what the CPU engines do.
 */
class FlatFormsTest {

    static final NeuMFConfig C = new NeuMFConfig(7, 5, 3, new int[]{6, 4, 2}, 0.5f);

    @TempDir Path tmp;

    @Test void flatRoundTripsAndFilesAreTheSameBytes() throws Exception {
        ParamSet p = ParamSet.initialize(C, 4), m = ParamSet.initialize(C, 5);
        float[] flat = p.toFlat();
        assertEquals(ParamShapes.totalLength(C), flat.length);
        assertArrayEquals(flat, ParamSet.fromFlat(C, flat).toFlat());
        assertArrayEquals(ParamInit.nvidia(C, 4), flat, "ParamSet.initialize is ParamInit wrapped");

        Path a = tmp.resolve("a.ncf"), b = tmp.resolve("b.ncf");
        Map<String, ParamSet> sets = new LinkedHashMap<>();
        sets.put("params", p);
        sets.put("adam_m", m);
        ModelIO.write(a, C, Map.of("k", "v"), sets);
        Map<String, float[]> flats = new LinkedHashMap<>();
        flats.put("params", flat);
        flats.put("adam_m", m.toFlat());
        ModelIO.writeFlat(b, C, Map.of("k", "v"), flats);
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b), "flat and ParamSet writers write the same bytes");

        ModelIO.FlatLoaded l = ModelIO.readFlat(a);
        assertEquals(C, l.config());
        assertEquals("v", l.meta().get("k"));
        assertArrayEquals(flat, l.section("params"));
        assertArrayEquals(m.toFlat(), l.section("adam_m"));
        assertThrows(ModelFileException.class, () -> l.section("adam_v"));

        byte[] bytes = Files.readAllBytes(a);
        bytes[bytes.length - 9] ^= 1;
        Files.write(a, bytes);
        assertThrows(ModelFileException.class, () -> ModelIO.readFlat(a), "the checksum is verified");
    }

    @ParameterizedTest
    @EnumSource(ModelKind.class)
    void frozenRangesAreExactlyWhatZeroFrozenZeroes(ModelKind kind) {
        ParamSet ones = ParamSet.zeros(C);
        for (var a : ones.arrays()) a.assign(1);
        kind.zeroFrozen(ones);
        float[] expected = ones.toFlat();
        float[] got = new float[expected.length];
        java.util.Arrays.fill(got, 1f);
        for (long[] r : kind.frozenRanges(C)) for (long i = r[0]; i < r[0] + r[1]; i++) got[(int) i] = 0f;
        assertArrayEquals(expected, got, kind.toString());
    }

    @ParameterizedTest
    @EnumSource(ModelKind.class)
    void flatShapeEqualsParamSetShape(ModelKind kind) {
        assertArrayEquals(kind.shape(ParamSet.initialize(C, 2)).toFlat(), kind.shape(ParamInit.nvidia(C, 2), C), kind.toString());
    }

    @Test void flatPretrainingEqualsTheParamSetOne() {
        NeuMFConfig gmfC = new NeuMFConfig(7, 5, 3, new int[]{8, 4}, 0.5f); // other layers: only the GMF part is read
        NeuMFConfig mlpC = new NeuMFConfig(7, 5, 2, new int[]{6, 4, 2}, 0.5f); // other factors: only the MLP part is read
        ParamSet g = ModelKind.GMF.shape(ParamSet.initialize(gmfC, 1)), m = ModelKind.MLP.shape(ParamSet.initialize(mlpC, 2));
        float[] flat = Pretraining.combineFlat(g.toFlat(), gmfC, m.toFlat(), mlpC, C, 0.5f);
        ParamSet p = ParamSet.fromFlat(C, flat);
        assertEquals(g.get(ParamSet.MF_USER), p.get(ParamSet.MF_USER));
        assertEquals(m.get(ParamSet.denseWeight(1)), p.get(ParamSet.denseWeight(1)));
        // final_w = [0.5 h_gmf ; 0.5 h_mlp], each branch's rows taken from its own model's layout
        for (int r = 0; r < 3; r++) assertEquals(0.5f * g.get(ParamSet.FINAL_W).getFloat(r), p.get(ParamSet.FINAL_W).getFloat(r));
        for (int r = 0; r < 2; r++) assertEquals(0.5f * m.get(ParamSet.FINAL_W).getFloat(2 + r), p.get(ParamSet.FINAL_W).getFloat(3 + r));
        assertThrows(IllegalArgumentException.class, () -> Pretraining.combineFlat(g.toFlat(), gmfC, m.toFlat(), mlpC,
                new NeuMFConfig(7, 5, 4, new int[]{6, 4, 2}, 0.5f), 0.5f), "factors must match the GMF model");
    }
}
