package io.ncf.cli;

import io.ncf.cuda.CudaProbe;
import org.junit.jupiter.api.Test;

import static io.ncf.cli.CliTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * {@code --engine cuda} on a machine without a usable GPU (CI): one line saying why, exit 1, no stack trace; and the
 * flags the GPU loop cannot honour are refused by name (exit 2) before any GPU work. The GPU runs themselves are
 * checked on a GPU machine (ncf-cuda/scripts/device-cli-run.sh in the device bundle).
 */
class CudaEngineCliTest {

    private static final String[] TINY = {"train", "--engine", "cuda", "-f", "4", "--layers", "8", "4", "-e", "1", "--seed", "2"};

    private static String[] tiny(String... extra) {
        String[] a = java.util.Arrays.copyOf(TINY, TINY.length + extra.length);
        System.arraycopy(extra, 0, a, TINY.length, extra.length);
        return a;
    }

    private static void assertNoGpuFailure(Result r) {
        assertEquals(1, r.exitCode(), r.out() + r.err());
        String err = r.err().strip();
        assertEquals(1, err.lines().count(), "one line: " + err);
        assertTrue(err.startsWith("ncf: CUDA is not available") || err.startsWith("ncf: no CUDA GPU"), err);
        assertFalse(err.contains("\tat ") || err.contains("Exception in"), "no stack trace: " + err);
    }

    @Test void trainWithoutAGpuSaysWhyAndExitsOne() {
        assumeFalse(CudaProbe.probe().available(), "a GPU is present: the no-GPU message cannot be shown here");
        assertNoGpuFailure(run(tiny()));
        assertNoGpuFailure(run(tiny("--fp16", "--workers", "2")));
    }

    @Test void benchmarkWithoutAGpuSaysWhyAndExitsOne() {
        assumeFalse(CudaProbe.probe().available(), "a GPU is present: the no-GPU message cannot be shown here");
        assertNoGpuFailure(run("benchmark", "train", "--engine", "cuda", "-b", "1024", "--users", "50", "--items", "40"));
        assertNoGpuFailure(run("benchmark", "eval", "--engine", "cuda", "--fp16", "--users", "50", "--items", "40"));
    }

    /** Every training feature but micro-batches is the GPU engine's too: without a GPU they reach the probe (exit 1). */
    @Test void theGpuEngineHasEveryFeatureButMicroBatches() {
        assumeFalse(CudaProbe.probe().available(), "a GPU is present: the no-GPU message cannot be shown here");
        for (String[] flags : new String[][]{{"--no-neg-trick"}, {"--model", "gmf"}, {"--workers", "2"}, {"--loss-scale", "128"}})
            assertNoGpuFailure(run(tiny(flags)));
        assertNoGpuFailure(run(tiny("--mode", "test", "--load-checkpoint-path", "model.ncf")));
    }

    @Test void microBatchesAreRefusedByNameWithTheReason() {
        Result r = run(tiny("--micro-batch", "512"));
        assertEquals(2, r.exitCode(), r.out() + r.err());
        assertTrue(r.err().contains("--micro-batch is not available with --engine cuda: the GPU processes"), r.err());
        r = run("benchmark", "train", "--engine", "fused", "--fp16");
        assertEquals(2, r.exitCode(), r.err());
        assertTrue(r.err().contains("--fp16 is for --engine cuda"), r.err());
        r = run("benchmark", "train", "--engine", "fused", "--exchange", "user-shards");
        assertEquals(2, r.exitCode(), r.err());
        assertTrue(r.err().contains("--exchange is for --engine cuda only"), r.err());
        r = run("benchmark", "train", "--engine", "cuda", "--exchange", "ring");
        assertEquals(2, r.exitCode(), r.err());
        assertTrue(r.err().contains("--exchange: unknown 'ring': expected auto, all-reduce or user-shards"), r.err());
        r = run("train", "--engine", "nope");
        assertEquals(2, r.exitCode(), r.err());
        assertTrue(r.err().contains("unknown engine 'nope' (engines: fused, samediff, cuda)"), r.err());
    }
}
