package io.ncf.train;

import io.ncf.data.DemoData;
import io.ncf.data.NcfDataset;
import io.ncf.core.NeuMFConfig;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class MemoryEstimateTest {

    static final NcfDataset DS = DemoData.generate(1);
    static final long G = 1L << 30;

    @Test void countsEveryPartAndAcceptsASmallConfiguration() {
        NeuMFConfig c = new NeuMFConfig(DS.numUsers(), DS.numItems(), 8, new int[]{16, 8}, 0.5f);
        TrainingOptions o = TrainingOptions.defaults().withBatch(4096);
        MemoryEstimate m = MemoryEstimate.of(DS, c, o, 1024);
        assertEquals(c.parameterCount() * 4, m.paramBytes());
        assertEquals(4L * 1024 * (16 + 8 + 2 * 16), m.engineBytes());
        assertEquals(Trainer.samplesPerEpoch(DS, o) * 12, m.sampleBytes());
        assertEquals(4 * m.paramBytes() + m.engineBytes(), m.offHeapBytes());
        m.requireFits(4 * G, 4 * G, 16 * G);
        m.requireFits(); // this machine
    }

    @Test void adviceNamesTheLargestPart() {
        NeuMFConfig small = new NeuMFConfig(DS.numUsers(), DS.numItems(), 8, new int[]{4096, 8}, 0.5f);
        TrainingOptions o = TrainingOptions.defaults().withBatch(1 << 20);
        MemoryEstimate buffers = MemoryEstimate.of(DS, small, o, 1 << 20);
        var e = assertThrows(IllegalArgumentException.class, () -> buffers.requireFits(64 * G, 1L << 20, 64 * G));
        assertTrue(e.getMessage().contains("smaller --micro-batch") && e.getMessage().contains("-Dorg.bytedeco.javacpp.maxbytes"), e.getMessage());

        MemoryEstimate model = MemoryEstimate.of(DS, new NeuMFConfig(DS.numUsers(), DS.numItems(), 1 << 16, new int[]{16, 8}, 0.5f), o, 1024);
        e = assertThrows(IllegalArgumentException.class, () -> model.requireFits(64 * G, 0, 1 * G));
        assertTrue(e.getMessage().contains("the machine has 1.0 GiB") && e.getMessage().contains("lower --factors"), e.getMessage());

        MemoryEstimate heap = MemoryEstimate.of(DS, small, TrainingOptions.defaults().withBatch(1024), 1024);
        e = assertThrows(IllegalArgumentException.class, () -> heap.requireFits(1L << 20, 64 * G, 64 * G));
        assertTrue(e.getMessage().contains("-Xmx allows 1.0 MiB"), e.getMessage());
    }
}
