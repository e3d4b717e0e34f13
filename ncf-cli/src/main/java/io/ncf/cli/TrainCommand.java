package io.ncf.cli;

import io.ncf.data.DatasetStore;
import io.ncf.data.DemoData;
import io.ncf.data.NcfDataset;
import io.ncf.data.Preprocessor;
import io.ncf.eval.EvalResult;
import io.ncf.eval.RankingProtocols;
import io.ncf.eval.RankingReport;
import io.ncf.model.ModelKind;
import io.ncf.core.NeuMFConfig;
import io.ncf.train.CheckpointDirInUseException;
import io.ncf.train.CheckpointDirNotEmptyException;
import io.ncf.train.BackgroundWriter;
import io.ncf.train.Checkpoints;
import io.ncf.train.RunLock;
import io.ncf.train.TrainingCancelledException;
import io.ncf.train.LossScaleLogLine;
import io.ncf.train.LossScaler;
import io.ncf.core.Precision;
import io.ncf.train.JsonLinesLog;
import io.ncf.train.MemoryEstimate;
import io.ncf.train.TrainingState;
import io.ncf.train.TrainingStateFile;
import io.ncf.train.Trainer;
import io.ncf.train.TrainingOptions;
import io.ncf.train.Recipe;
import io.ncf.train.Start;
import io.ncf.train.Optimizer;
import io.ncf.train.TrainingListener;
import io.ncf.train.TrainingSummary;
import io.ncf.train.engine.EngineProvider;
import io.ncf.train.engine.EngineSetup;
import io.ncf.train.engine.EngineState;
import io.ncf.train.engine.Feature;
import io.ncf.train.engine.TrainingEngine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code ncf train}: the seed's flags and defaults, its log lines and end-of-run statistics. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false, usageHelpWidth = 110,
        description = {"Train NeuMF (or, with --mode test, evaluate a checkpoint).",
                "Without --data it runs on a built-in demo dataset generated in memory.",
                "Defaults are the seed's, tuned for ml-20m (batch 1,048,576 samples)."})
public final class TrainCommand implements Callable<Integer> {

    static final int DEMO_BATCH = 4096;

    @Spec CommandSpec spec;

