package io.ncf.cli;

import io.ncf.data.NcfDataset;
import io.ncf.model.ModelKind;
import io.ncf.core.NeuMFConfig;
import io.ncf.train.engine.EngineState;
import io.ncf.train.MemoryEstimate;
import io.ncf.train.ResumeConflictException;
import io.ncf.train.ResumeSettings;
import io.ncf.train.TrainingOptions;
import io.ncf.train.TrainingState;
import io.ncf.train.TrainingStateFile;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code ncf train --resume DIR}: rebuilds the run recorded in {@code DIR/state.ncf} (same data, options,
 * engine and seed) and continues it from the next epoch, still saving a state per epoch into DIR.
 */
final class ResumeRun {

    private final TrainCommand cmd;

    ResumeRun(TrainCommand cmd) { this.cmd = cmd; }

    /** What a resumed run needs besides the options: where the data came from and which engine computed. */
    static Map<String, String> runMetadata(TrainCommand c, NcfDataset ds, NeuMFConfig config, boolean demo) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("data", demo ? "demo" : c.data.toAbsolutePath().toString());
        m.put("valid_negative", Integer.toString(ds.candidates().negativesPerUser()));
        m.put("engine", c.provider.name());
        m.put(ModelKind.METADATA_KEY, c.kind.id());
        m.put("fp16", Boolean.toString(c.fp16));
        m.put("precision", c.precision.id());
        if (c.lossScale != null) m.put("loss_scale_fixed", Integer.toString(Float.floatToRawIntBits(c.lossScale)));
        m.put("loss_scale_init", Integer.toString(Float.floatToRawIntBits(c.lossScaleInit)));
        m.put("loss_scale_window", Integer.toString(c.lossScaleWindow));
        m.put("loss_scale_floor", Integer.toString(Float.floatToRawIntBits(c.lossScaleFloor)));
        m.put("dropout", Integer.toString(Float.floatToRawIntBits(config.dropout())));
        m.put("users", Integer.toString(ds.numUsers()));
        m.put("items", Integer.toString(ds.numItems()));
        m.put("train_positives", Integer.toString(ds.trainSize()));
        m.put("workers", Integer.toString(c.workers));
        m.put("factors", Integer.toString(config.factors()));
        m.put("layers", ResumeSettings.canonical(config.layers()));
        if (c.pretrainGmf != null) m.put("pretrain_gmf", c.pretrainGmf.toAbsolutePath().normalize().toString());
        if (c.pretrainMlp != null) m.put("pretrain_mlp", c.pretrainMlp.toAbsolutePath().normalize().toString());
        if (c.loadCheckpoint != null) m.put("load_checkpoint", c.loadCheckpoint.toAbsolutePath().normalize().toString());
        return m;
    }

    private TrainingStateFile.Loaded loaded;
    private TrainingOptions opts;

    /** Reads the state and puts the saved run's settings into the command (engine, model, data, seed, precision). */
    void restore() {
        var given = cmd.spec.commandLine().getParseResult();
        if (cmd.mode != TrainCommand.Mode.train) throw new NcfCli.UsageException("--resume works with --mode train only");
        if (cmd.checkpointDir != null && !cmd.checkpointDir.toAbsolutePath().normalize().equals(cmd.resume.toAbsolutePath().normalize()))
            throw new NcfCli.UsageException("--resume " + cmd.resume + " keeps writing into that directory; drop --checkpoint-dir " + cmd.checkpointDir);
        loaded = TrainingStateFile.read(cmd.resume);
        Map<String, String> run = loaded.run();
        opts = loaded.options();
        // the same command line plus --resume must work: a flag equal to the saved value is fine, one that differs is
        // refused with both values (the rule is ncf-train's ResumeSettings; here only the flags' names and values)
        try {
            ResumeSettings.require(savedSettings(opts, run), givenSettings(given), loaded.state().nextEpoch());
        } catch (ResumeConflictException e) {
            throw new NcfCli.UsageException("--resume " + cmd.resume + ": " + e.message(ResumeRun::flagOf));
        }
        if (given.hasMatchedOption("--epochs")) opts = opts.withEpochs(cmd.epochs);
        String source = require(run, "data");
        cmd.demoResume = "demo".equals(source) && cmd.data == null;
        if (!cmd.demoResume && cmd.data == null) cmd.data = Path.of(source);
        cmd.validNegative = Integer.parseInt(require(run, "valid_negative"));
        cmd.seed = opts.seed();
        cmd.kind = ModelKind.fromMetadata(run); // states written before variants existed are NeuMF
        if (!given.hasMatchedOption("--engine")) cmd.engine = require(run, "engine");
        if (!given.hasMatchedOption("--workers") && run.containsKey("workers")) cmd.workers = Integer.parseInt(run.get("workers"));
        cmd.checkpointDir = cmd.resume;
        restoreLossScaling(run);
    }

    /** Continues on the loaded dataset, which must be the one the run trained on. */
    int continueOn(PrintWriter out, NcfDataset ds, boolean demo) throws Exception {
        Map<String, String> run = loaded.run();
        if (!demo && !Files.isDirectory(cmd.data))
            throw new NcfCli.UsageException("the run in " + cmd.resume + " trained on " + cmd.data + ", which is not a dataset directory any more; give its new place with --data");
        String fingerprint = ds.numUsers() + " users, " + ds.numItems() + " items, " + ds.trainSize() + " training positives, "
                + ds.candidates().negativesPerUser() + " evaluation negatives";
        String recorded = run.get("users") + " users, " + run.get("items") + " items, " + run.get("train_positives") + " training positives, "
                + run.get("valid_negative") + " evaluation negatives";
        if (!fingerprint.equals(recorded))
            throw new NcfCli.UsageException("the dataset (" + fingerprint + ") is not the one the run in " + cmd.resume + " trained on (" + recorded + ")");
        TrainingState s = loaded.state();
        NeuMFConfig config = s.engine().config().withDropout(Float.intBitsToFloat(Integer.parseInt(require(run, "dropout"))));
        EngineState es = s.engine();
        es = new EngineState(config, es.params(), es.adamM(), es.adamV(), es.adamStep(), es.lossScale(), es.lossScaleGoodSteps());
        s = new TrainingState(s.nextEpoch(), s.globalStep(), s.bestHr(), s.bestNdcg(), s.bestEpoch(), s.firstToHit(),
                s.timeToTrain(), s.timeToBest(), s.elapsedSeconds(), es);
        if (s.nextEpoch() >= opts.epochs()) {
            out.printf("The run in %s already completed all %d epochs (best HR %.4f at epoch %d); give -e N to train longer.%n",
                    cmd.resume, opts.epochs(), s.bestHr(), s.bestEpoch());
            return NcfCli.EXIT_OK;
        }
        MemoryEstimate.of(ds, config, opts, opts.microBatch()).requireFits();
        out.printf("Resuming %s at epoch %d of %d (Adam step %d%s).%n", cmd.resume, s.nextEpoch(), opts.epochs(), s.adamStep(),
                s.bestEpoch() < 0 ? "" : String.format(", best HR %.4f at epoch %d", s.bestHr(), s.bestEpoch()));
        return cmd.run(out, ds, config, opts, demo, s, es);
    }

    static String flagOf(String parameter) { return FlagNames.flagOf(parameter); }

    /** The saved run's settings under the library's parameter names. */
    private static Map<String, String> savedSettings(TrainingOptions o, Map<String, String> run) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("epochs", Integer.toString(o.epochs()));
        m.put("batchSize", Integer.toString(o.batchSize()));
        m.put("learningRate", ResumeSettings.canonical(o.learningRate()));
        m.put("seed", Long.toString(o.seed()));
        m.put("negatives", Integer.toString(o.negatives()));
        m.put("beta1", ResumeSettings.canonical(o.beta1()));
        m.put("beta2", ResumeSettings.canonical(o.beta2()));
        m.put("eps", ResumeSettings.canonical(o.eps()));
        m.put("topK", Integer.toString(o.topK()));
        m.put("evalAfter", Integer.toString(o.evalAfter()));
        m.put("target", ResumeSettings.canonical(o.target()));
        m.put("verifyNegatives", Boolean.toString(o.verifyNegatives()));
        m.put("microBatch", Integer.toString(o.microBatch()));
        m.put("validUsersPerBatch", Integer.toString(o.validUsersPerBatch()));
        m.put("embeddingL2", ResumeSettings.canonical(o.embeddingL2()));
        m.put("weightL2", ResumeSettings.canonical(o.weightL2()));
        m.put("optimizer", o.optimizer().id());
        if (run.containsKey("engine")) m.put("engine", run.get("engine"));
        m.put("model", ModelKind.fromMetadata(run).id());
        if (run.containsKey("dropout")) m.put("dropout", ResumeSettings.floatFromBits(run.get("dropout")));
        if (run.containsKey("fp16")) m.put("fp16", run.get("fp16"));
        // runs saved before --precision: FP16 or FP32 by their fp16 flag
        m.put("precision", run.getOrDefault("precision", Boolean.parseBoolean(run.getOrDefault("fp16", "false")) ? "fp16" : "fp32"));
        m.put("lossScale", run.containsKey("loss_scale_fixed") ? ResumeSettings.floatFromBits(run.get("loss_scale_fixed")) : "dynamic");
        if (run.containsKey("loss_scale_init")) m.put("lossScaleInit", ResumeSettings.floatFromBits(run.get("loss_scale_init")));
        if (run.containsKey("loss_scale_window")) m.put("lossScaleWindow", run.get("loss_scale_window"));
        if (run.containsKey("loss_scale_floor")) m.put("lossScaleFloor", ResumeSettings.floatFromBits(run.get("loss_scale_floor")));
        if (run.containsKey("valid_negative")) m.put("validNegative", run.get("valid_negative"));
        for (String[] k : new String[][]{{"workers", "workers"}, {"factors", "factors"}, {"layers", "layers"}, {"pretrain_gmf", "pretrainGmf"},
                {"pretrain_mlp", "pretrainMlp"}, {"load_checkpoint", "loadCheckpoint"}})
            if (run.containsKey(k[0])) m.put(k[1], run.get(k[0]));
        return m;
    }

    /** The settings the user typed on the resuming command line, under the library's names. */
    private Map<String, String> givenSettings(picocli.CommandLine.ParseResult given) {
        Map<String, String> m = new LinkedHashMap<>();
        if (given.hasMatchedOption("--epochs")) m.put("epochs", Integer.toString(cmd.epochs));
        if (given.hasMatchedOption("--batch-size")) m.put("batchSize", Integer.toString(cmd.batchSize));
        if (given.hasMatchedOption("--learning-rate")) m.put("learningRate", ResumeSettings.canonical(cmd.learningRate));
        if (given.hasMatchedOption("--seed")) m.put("seed", Long.toString(cmd.seed));
        if (given.hasMatchedOption("--negative-samples")) m.put("negatives", Integer.toString(cmd.negatives));
        if (given.hasMatchedOption("--beta1")) m.put("beta1", ResumeSettings.canonical(cmd.beta1));
        if (given.hasMatchedOption("--beta2")) m.put("beta2", ResumeSettings.canonical(cmd.beta2));
        if (given.hasMatchedOption("--eps")) m.put("eps", ResumeSettings.canonical(cmd.eps));
        if (given.hasMatchedOption("--topk")) m.put("topK", Integer.toString(cmd.topK));
        if (given.hasMatchedOption("--eval-after")) m.put("evalAfter", Integer.toString(cmd.evalAfter));
        if (given.hasMatchedOption("--target")) m.put("target", ResumeSettings.canonical(cmd.target));
        if (given.hasMatchedOption("--no-neg-trick")) m.put("verifyNegatives", Boolean.toString(cmd.noNegTrick));
        if (given.hasMatchedOption("--micro-batch")) m.put("microBatch", Integer.toString(cmd.microBatch));
        if (given.hasMatchedOption("--valid-users-per-batch")) m.put("validUsersPerBatch", Integer.toString(cmd.validUsersPerBatch));
        if (given.hasMatchedOption("--engine")) m.put("engine", cmd.engine);
        if (given.hasMatchedOption("--model")) m.put("model", cmd.model);
        if (given.hasMatchedOption("--dropout")) m.put("dropout", ResumeSettings.canonical(cmd.dropout));
        if (given.hasMatchedOption("--l2-embedding")) m.put("embeddingL2", ResumeSettings.canonical(cmd.l2Embedding));
        if (given.hasMatchedOption("--l2-weights")) m.put("weightL2", ResumeSettings.canonical(cmd.l2Weights));
        if (given.hasMatchedOption("--optimizer")) m.put("optimizer", cmd.optimizer.toLowerCase(java.util.Locale.ROOT));
        if (given.hasMatchedOption("--fp16")) m.put("fp16", Boolean.toString(cmd.fp16));
        if (given.hasMatchedOption("--precision")) m.put("precision", cmd.precisionName.trim().toLowerCase(java.util.Locale.ROOT));
        if (given.hasMatchedOption("--loss-scale")) m.put("lossScale", ResumeSettings.canonical(cmd.lossScale));
        if (given.hasMatchedOption("--loss-scale-init")) m.put("lossScaleInit", ResumeSettings.canonical(cmd.lossScaleInit));
        if (given.hasMatchedOption("--loss-scale-window")) m.put("lossScaleWindow", Integer.toString(cmd.lossScaleWindow));
        if (given.hasMatchedOption("--loss-scale-floor")) m.put("lossScaleFloor", ResumeSettings.canonical(cmd.lossScaleFloor));
        if (given.hasMatchedOption("--valid-negative")) m.put("validNegative", Integer.toString(cmd.validNegative));
        if (given.hasMatchedOption("--workers")) m.put("workers", Integer.toString(cmd.workers));
        if (given.hasMatchedOption("--factors")) m.put("factors", Integer.toString(cmd.factors));
        if (given.hasMatchedOption("--layers")) m.put("layers", ResumeSettings.canonical(cmd.layers));
        if (given.hasMatchedOption("--pretrain-gmf")) m.put("pretrainGmf", cmd.pretrainGmf.toAbsolutePath().normalize().toString());
        if (given.hasMatchedOption("--pretrain-mlp")) m.put("pretrainMlp", cmd.pretrainMlp.toAbsolutePath().normalize().toString());
        if (given.hasMatchedOption("--load-checkpoint-path")) m.put("loadCheckpoint", cmd.loadCheckpoint.toAbsolutePath().normalize().toString());
        if (given.hasMatchedOption("--data")) m.put("data", cmd.data.toString());
        return m;
    }

    /** Mixed-precision settings and the loss scale reached, so a resumed FP16 run scales as the original would. */
    private void restoreLossScaling(Map<String, String> run) {
        cmd.fp16 = Boolean.parseBoolean(run.getOrDefault("fp16", "false"));
        cmd.precisionName = run.get("precision");
        if (run.containsKey("loss_scale_fixed")) cmd.lossScale = Float.intBitsToFloat(Integer.parseInt(run.get("loss_scale_fixed")));
        if (run.containsKey("loss_scale_init")) {
            cmd.lossScaleInit = Float.intBitsToFloat(Integer.parseInt(run.get("loss_scale_init")));
            cmd.lossScaleWindow = Integer.parseInt(require(run, "loss_scale_window"));
            cmd.lossScaleFloor = Float.intBitsToFloat(Integer.parseInt(require(run, "loss_scale_floor")));
        }
    }

    private String require(Map<String, String> run, String key) {
        String v = run.get(key);
        if (v == null) throw new NcfCli.UsageException(TrainingStateFile.in(cmd.resume) + " lacks the run setting '" + key + "'; it cannot be resumed");
        return v;
    }
}
