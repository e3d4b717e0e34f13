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

    @Option(names = "--precision", paramLabel = "P", description = "fp32 (default), bf16 (the CPU kernel's layers on AMX-BF16, where the CPU has it: about twice as fast;"
            + " top-K lists may swap near-ties) or fp16 (= --fp16, --engine cuda).")
    String precisionName;

    /** --precision, or fp16 for --fp16 (both given must agree). */
    io.ncf.core.Precision precision() { return precision(precisionName, fp16); }

    /**
     * The precision {@code --precision NAME} (null: not given) and {@code --fp16} ask for, as train and the ranking
     * commands read them: --fp16 is --precision fp16, and both given must agree (exit 2 otherwise).
     */
    static io.ncf.core.Precision precision(String name, boolean fp16) {
        io.ncf.core.Precision p;
        try {
            p = name == null ? io.ncf.core.Precision.FP32 : io.ncf.core.Precision.parse(name);
        } catch (IllegalArgumentException e) {
            throw new NcfCli.UsageException("--precision: " + e.getMessage());
        }
        if (fp16 && name != null && p != io.ncf.core.Precision.FP16)
            throw new NcfCli.UsageException("--fp16 means --precision fp16, which contradicts --precision " + p.id());
        return fp16 ? io.ncf.core.Precision.FP16 : p;
    }

    /** True when ranking runs on the recommender's own CPU kernel (no separate ranker): FP32, or BF16 layers on AMX. */
    boolean onCpuKernel() { return provider().name().equals("fused") && precision() != io.ncf.core.Precision.FP16; }

    /**
     * The recommender on its own CPU kernel ({@link #onCpuKernel}), scoring in BF16 where asked; a CPU that cannot is
     * refused with exit 2, naming why.
     */
    io.ncf.serve.Recommender cpuRecommender(ModelArtifact a, io.ncf.serve.Recommender.Options o) {
        boolean bf16 = precision() == io.ncf.core.Precision.BF16;
        try {
            return new io.ncf.serve.Recommender(a, o.withBf16(bf16));
        } catch (IllegalStateException e) {
            if (!bf16) throw e;
            throw new NcfCli.UsageException("--precision bf16 is not available with --engine fused: " + e.getMessage());
        }
    }

    EngineProvider provider() { return EnginesCommand.named(engine); }

    /** The engine's ranker for the artifact's model (refused with exit 2, naming why, where the engine has none). */
    BatchRanker open(ModelArtifact a, int threads) {
        EngineProvider p = provider();
        try {
            return p.openRanker(a.config(), a.flatParams(), threads, precision());
        } catch (io.ncf.train.engine.UnsupportedFeatureException e) {
            throw EnginesCommand.refusal(e);
        }
    }
}
