package io.ncf.cuda;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class CudaProbeTest {

    @Test void probeNeverThrowsAndExplainsItself() {
        CudaProbe.Result r = CudaProbe.probe();
        assertNotNull(r.message());
        if (r.available()) {
            assertTrue(r.deviceCount() > 0);
        } else {
            assertEquals(0, r.deviceCount());
            assertTrue(r.message().startsWith("CUDA is not available") || r.message().startsWith("no CUDA GPU"), r.message());
        }
        assertSame(r, CudaProbe.probe(), "the probe runs once per JVM");
    }
}
