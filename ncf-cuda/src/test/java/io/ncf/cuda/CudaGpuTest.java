package io.ncf.cuda;

import io.ncf.model.DropoutMask;
import io.ncf.core.NeuMFConfig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Runs only where a CUDA GPU is usable; elsewhere (CI) every test is skipped with the probe's message. The
 * probe catches the link errors of missing libraries, so a machine without CUDA neither crashes nor fails.
 */
class CudaGpuTest {

    @BeforeEach void needGpu() {
        CudaProbe.Result r = CudaProbe.probe();
        assumeTrue(r.available(), "skipped, no GPU: " + r.message());
    }

    @Test void lossMatchesTheHostReferenceAndSamplerMatchesEpochPlan() {
        NeuMFConfig c = new NeuMFConfig(60, 40, 8, new int[]{16, 12, 8}, 0.5f);
        Random r = new Random(3);
        int b = 500;
        int[] u = new int[b], i = new int[b];
        float[] y = new float[b];
        for (int k = 0; k < b; k++) { u[k] = r.nextInt(60); i[k] = r.nextInt(40); y[k] = r.nextInt(2); }
        float[] p = io.ncf.model.ParamInit.nvidia(c, 4);
        for (int k = 0; k < p.length; k++) p[k] *= 20;
        DropoutMask mask = DropoutMask.forStep(1, 2, 0.5f);
        try (CudaDevice dev = CudaDevice.open(0); CudaNeuMF eng = new CudaNeuMF(dev, c, Precision.FP32, b)) {
            eng.setParameters(p);
            eng.setBatch(u, i, y, 0, b);
            eng.forwardBackward(b, 1f / b, mask, 100);
            double expected = HostNeuMF.lossSum(c, p, u, i, y, mask, 100);
            assertEquals(expected, eng.takeLossSum(), 1e-5 * expected);

            EpochPlan plan = new EpochPlan(b, 4, 9, 1);
            eng.setPositives(u, i);
            eng.makeBatch(plan, 77, b);
            int[] du = new int[b], di = new int[b], hu = new int[b], hi = new int[b];
            float[] dy = new float[b], hy = new float[b];
            eng.readBatch(b, du, di, dy);
            plan.fill(77, b, u, i, 40, hu, hi, hy);
            assertArrayEquals(hu, du);
            assertArrayEquals(hi, di);
            assertTrue(Arrays.equals(hy, dy));
        }
    }
}
