package io.ncf.parity;

import io.ncf.model.ModelKind;
import io.ncf.model.ParamInit;
import io.ncf.train.LossScaler;
import io.ncf.train.engine.EngineRegistry;
import io.ncf.train.engine.EngineSetup;
import io.ncf.train.engine.EngineState;
import io.ncf.train.engine.TrainingEngine;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** One step through the seam: the fused engine against the SameDiff definition, on the same sampled batch. */
class FusedStepVsDefinitionTest {

    @Test void oneFusedStepMatchesTheDefinition() {
        var provider = EngineRegistry.get("samediff");
        assumeTrue(provider.availability().available(), provider.availability().reason());
        var DS = EngineParitySuite.DS;
        var C = EngineParitySuite.C;
        var O = EngineParitySuite.O;
        TrainingEngine.StepResult a, b;
        float[] pa, pb;
        EngineState st = EngineState.initial(C, ParamInit.nvidia(C, 3));
        try (TrainingEngine sd = provider.open(new EngineSetup(DS, C, ModelKind.NEUMF, O, false, 1, LossScaler.none(), st));
             TrainingEngine fused = EngineRegistry.get("fused").open(new EngineSetup(DS, C, ModelKind.NEUMF, O, false, 1, LossScaler.none(), st))) {
            sd.beginEpoch(0);
            fused.beginEpoch(0);
            a = sd.step(0, 0);
            b = fused.step(0, 0);
            pa = sd.parameters();
            pb = fused.parameters();
        }
        assertEquals(a.samples(), b.samples());
        assertEquals(a.lossSum(), b.lossSum(), 1e-4 * Math.abs(a.lossSum()), "the same samples give the same loss");
        assertTrue(EngineParitySuite.relativeDifference(pa, pb) < 1e-5, "parameters after one Adam step: " + EngineParitySuite.relativeDifference(pa, pb));
    }
}
