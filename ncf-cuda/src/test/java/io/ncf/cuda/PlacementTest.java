package io.ncf.cuda;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** Where the ranks of {@code --workers N} run (no GPU needed: placement is arithmetic on device numbers). */
class PlacementTest {

    /** NCF_CUDA_SHARE_GPU: 1 puts the ranks on GPU 0, unset/0 gives each its GPU, a typo is refused by name. */
    @Test void theShareSettingIsReadStrictly() {
        assertTrue(GpuTraining.Placement.forWorkers(4, "1").sharedGpu());
        assertFalse(GpuTraining.Placement.forWorkers(4, null).sharedGpu());
        assertFalse(GpuTraining.Placement.forWorkers(4, "0").sharedGpu());
        assertFalse(GpuTraining.Placement.forWorkers(1, "1").sharedGpu(), "one rank is GPU 0 anyway");
        assertArrayEquals(new int[]{0, 1, 2, 3}, GpuTraining.Placement.forWorkers(4, "").devices());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GpuTraining.Placement.forWorkers(4, "yes"));
        assertEquals("NCF_CUDA_SHARE_GPU=yes: expected 1 (every rank on GPU 0, for checks) or 0", e.getMessage());
    }
}
