package io.ncf.cli;

import io.ncf.core.rank.BatchRanker;
import io.ncf.serve.ModelArtifact;
import io.ncf.train.engine.EngineProvider;
import picocli.CommandLine.Option;

/** {@code --engine} and {@code --fp16} of the ranking commands (recommend, evaluate): where top-K and full ranking run. */
final class RankingOptions {

    @Option(names = "--engine", defaultValue = "fused", paramLabel = "NAME",
            description = "Where ranking runs, by registry name ('ncf engines --features'): fused (the CPU kernel) or cuda (GPU 0) (default: ${DEFAULT-VALUE}).")
    String engine;

    @Option(names = "--fp16", description = "--engine cuda: FP16 activations and GEMM inputs with FP32 accumulation (scores then differ from FP32 in the 3rd-4th digit).")
    boolean fp16;

    /** True when ranking runs on the recommender's own CPU kernel (no separate ranker). */
    boolean onCpuKernel() { return provider().name().equals("fused") && !fp16; }

    EngineProvider provider() { return EnginesCommand.named(engine); }

    /** The engine's ranker for the artifact's model (refused with exit 2, naming why, where the engine has none). */
    BatchRanker open(ModelArtifact a, int threads) {
        EngineProvider p = provider();
        return p.openRanker(a.config(), a.flatParams(), threads, fp16);
    }
}