    @Option(names = "--model", defaultValue = "neumf", paramLabel = "MODEL", description = "neumf, gmf, mlp (the paper's variants), mf (dot product + bias) "
            + "or pop (item popularity: nothing to train, evaluated under both protocols) (default: ${DEFAULT-VALUE}).")
    String model;
    @Option(names = "--pretrain-gmf", paramLabel = "FILE", description = "NeuMF pre-training (the paper's §3.4.1): GMF part from this checkpoint of a --model gmf run ...")
    Path pretrainGmf;
    @Option(names = "--pretrain-mlp", paramLabel = "FILE", description = "... and MLP part from this checkpoint of a --model mlp run; final layer = [0.5 h_gmf ; 0.5 h_mlp].")
    Path pretrainMlp;
    @Option(names = "--start", paramLabel = "FROM", defaultValue = "random", description = {"Where the parameters start: random (NVIDIA's initialisation), or als: "
            + "the GMF branch from implicit ALS trained on the same positives (rank = --factors, --als-reg, --als-alpha), its scores calibrated "
            + "to logits, the MLP branch random and entering from 0, so training starts at ALS's ranking (default: ${DEFAULT-VALUE})."})
    String start;
    @Option(names = "--als-reg", paramLabel = "L", defaultValue = "1", description = "--start als: ALS regParam, scaled by each row's interactions as MLlib does (default: ${DEFAULT-VALUE}).")
    float alsReg;
    @Option(names = "--als-alpha", paramLabel = "A", defaultValue = "10", description = "--start als: ALS confidence of an observed pair is 1 + alpha (default: ${DEFAULT-VALUE}).")
    float alsAlpha;
    @Option(names = "--data", paramLabel = "DIR", description = "Dataset directory written by 'ncf prepare' (default: the built-in demo data).")
    Path data;
    @Option(names = "--recipe", paramLabel = "FILE|seed", description = {"Train with a recipe: a file written by 'ncf tune' (or by hand), or 'seed' (NVIDIA's ml-20m recipe, the defaults).",
            "It sets --model, -f, --layers, --dropout, -e, -b, -n, --optimizer, -l, --beta1, --beta2, --l2-embedding, --l2-weights, --start, --als-reg, --als-alpha; a flag given as well wins.",
            "Evaluation runs once, after the last epoch (unless --eval-after is given): the test HR is reported once, not chosen on."})
    String recipe;
    @Option(names = {"-e", "--epochs"}, paramLabel = "N", description = "Epochs (default: ${DEFAULT-VALUE}).", defaultValue = "30")
    int epochs;
    @Option(names = {"-b", "--batch-size"}, paramLabel = "N", description = "Global batch in samples; one Adam step per batch (default: 1048576; " + DEMO_BATCH + " on the demo data).")
    Integer batchSize;
    @Option(names = "--micro-batch", paramLabel = "N", description = "Samples per forward/backward pass; gradients are accumulated over a global batch, so memory is bounded whatever -b is (default: engine's choice).")
    Integer microBatch;
    @Option(names = "--valid-users-per-batch", paramLabel = "N", defaultValue = "5000", description = "Users scored per evaluation block (default: ${DEFAULT-VALUE}).")
    int validUsersPerBatch;
    @Option(names = {"-f", "--factors"}, paramLabel = "N", defaultValue = "64", description = "GMF embedding size (default: ${DEFAULT-VALUE}).")
    int factors;
    @Option(names = "--layers", arity = "2..*", paramLabel = "N", description = "MLP sizes: embedding width (user+item), then dense layers (default: 256 256 128 64).")
    int[] layers = NeuMFConfig.DEFAULT_LAYERS.clone();
    @Option(names = {"-n", "--negative-samples"}, paramLabel = "N", defaultValue = "4", description = "Negatives per positive each epoch (default: ${DEFAULT-VALUE}).")
    int negatives;
    @Option(names = {"-l", "--learning-rate"}, paramLabel = "LR", defaultValue = "0.0045", description = "Adam learning rate (default: ${DEFAULT-VALUE}).")
    float learningRate;
    @Option(names = {"-k", "--topk"}, paramLabel = "K", defaultValue = "10", description = "K of HR@K and NDCG@K (default: ${DEFAULT-VALUE}).")
    int topK;
    @Option(names = "--seed", paramLabel = "N", description = "Random seed for negatives, initial weights, dropout (default: random, printed).")
    Long seed;
    @Option(names = "--target", paramLabel = "HR", defaultValue = "0.9562", description = "HR@K to reach; the first epoch reaching it is reported (default: ${DEFAULT-VALUE}).")
    double target;
    @Option(names = "--valid-negative", paramLabel = "N", defaultValue = "100", description = "Evaluation negatives per user for the demo data; a prepared dataset keeps the count it was prepared with (default: ${DEFAULT-VALUE}).")
    int validNegative;
    @Option(names = "--optimizer", paramLabel = "NAME", defaultValue = "adam", description = "adam, or sgd (plain p -= lr*g: the paper fine-tunes a pre-trained NeuMF with it) (default: ${DEFAULT-VALUE}).") String optimizer;
    @Option(names = "--beta1", defaultValue = "0.25", description = "Adam β1 (default: ${DEFAULT-VALUE}).") float beta1;
    @Option(names = "--beta2", defaultValue = "0.5", description = "Adam β2 (default: ${DEFAULT-VALUE}).") float beta2;
    @Option(names = "--eps", defaultValue = "1e-8", description = "Adam ε (default: ${DEFAULT-VALUE}).") float eps;
    @Option(names = "--dropout", defaultValue = "0.5", description = "Dropout rate after each MLP layer (default: ${DEFAULT-VALUE}).") float dropout;
    @Option(names = "--l2-embedding", paramLabel = "L", defaultValue = "0", description = "L2 regularization of the embedding rows each step trains, as decoupled weight decay (AdamW): each step scales them by 1 - lr*L (default: ${DEFAULT-VALUE}, none).") float l2Embedding;
    @Option(names = "--l2-weights", paramLabel = "L", defaultValue = "0", description = "The same for the dense and final weights, every step (default: ${DEFAULT-VALUE}, none).") float l2Weights;
    @Option(names = "--checkpoint-dir", paramLabel = "DIR", description = "Write the best model (by HR) here as " + Checkpoints.MODEL_FILE + " and the servable artifact model.zip, atomically.")
    Path checkpointDir;
    @Option(names = "--load-checkpoint-path", paramLabel = "FILE", description = "Start from (train) or evaluate (test) this model file (model.ncf or the model.zip artifact).")
    Path loadCheckpoint;
    @Option(names = "--mode", defaultValue = "train", description = "train or test (test evaluates --load-checkpoint-path) (default: ${DEFAULT-VALUE}).")
    Mode mode;
    @Option(names = "--eval-after", paramLabel = "EPOCH", defaultValue = "8", description = "Evaluate from this 0-based epoch on (and always after the last) (default: ${DEFAULT-VALUE}).")
    int evalAfter;
    @Option(names = "--no-neg-trick", description = "Check training negatives against the user's positives (slower; default: unchecked, as the seed).")
    boolean noNegTrick;
    @Option(names = "--engine", defaultValue = "fused", paramLabel = "NAME", description = "Training engine, a plug-in: 'ncf engines' lists them and whether each runs here "
            + "(fused, samediff, cuda) (default: ${DEFAULT-VALUE}).")
    String engine;
    @Option(names = "--blas", paramLabel = "LIB", description = "BLAS for the fused engine's matrix products: auto (Intel MKL when it loads, else OpenBLAS), mkl or openblas "
            + "(default: $NCF_BLAS, else auto).")
    String blas;
    @Option(names = "--precision", paramLabel = "P", description = {"Compute precision: fp32 (default), bf16 or fp16: 16-bit matrix-product inputs with FP32 accumulation,",
            "FP32 master weights, loss and Adam; fp16 adds loss scaling (see below), bf16 needs none. The fused engine runs bf16 where the CPU has",
            "AMX-BF16 or AVX512-BF16 and fp16 where it has AMX-FP16 (both through Intel MKL), and refuses them elsewhere with the reason",
            "(NCF_HALF_FALLBACK=allow runs them anyway, at about FP32 speed); --engine cuda computes fp16, --engine samediff fp16 as ND4J HALF (~10x slower)."})
    String precisionName;
    @Option(names = "--fp16", description = "The seed's spelling of --precision fp16.")
    boolean fp16;
    /** --precision and --fp16 resolved (in call()). */
    Precision precision = Precision.FP32;
    @Option(names = "--loss-scale", paramLabel = "S", description = "Fixed loss scale (default with --fp16: dynamic, see below).")
    Float lossScale;
    @Option(names = "--loss-scale-init", paramLabel = "S", defaultValue = "32768", description = "Dynamic loss scale: initial value (default: ${DEFAULT-VALUE} = 2^15).")
    float lossScaleInit;
    @Option(names = "--loss-scale-window", paramLabel = "N", defaultValue = "2000", description = "Dynamic loss scale: double it after N consecutive steps without inf/NaN gradients; halve it and skip the step on one (default: ${DEFAULT-VALUE}).")
    int lossScaleWindow;
    @Option(names = "--loss-scale-floor", paramLabel = "S", defaultValue = "1", description = "Dynamic loss scale: stop with an error if it falls below this (default: ${DEFAULT-VALUE}).")
    float lossScaleFloor;
    @Option(names = "--workers", paramLabel = "N", defaultValue = "1", description = "Data-parallel replicas, one per device (CPU backend: threads; --engine cuda: GPUs, NCCL); the global batch is split between them (default: ${DEFAULT-VALUE}).")
    int workers;
    @Option(names = "--verbose", description = "Print a line for every epoch.") boolean verbose;
    @Option(names = "--log-path", paramLabel = "FILE", description = "Append JSON lines (parameters, one record per epoch, summary) here.")
    Path logPath;
    @Option(names = "--resume", paramLabel = "DIR", description = "Continue the run whose --checkpoint-dir is DIR from its last completed epoch, on any engine. "
            + "Its settings are reused: the run's own command line plus --resume DIR works (a flag equal to the saved value is accepted, "
            + "one that differs is refused naming both); -e may extend the run, --data may name a moved copy of the same dataset.")
    Path resume;

