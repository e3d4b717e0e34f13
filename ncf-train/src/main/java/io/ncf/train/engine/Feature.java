package io.ncf.train.engine;

/**
 * Features an engine may lack (training's, and ranking with a trained model); {@link EngineProvider#unsupported} says why. The README's feature × engine
 * table is this enum against the registered providers (a test keeps them equal).
 */
public enum Feature {
    RESUME("--resume"),
    LOAD_CHECKPOINT("--load-checkpoint-path"),
    MODE_TEST("--mode test"),
    MODEL_VARIANTS("--model gmf|mlp|mf"),
    PRETRAINING("--pretrain-gmf/--pretrain-mlp"),
    CHECKED_NEGATIVES("--no-neg-trick"),
    WORKERS("--workers N"),
    FP16("--precision fp16 (--fp16)"),
    BF16("--precision bf16"),
    LOSS_SCALING("--loss-scale / dynamic scaling with floor"),
    MICRO_BATCH("--micro-batch"),
    REGULARIZATION("--l2-embedding / --l2-weights"),
    SGD("--optimizer sgd"),
    RANKING("ncf recommend / ncf evaluate --engine");

    private final String flags;

    Feature(String flags) { this.flags = flags; }

    /** How a user asks for it on the command line (for tables and messages). */
    public String flags() { return flags; }
}
