package io.ncf.parity;

/** {@link EngineParitySuite} on the fused CPU engine. */
class FusedParityTest extends EngineParitySuite {
    @Override String engine() { return "fused"; }
}
