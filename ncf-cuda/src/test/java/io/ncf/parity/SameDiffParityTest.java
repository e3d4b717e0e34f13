package io.ncf.parity;


/**
 * {@link EngineParitySuite} on the SameDiff engine (the definition). The graph engine takes minutes for the suite on
 * 2 cores, so it runs in the e2e suite (CI's {@code mvn -Pe2e verify}); {@link FusedStepVsDefinitionTest} runs always.
 */
@org.junit.jupiter.api.Tag("e2e")
class SameDiffParityTest extends EngineParitySuite {
    @Override String engine() { return "samediff"; }
}
