package io.ncf.cuda.nd4j;

import io.ncf.cuda.CudaProbe;
import io.ncf.cuda.ParamLayout;
import io.ncf.cuda.Precision;
import io.ncf.model.DropoutMask;
import io.ncf.core.NeuMFConfig;
import io.ncf.model.ParamSet;
import io.ncf.model.fused.FusedCpuEngine;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class CudaGradientEngineTest {

    final NeuMFConfig config = new NeuMFConfig(50, 40, 8, new int[]{16, 12, 8}, 0.5f);

    @Test void bridgeRoundTripsAndAccumulates() {
        ParamSet p = ParamSet.initialize(config, 3);
        ParamLayout layout = new ParamLayout(config);
        float[] flat = ParamSetBridge.flatten(p, layout);
        assertEquals(p.get(ParamSet.MLP_ITEM).getFloat(7, 2), flat[(int) (layout.get("mlp_item").offset() + 7L * layout.get("mlp_item").cols() + 2)]);
        ParamSet q = p.zerosLike();
        ParamSetBridge.assign(q, layout, flat);
        ParamSetBridge.addInto(q, layout, flat);
        for (String n : p.names()) assertEquals(p.get(n).mul(2), q.get(n), n);
        ParamSet other = ParamSet.zeros(new NeuMFConfig(51, 40, 8, new int[]{16, 12, 8}, 0.5f));
        assertThrows(IllegalArgumentException.class, () -> ParamSetBridge.flatten(other, layout));
        assertThrows(IllegalArgumentException.class, () -> ParamSetBridge.addInto(q, layout, new float[3]));
    }

    @Test void matchesTheFusedCpuEngineOnTheGpu() {
        CudaProbe.Result r = CudaProbe.probe();
        assumeTrue(r.available(), "skipped, no GPU: " + r.message());
        ParamSet p = ParamSet.initialize(config, 5);
        Random rnd = new Random(1);
        int b = 700;
        int[] u = new int[b], i = new int[b];
        float[] y = new float[b];
        for (int k = 0; k < b; k++) { u[k] = rnd.nextInt(50); i[k] = rnd.nextInt(40); y[k] = rnd.nextInt(2); }
        DropoutMask mask = DropoutMask.forStep(2, 7, 0.5f);
        ParamSet gCpu = p.zerosLike(), gGpu = p.zerosLike();
        double lossCpu, lossGpu;
        try (FusedCpuEngine cpu = new FusedCpuEngine(p, 256, 2)) {
            lossCpu = cpu.accumulateGradients(u, i, y, 0, b, 1f / b, mask, 10, gCpu);
        }
        try (CudaGradientEngine gpu = new CudaGradientEngine(p, 300, Precision.FP32, 0)) {
            lossGpu = gpu.accumulateGradients(u, i, y, 0, b, 1f / b, mask, 10, gGpu);
        }
        assertEquals(lossCpu, lossGpu, 1e-5 * lossCpu);
        for (String n : p.names()) {
            double rel = gGpu.get(n).sub(gCpu.get(n)).norm2Number().doubleValue() / Math.max(1e-30, gCpu.get(n).norm2Number().doubleValue());
            assertTrue(rel < 1e-5, n + " gradient differs by " + rel);
        }
    }
}
