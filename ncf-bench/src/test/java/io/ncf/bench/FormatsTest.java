package io.ncf.bench;

import io.ncf.core.NeuMFConfig;
import io.ncf.train.AdamConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The small files carried to the GPU machine: reference cases (GPU vs CPU engine) and GPU datasets ('train FILE'). */
class FormatsTest {

    @TempDir Path tmp;

    @Test void referenceCasesRoundTrip() throws IOException {
        NeuMFConfig c = new NeuMFConfig(3, 4, 2, new int[]{4, 2}, 0.5f);
        int n = (int) c.parameterCount();
        float[] p = new float[n], g = new float[n], a = new float[n];
        for (int i = 0; i < n; i++) { p[i] = i; g[i] = -i; a[i] = i * 0.5f; }
        ReferenceCase rc = new ReferenceCase("x", c, new int[]{0, 2}, new int[]{1, 3}, new float[]{1, 0}, 0.5f, 42L, 0.5f, 7L,
                p, 1.25, g, AdamConfig.nvidia(), a);
        Path f = tmp.resolve("cases.bin");
        ReferenceCase.write(f, List.of(rc, rc));
        List<ReferenceCase> back = ReferenceCase.read(f);
        assertEquals(2, back.size());
        ReferenceCase b = back.get(1);
        assertEquals(c, b.config());
        assertArrayEquals(rc.users(), b.users());
        assertArrayEquals(rc.grads(), b.grads());
        assertArrayEquals(rc.paramsAfterAdam(), b.paramsAfterAdam());
        assertEquals(1.25, b.loss());
        assertEquals(42L, b.maskSeed());
        assertEquals(AdamConfig.nvidia(), b.adam());
    }

    @Test void badOrTruncatedFilesAreRefusedWithTheirName() throws IOException {
        Path f = tmp.resolve("junk.bin");
        Files.write(f, new byte[]{1, 2, 3, 4, 5, 6, 7, 8});
        IOException e = assertThrows(IOException.class, () -> ReferenceCase.read(f));
        assertTrue(e.getMessage().contains("junk.bin") && e.getMessage().contains("magic"), e.getMessage());
        new GpuDataset(2, 3, new int[]{0, 1}, new int[]{2, 0}, new int[]{0}, new int[]{1, 2}, 2).write(f);
        byte[] all = Files.readAllBytes(f);
        Files.write(f, java.util.Arrays.copyOf(all, all.length - 3));
        e = assertThrows(IOException.class, () -> GpuDataset.read(f));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test void datasetRoundTripAndShapeCheck() throws IOException {
        GpuDataset d = new GpuDataset(2, 3, new int[]{0, 1, 1}, new int[]{2, 0, 1}, new int[]{0, 1}, new int[]{1, 2, 0, 2}, 2);
        Path f = tmp.resolve("d.bin");
        d.write(f);
        GpuDataset b = GpuDataset.read(f);
        assertArrayEquals(d.trainItems(), b.trainItems());
        assertArrayEquals(d.evalItems(), b.evalItems());
        assertEquals(2, b.evalWidth());
        assertThrows(IllegalArgumentException.class, () -> new GpuDataset(2, 3, new int[1], new int[1], new int[]{0}, new int[3], 2));
    }
}