    @Option(names = "--overwrite", description = "Let a new run replace the run already in --checkpoint-dir (its state, model and chart are removed first).")
    boolean overwrite;

    @Option(names = "--no-chart", description = "Do not write " + TrainingChart.FILE_NAME + " (loss, HR@K, NDCG@K per epoch) into --checkpoint-dir (or the --log-path directory).")
    boolean noChart;
    @Mixin OutputOptions console;

    enum Mode { train, test }

    /** {@code --blas}: a name other than auto, mkl or openblas, or mkl where it cannot load, is a usage error. */
    static void selectBlas(String name) {
        try {
            io.ncf.core.blas.Blas.select(name);
        } catch (IllegalArgumentException e) {
            throw new NcfCli.UsageException("--blas: " + e.getMessage());
        }
    }

    /** The engine chosen by --engine (or restored by --resume). */
    EngineProvider provider;

    @Override public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (workers <= 0) throw new NcfCli.UsageException("--workers must be positive, got " + workers);
        if (recipe != null) {
            if (resume != null) throw new NcfCli.UsageException("--recipe cannot be combined with --resume (a resumed run keeps its own settings)");
            applyRecipe(out);
        }
        if (resume != null) {
            resumeRun = new ResumeRun(this);
            resumeRun.restore(); // the saved run's settings into these fields, before the engine is chosen
        }
        precision = RankingOptions.precision(precisionName, fp16);   // --fp16 is --precision fp16; both must agree
        fp16 = precision == Precision.FP16;
        provider = resolveEngine();
        return start(out);
    }

    /** --start with its --als-* settings; a bad value is a usage error naming its flag. */
    Start parseStart() {
        Start.Kind k;
        try {
            k = Start.Kind.parse(start);
        } catch (IllegalArgumentException e) {
            throw new NcfCli.UsageException("--start: " + e.getMessage());
        }
        try {
            return new Start(k, alsReg, alsAlpha, Start.DEFAULT_ALS_ITERATIONS);
        } catch (IllegalArgumentException e) {
            throw new NcfCli.UsageException(FlagNames.als(e.getMessage()));
        }
    }

    private Optimizer parseOptimizer() {
        try {
            return Optimizer.parse(optimizer);
        } catch (IllegalArgumentException e) {
            throw new NcfCli.UsageException("--optimizer: " + e.getMessage());
        }
    }

    /** Copies the recipe's values into the flags the user did not give. */
    private void applyRecipe(PrintWriter out) {
        Recipe r;
        try {
            r = Recipe.builtIn(recipe).orElseGet(() -> {
                Path f = Path.of(recipe);
                if (!Files.isRegularFile(f))
                    throw new NcfCli.UsageException("--recipe " + recipe + " is neither a file nor a built-in recipe (" + String.join(", ", Recipe.BUILT_IN) + ")");
                return Recipe.read(f);
            });
        } catch (Recipe.RecipeException e) {
            throw new NcfCli.UsageException("--recipe: " + e.getMessage());
        }
        var given = spec.commandLine().getParseResult();
        List<String> overridden = new ArrayList<>();
        java.util.function.Predicate<String> keep = flag -> {
            if (!given.hasMatchedOption(flag)) return false;
            overridden.add(flag);
            return true;
        };
        if (!keep.test("--model")) model = r.model().id();
        if (!keep.test("--factors")) factors = r.factors();
        if (!keep.test("--layers")) layers = r.layers();
        if (!keep.test("--dropout")) dropout = r.dropout();
        if (!keep.test("--epochs")) epochs = r.epochs();
        if (!keep.test("--batch-size")) batchSize = r.batchSize();
        if (!keep.test("--negative-samples")) negatives = r.negatives();
        if (!keep.test("--learning-rate")) learningRate = r.learningRate();
        if (!keep.test("--beta1")) beta1 = r.beta1();
        if (!keep.test("--beta2")) beta2 = r.beta2();
        if (!keep.test("--l2-embedding")) l2Embedding = r.embeddingL2();
        if (!keep.test("--l2-weights")) l2Weights = r.weightL2();
        if (!keep.test("--optimizer")) optimizer = r.optimizer().id();
        if (!keep.test("--start")) start = r.start().kind().id();
        if (!keep.test("--als-reg")) alsReg = r.start().alsReg();
        if (!keep.test("--als-alpha")) alsAlpha = r.start().alsAlpha();
        if (!given.hasMatchedOption("--eval-after")) evalAfter = epochs - 1;
        console.info(out).printf("Recipe %s: %s%s%n", recipe, r.describe(), overridden.isEmpty() ? "" : "; overridden by " + String.join(", ", overridden));
    }

    /** Everything after --resume's restoration: the engine's start-up lines, data, options, then train or test. */
    int start(PrintWriter out) throws Exception {
        if (blas != null) selectBlas(blas);   // first: whether a 16-bit precision runs here depends on the BLAS
        requireFeatures();
        var available = provider.availability();
        // a missing GPU or backend is a failure of the environment (exit 1), not of the flags: one line, no stack trace
        if (!available.available()) throw new IllegalStateException(available.reason());
        // one run per checkpoint directory, before any work: an OS lock, released by the OS if this process dies
        if (checkpointDir == null || mode == Mode.test) return startLocked(out);
        try (RunLock lock = RunLock.acquire(checkpointDir)) {
            if (resume == null) claimFreshDirectory();
            return startLocked(out);
        } catch (CheckpointDirInUseException | CheckpointDirNotEmptyException e) {
            throw new NcfCli.UsageException(e.getMessage());
        }
    }

    /** A new run into a directory holding another run's files needs --overwrite, which removes them first. */
    private void claimFreshDirectory() throws java.io.IOException {
        try {
            RunLock.requireFresh(checkpointDir, overwrite, TrainCommand::describeRun);
        } catch (CheckpointDirNotEmptyException e) {
            throw new NcfCli.UsageException(e.getMessage().replace("continue it with resume, or pass overwrite",
                    "continue it with --resume " + checkpointDir + ", or pass --overwrite"));
        }
        if (overwrite) // a new run that dies before its first epoch must not leave the old run's state to be resumed
            for (String f : List.of(TrainingStateFile.FILE, Checkpoints.MODEL_FILE, io.ncf.serve.ModelArtifact.FILE_NAME, TrainingChart.FILE_NAME))
                Files.deleteIfExists(checkpointDir.resolve(f));
    }

    /** What a checkpoint directory's state says of its run, for the refusal message. */
    static String describeRun(Path dir) {
        TrainingState s = TrainingStateFile.read(dir).state();
        String when;
        try {
            when = Files.getLastModifiedTime(TrainingStateFile.in(dir)).toInstant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
        } catch (java.io.IOException e) {
            when = "at an unknown time";
        }
        return s.nextEpoch() + " epoch(s) done" + (s.bestEpoch() < 0 ? "" : String.format(", best HR %.4f at epoch %d", s.bestHr(), s.bestEpoch()))
                + ", saved " + when;
    }

    private int startLocked(PrintWriter out) throws Exception {
        for (String line : provider.startupLines(precision)) console.info(out).println(line);
        if (kind == null || resume == null) kind = parseModel();
        long seedUsed = seed != null ? seed : new java.security.SecureRandom().nextLong() & 0x7fffffffffffL;
        boolean demo = data == null || (resume != null && demoResume);
        long tLoad = System.nanoTime();
        NcfDataset ds;
        if (demo) {
            ds = new Preprocessor(new Preprocessor.Options(20, validNegative, seedUsed)).requireEnoughUnseenItems().run(DemoData.raw(seedUsed));
            if (resume == null)
                console.info(out).printf("Using the built-in demo data (%,d users, %,d items, %,d training positives; generated in memory, seed %d). Use --data DIR for real data.%n",
                        ds.numUsers(), ds.numItems(), ds.trainSize(), seedUsed);
        } else {
            if (!Files.isDirectory(data))
                throw new NcfCli.UsageException(resume != null
                        ? "the run in " + resume + " trained on " + data + ", which is not a dataset directory any more; give its new place with --data"
                        : "--data " + data + " is not a dataset directory (make one with 'ncf prepare')");
            ds = DatasetStore.load(data);
            console.info(out).printf("Loaded %s in %.2f s: %,d users, %,d items, %,d training positives, %d evaluation negatives per user.%n",
                    data, (System.nanoTime() - tLoad) / 1e9, ds.numUsers(), ds.numItems(), ds.trainSize(), ds.candidates().negativesPerUser());
            if (resume == null && spec.commandLine().getParseResult().hasMatchedOption("--valid-negative") && validNegative != ds.candidates().negativesPerUser())
                throw new NcfCli.UsageException("--valid-negative " + validNegative + " differs from the " + ds.candidates().negativesPerUser()
                        + " negatives the dataset " + data + " was prepared with; re-run 'ncf prepare --valid-negative " + validNegative + "'");
        }
        if (kind == null) return popularity(out, ds);
        if (resume != null) return resumeRun.continueOn(out, ds, demo);
        int batch = batchSize != null ? batchSize : demo ? DEMO_BATCH : TrainingOptions.DEFAULT_BATCH;
        if (demo && batchSize == null) console.info(out).printf("Demo data: using -b %d (the seed's default of 1048576 is tuned for ml-20m).%n", batch);
        TrainingOptions opts = new TrainingOptions(epochs, batch, negatives, learningRate, beta1, beta2, eps, topK, validUsersPerBatch,
                evalAfter, target, noNegTrick, seedUsed, microBatch != null ? microBatch : provider.defaultMicroBatch(), l2Embedding, l2Weights, parseOptimizer());
        NeuMFConfig config = new NeuMFConfig(ds.numUsers(), ds.numItems(), factors, layers, dropout);
        return mode == Mode.test ? test(out, ds, config, opts) : train(out, ds, config, opts, demo);
    }

    /** Set by --resume (ResumeRun) while it rebuilds the run. */
    ResumeRun resumeRun;
    boolean demoResume;

    /**
     * --engine through the registry. A 16-bit precision on the default engine (fused) runs where the CPU has 16-bit
     * matrix hardware and is refused elsewhere (requireFeatures), never silently slower than FP32.
     */
    private EngineProvider resolveEngine() {
        return EnginesCommand.named(engine);
    }

    /** The flags given that the engine lacks, refused by name with the engine's reason (exit 2), before any work. */
    private void requireFeatures() {
        var given = spec.commandLine().getParseResult();
        try {
            provider.requirePrecision(precision);
            if (workers > 1) provider.require(Feature.WORKERS);
            if (noNegTrick) provider.require(Feature.CHECKED_NEGATIVES);
            if (microBatch != null) provider.require(Feature.MICRO_BATCH);
            if (l2Embedding > 0 || l2Weights > 0) provider.require(Feature.REGULARIZATION);
            if (parseOptimizer() == Optimizer.SGD) provider.require(Feature.SGD);
            if (mode == Mode.test) provider.require(Feature.MODE_TEST);
            if (resume != null) provider.require(Feature.RESUME);
            if (loadCheckpoint != null) provider.require(Feature.LOAD_CHECKPOINT);
            if (pretrainGmf != null || pretrainMlp != null) provider.require(Feature.PRETRAINING);
            if (given.hasMatchedOption("--model") && !"neumf".equalsIgnoreCase(model) && !"pop".equalsIgnoreCase(model))
                provider.require(Feature.MODEL_VARIANTS);
            if (lossScale != null) provider.require(Feature.LOSS_SCALING);
        } catch (IllegalArgumentException e) {
            throw EnginesCommand.refusal(e);
        }
    }

    private int test(PrintWriter out, NcfDataset ds, NeuMFConfig config, TrainingOptions opts) {
        Path file = loadCheckpoint != null ? loadCheckpoint : checkpointDir != null ? checkpointDir.resolve(Checkpoints.MODEL_FILE) : null;
        if (file == null) throw new NcfCli.UsageException("--mode test needs --load-checkpoint-path FILE (or --checkpoint-dir DIR holding " + Checkpoints.MODEL_FILE + ")");
        Checkpoints.Loaded loaded = Checkpoints.load(file, config, explicitShapeFlags());
        out.printf("Model: %s (from %s)%n", loaded.kind(), file);
        EngineSetup setup = new EngineSetup(ds, loaded.config(), loaded.kind(), opts, precision, workers, LossScaler.none(),
                EngineState.initial(loaded.config(), loaded.flat()));
        try (TrainingEngine e = provider.open(setup)) {
            EvalResult r = e.evaluate(console.progress(spec.commandLine().getErr()));
            out.printf("Eval Time = %.4f, HR@%d = %.4f, NDCG@%d = %.4f%n", r.seconds(), opts.topK(), r.hitRate(), opts.topK(), r.ndcg());
            out.printf("Eval Throughput = %,.0f samples/s (%,d users × %d candidates)%n", r.samplesPerSecond(), r.users(), ds.candidates().width());
        }
        return NcfCli.EXIT_OK;
    }

    /** Which shape flags the user typed (a checkpoint that disagrees with them is refused). */
    private List<String> explicitShapeFlags() {
        List<String> given = new ArrayList<>();
        for (String f : List.of("--factors", "--layers", "--dropout"))
            if (spec.commandLine().getParseResult().hasMatchedOption(f)) given.add(f);
        return given;
    }

    private int train(PrintWriter out, NcfDataset ds, NeuMFConfig config, TrainingOptions opts, boolean demo) throws Exception {
        MemoryEstimate.of(ds, config, opts, opts.microBatch()).requireFits();
        float[] params;
        if (pretrainGmf != null) {
            Checkpoints.Loaded l = Checkpoints.loadPretrained(pretrainGmf, pretrainMlp, config, explicitShapeFlags());
            config = l.config();
            params = l.flat();
        } else if (loadCheckpoint != null) {
            Checkpoints.Loaded l = Checkpoints.load(loadCheckpoint, config, explicitShapeFlags());
            if (l.kind() != kind && spec.commandLine().getParseResult().hasMatchedOption("--model"))
                throw new NcfCli.UsageException("--load-checkpoint-path " + loadCheckpoint + " holds a " + l.kind() + " model, not --model " + kind);
            kind = l.kind();
            config = l.config();
            params = l.flat();
        } else {
            Start s = parseStart();
            if (s.kind() == Start.Kind.ALS)
                console.info(out).printf("Start: %s, rank %d, on the %,d training positives%n", s.describe(), config.factors(), ds.trainSize());
            long t0 = System.nanoTime();
            params = s.parameters(ds, config, kind, opts.seed(), Runtime.getRuntime().availableProcessors(), console.progress(spec.commandLine().getErr()));
            if (s.kind() == Start.Kind.ALS) console.info(out).printf("ALS start ready in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        }
        return run(out, ds, config, opts, demo, null, EngineState.initial(config, params));
    }

    /** Trains from {@code initial} (or from {@code state}, whose engine state it is); saves a state each epoch with --checkpoint-dir. */
    int run(PrintWriter out, NcfDataset ds, NeuMFConfig config, TrainingOptions opts, boolean demo, TrainingState state, EngineState initial) throws Exception {
        List<TrainingListener> listeners = new ArrayList<>();
        listeners.add(new SeedLogLines(out, opts.topK(), verbose));
        JsonLinesLog json = null;
        LossScaler scaler = lossScaler();
        EngineSetup setup = new EngineSetup(ds, config, kind, opts, precision, workers, scaler, initial);
        console.info(out).printf("Model: %s%s %s, %,d parameters; engine %s; seed %d%n", kind, pretrainGmf != null ? " (pre-trained)" : "", config,
                config.parameterCount(), provider.name(), opts.seed());
        // checkpoints are written behind the training: the next epoch runs while the last one's files reach the disk
        try (TrainingEngine e = provider.open(setup); BackgroundWriter writes = new BackgroundWriter(2)) {
            console.info(out).printf("Engine: %s%n", e.describe());
            if (workers > 1 || scaler.isActive())
                console.info(out).printf("Workers: %d; %s%n", workers, scaler);
            if (logPath != null) {
                Map<String, Object> p = parameters(ds, config, opts, demo);
                p.put("fp16", fp16);
                p.put("precision", precision.id());
                p.put("workers", workers);
                p.put("engine_detail", e.describe());
                p.putAll(provider.logParameters(fp16));
                json = new JsonLinesLog(logPath, p);
                listeners.add(json);
            }
            if (scaler.isActive()) {
                if (verbose) listeners.add(new LossScaleLogLine(out, scaler));
                if (json != null) json.addEpochFields(() -> Map.of("loss_scale", scaler.lossScale(), "skipped_steps", scaler.skippedThisEpoch()));
            }
            if (checkpointDir != null) {
                TrainingListener best = Checkpoints.bestModelWriter(checkpointDir, ds, opts, demo, kind);
                listeners.add(new TrainingListener() { // the parameters handed over are the engine's copy: the writer may keep them
                    @Override public void onNewBest(io.ncf.train.EpochReport r, NeuMFConfig c, float[] p) { writes.submit(() -> best.onNewBest(r, c, p)); }
                });
            }
            Trainer trainer = new Trainer(e, config, opts, listeners, state);
            trainer.progress(console.progress(spec.commandLine().getErr()));
            if (checkpointDir != null) {
                Map<String, String> run = ResumeRun.runMetadata(this, ds, config, demo);
                trainer.onEpochState(st -> writes.submit(() -> TrainingStateFile.write(checkpointDir, st, opts, run)));
            }
            TrainingSummary s;
            try (writes; StopSignals stop = StopSignals.install(trainer::cancel, spec.commandLine().getErr())) {
                try {
                    s = trainer.train();
                } catch (TrainingCancelledException c) {
                    // the step in flight finished (no native work is cut off); the last completed epoch's state stands
                    writes.flush();
                    out.flush();
                    PrintWriter err = spec.commandLine().getErr();
                    err.println("ncf: stopped by " + stop.signalName() + " in epoch " + c.epoch() + " (step " + c.step() + "); "
                            + (checkpointDir == null ? "nothing was saved (no --checkpoint-dir)."
                            : c.completedEpochs() == 0 && state == null ? "no epoch completed, nothing to resume."
                            : "the state after epoch " + (c.completedEpochs() - 1) + " is kept in " + checkpointDir + ". Continue with: ncf train --resume " + checkpointDir));
                    err.flush();
                    return stop.exitCode();
                }
            }
            if (checkpointDir != null && s.bestEpoch() >= 0)
                out.println("Best model: " + checkpointDir.resolve(Checkpoints.MODEL_FILE).toAbsolutePath());
            if (checkpointDir != null && s.bestEpoch() >= 0)
                out.println("Model artifact (for 'ncf recommend' / 'ncf evaluate'): " + checkpointDir.resolve(io.ncf.serve.ModelArtifact.FILE_NAME).toAbsolutePath());
            Path chartDir = checkpointDir != null ? checkpointDir : logPath != null ? logPath.toAbsolutePath().getParent() : null;
            if (!noChart && chartDir != null && !s.epochs().isEmpty()) {
                try {
                    out.println("Training chart: " + TrainingChart.write(s.epochs(), opts.topK(), chartDir.resolve(TrainingChart.FILE_NAME)).toAbsolutePath());
                } catch (LinkageError noDesktop) {
                    // a Java runtime without java.desktop (the GPU bundle's jlink'd JRE) cannot draw; the run itself is complete
                    out.println("Training chart: not drawn (this Java runtime has no java.desktop module); the JSON log has the same numbers");
                }
            }
        } finally {
            if (json != null) json.close();
        }
        return NcfCli.EXIT_OK;
    }

    /** The variant to train (null: pop); --resume restores it from the state. */
    ModelKind kind = ModelKind.NEUMF;

    /** --model and the flags that go with it; null for pop. */
    private ModelKind parseModel() {
        boolean pre = pretrainGmf != null || pretrainMlp != null;
        if (pre && (pretrainGmf == null || pretrainMlp == null))
            throw new NcfCli.UsageException("pre-training needs both --pretrain-gmf FILE and --pretrain-mlp FILE");
        if (model.equalsIgnoreCase("pop")) {
            for (String f : List.of("--pretrain-gmf", "--load-checkpoint-path", "--checkpoint-dir", "--fp16", "--workers"))
                if (spec.commandLine().getParseResult().hasMatchedOption(f))
                    throw new NcfCli.UsageException("--model pop has no parameters: " + f + " does not apply (the artifact's popularity fallback serves it)");
            return null;
        }
        ModelKind k;
        try {
            k = ModelKind.parse(model);
        } catch (IllegalArgumentException e) {
            throw new NcfCli.UsageException("--model: " + e.getMessage().replace(" or mf)", ", mf or pop)"));
        }
        if (pre && k != ModelKind.NEUMF) throw new NcfCli.UsageException("--pretrain-gmf/--pretrain-mlp initialise --model neumf, not " + k);
        if (pre && (loadCheckpoint != null || mode == Mode.test))
            throw new NcfCli.UsageException("--pretrain-gmf/--pretrain-mlp start a new training run; drop --load-checkpoint-path / --mode test");
        Start s = parseStart();
        if (s.kind() == Start.Kind.ALS) {
            if (pre || loadCheckpoint != null || mode == Mode.test)
                throw new NcfCli.UsageException("--start als starts a new run from ALS; it cannot be combined with --pretrain-gmf/--pretrain-mlp, --load-checkpoint-path or --mode test");
            if (!s.fits(k)) throw new NcfCli.UsageException("--start als sets the GMF branch, which --model " + k + " does not have");
        }
        return k;
    }

    /** --model pop: training-set item counts, evaluated under both protocols. */
    private int popularity(PrintWriter out, NcfDataset ds) {
        int[] ks = {topK};
        out.println("Model: pop (training interactions per item, the same for every user; nothing to train)");
        for (RankingReport r : List.of(RankingProtocols.sampled(ds, RankingProtocols.popularity(ds), ks),
                RankingProtocols.full(ds, RankingProtocols.popularity(ds), ks, RankingProtocols.DEFAULT_FULL_USERS_PER_BLOCK)))
            out.printf("%s: HR@%d = %.4f, NDCG@%d = %.4f (%,d users, %.2f s)%n", r.protocol(), topK, r.hitRate(topK), topK, r.ndcg(topK), r.users(), r.seconds());
        return NcfCli.EXIT_OK;
    }

    /** The loss scaler: fixed with --loss-scale, dynamic with --fp16, none otherwise (the engine restores a resumed scale). */
    private LossScaler lossScaler() {
        try {
            if (lossScale != null) return LossScaler.fixed(lossScale);
            if (fp16) return LossScaler.dynamic(lossScaleInit, lossScaleWindow, lossScaleFloor);
            return LossScaler.none();
        } catch (IllegalArgumentException e) {
            throw new NcfCli.UsageException(e.getMessage());
        }
    }

    Map<String, Object> parameters(NcfDataset ds, NeuMFConfig c, TrainingOptions o, boolean demo) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("model", kind.id());
        p.put("pretrained", pretrainGmf != null);
        p.put("data", demo ? "demo" : data.toString());
        p.put("users", ds.numUsers());
        p.put("items", ds.numItems());
        p.put("train_positives", ds.trainSize());
        p.put("epochs", o.epochs());
        p.put("batch_size", o.batchSize());
        p.put("micro_batch", o.microBatch());
        p.put("valid_users_per_batch", o.validUsersPerBatch());
        p.put("factors", c.factors());
        p.put("layers", c.layers());
        p.put("negative_samples", o.negatives());
        p.put("learning_rate", o.learningRate());
        p.put("topk", o.topK());
        p.put("seed", o.seed());
        p.put("target", o.target());
        p.put("valid_negative", ds.candidates().negativesPerUser());
        p.put("beta1", o.beta1());
        p.put("beta2", o.beta2());
        p.put("eps", o.eps());
        p.put("dropout", c.dropout());
        p.put("l2_embedding", o.embeddingL2());
        p.put("l2_weights", o.weightL2());
        p.put("optimizer", o.optimizer().id());
        Start s = parseStart();
        p.put("start", s.kind().id());
        if (s.kind() == Start.Kind.ALS) {
            p.put("als_reg", alsReg);
            p.put("als_alpha", alsAlpha);
        }
        p.put("eval_after", o.evalAfter());
        p.put("no_neg_trick", o.verifyNegatives());
        p.put("engine", provider.name());
        p.put("parameters", c.parameterCount());
        return p;
    }

    /** Prints the seed's lines: optional per-epoch line, "New Best Epoch", and the end-of-run block. */
    static final class SeedLogLines implements TrainingListener {
        private final PrintWriter out;
        private final int k;
        private final boolean verbose;

        SeedLogLines(PrintWriter out, int k, boolean verbose) { this.out = out; this.k = k; this.verbose = verbose; }

        @Override public void onWarning(String message) { out.println("WARNING: " + message); }

        @Override public void onEpoch(io.ncf.train.EpochReport r) {
            if (verbose) {
                if (r.evaluated())
                    out.printf("Epoch: %02d, Train Time: %.4f, Eval Time: %.4f, HR: %.4f, NDCG: %.4f, Loss: %.4f%n",
                            r.epoch(), r.trainSeconds(), r.evalSeconds(), r.hitRate(), r.ndcg(), r.loss());
                else
                    out.printf("Epoch: %02d, Train Time: %.4f, Loss: %.4f (not evaluated before --eval-after)%n", r.epoch(), r.trainSeconds(), r.loss());
            }
            if (r.newBest())
                out.printf("New Best Epoch: %02d, Train Time: %.4f, Eval Time: %.4f, HR: %.4f, NDCG: %.4f%n",
                        r.epoch(), r.trainSeconds(), r.evalSeconds(), r.hitRate(), r.ndcg());
            out.flush();
        }

        @Override public void onEnd(TrainingSummary s) {
            out.println();
            out.printf("Minimum Train Time per Epoch: %.4f%n", s.minTrainTime());
            out.printf("Average Train Time per Epoch: %.4f%n", s.avgTrainTime());
            out.printf("Average Train Throughput:     %.4f%n", s.avgTrainThroughput());
            out.printf("Minimum Eval Time per Epoch:  %.4f%n", s.minEvalTime());
            out.printf("Average Eval Time per Epoch:  %.4f%n", s.avgEvalTime());
            out.printf("Average Eval Throughput:      %.4f%n", s.avgEvalThroughput());
            out.printf("First Epoch to hit:           %s%n", s.firstEpochToHit() < 0 ? "None" : Integer.toString(s.firstEpochToHit()));
            out.printf("Time to Train:                %s%n", Double.isNaN(s.timeToTrain()) ? "None" : String.format("%.4f", s.timeToTrain()));
            out.printf("Time to Best:                 %.4f%n", s.timeToBest());
            out.printf("Best HR:                      %.4f%n", s.bestHitRate());
            out.printf("Best NDCG:                    %.4f%n", s.bestNdcg());
            out.printf("Best Epoch:                   %d%n", s.bestEpoch());
            out.flush();
        }
    }
}
