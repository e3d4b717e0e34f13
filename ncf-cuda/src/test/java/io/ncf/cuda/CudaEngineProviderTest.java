package io.ncf.cuda;

import io.ncf.data.DemoData;
import io.ncf.data.NcfDataset;
import io.ncf.model.ModelKind;
import io.ncf.core.NeuMFConfig;
import io.ncf.model.ParamInit;
import io.ncf.train.LossScaler;
import io.ncf.train.TrainingOptions;
import io.ncf.train.engine.EngineProvider;
import io.ncf.train.engine.EngineRegistry;
import io.ncf.train.engine.EngineSetup;
import io.ncf.train.engine.EngineState;
import io.ncf.train.engine.Feature;
import io.ncf.train.engine.UnsupportedFeatureException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/** The GPU engine as a plug-in, on any machine: found by the registry, its probe and its refusals. */
class CudaEngineProviderTest {

    @Test void anEpochIsWholeBatchesAndABatchLargerThanTheEpochIsRefused() {
        io.ncf.train.engine.TrainingEngine.EpochShape e = CudaEngine.wholeBatches(10_000, 4096);
        assertEquals(8192, e.samples());
        assertEquals(2, e.steps());
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> CudaEngine.wholeBatches(4095, 4096));
        assertEquals("batchSize 4096 is larger than an epoch (4095 samples): the GPU trains on whole batches only; lower batchSize", x.getMessage());
    }

    @Test void theRegistryFindsTheGpuEngineBesideTheCpuOnes() {
        assertEquals(java.util.List.of("fused", "samediff", "cuda"), EngineRegistry.names());
        EngineProvider p = EngineRegistry.get("CUDA");
        assertInstanceOf(CudaEngineProvider.class, p);
        assertTrue(p.unsupported(Feature.MICRO_BATCH).isPresent());
        assertTrue(p.unsupported(Feature.REGULARIZATION).isPresent());
        assertTrue(p.unsupported(Feature.SGD).isPresent());
        assertTrue(p.unsupported(Feature.BF16).isPresent(), "BF16 training is the fused CPU engine's");
        for (Feature f : Feature.values())
            if (f != Feature.MICRO_BATCH && f != Feature.REGULARIZATION && f != Feature.SGD && f != Feature.BF16) assertTrue(p.unsupported(f).isEmpty(), f + " works on the GPU");
    }

    @Test void withoutAGpuTheProbeSaysWhyAndOpenRefuses() {
        EngineProvider p = EngineRegistry.get("cuda");
        assumeFalse(CudaProbe.probe().available(), "a GPU is present");
        assertFalse(p.availability().available());
        assertFalse(p.availability().reason().isBlank());
        NcfDataset ds = DemoData.generate(2);
        NeuMFConfig c = new NeuMFConfig(ds.numUsers(), ds.numItems(), 4, new int[]{8, 4}, 0.5f);
        EngineSetup s = new EngineSetup(ds, c, ModelKind.GMF, TrainingOptions.defaults().withBatch(4096), true, 1,
                LossScaler.dynamicDefaults(), EngineState.initial(c, ParamInit.nvidia(c, 1)));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> p.open(s));
        assertEquals(p.availability().reason(), e.getMessage());
    }

    @Test void microBatchesAreRefusedWithTheReason() {
        UnsupportedFeatureException e = assertThrows(UnsupportedFeatureException.class, () -> EngineRegistry.get("cuda").require(Feature.MICRO_BATCH));
        assertEquals(Feature.MICRO_BATCH, e.feature());
        assertTrue(e.getMessage().startsWith("--micro-batch is not available with engine cuda: "), e.getMessage());
    }
}
