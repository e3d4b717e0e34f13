package io.ncf.parity;

import org.junit.jupiter.api.Tag;

/**
 * {@link EngineParitySuite} on the GPU engine: runs where a GPU is (the device bundle's junit.sh), skipped with the
 * probe's reason elsewhere. GPU scatter-adds are atomic, so runs agree closely, not bit for bit.
 */
@Tag("gpu")
class CudaParityTest extends EngineParitySuite {
    @Override String engine() { return "cuda"; }

    @Override boolean bitExact() { return false; }
}
