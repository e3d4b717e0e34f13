package io.ncf.cli;

import io.ncf.data.DatasetStore;
import io.ncf.data.DemoData;
import io.ncf.data.NcfDataset;
import io.ncf.data.Preprocessor;
import io.ncf.model.ModelKind;
import io.ncf.model.NeuMFConfig;
import io.ncf.model.ParamSet;
import io.ncf.train.EngineKind;
import io.ncf.train.MemoryEstimate;
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
        m.put("engine", c.engine.toString());
        m.put(ModelKind.METADATA_KEY, c.kind.id());
        m.put("fp16", Boolean.toString(c.fp16));
        if (c.lossScale != null) m.put("loss_scale_fixed", Integer.toString(Float.floatToRawIntBits(c.lossScale)));
        m.put("loss_scale_init", Integer.toString(Float.floatToRawIntBits(c.lossScaleInit)));
        m.put("loss_scale_window", Integer.toString(c.lossScaleWindow));
        m.put("loss_scale_floor", Integer.toString(Float.floatToRawIntBits(c.lossScaleFloor)));
        m.put("dropout", Integer.toString(Float.floatToRawIntBits(config.dropout())));
        m.put("users", Integer.toString(ds.numUsers()));
        m.put("items", Integer.toString(ds.numItems()));
        m.put("train_positives", Integer.toString(ds.trainSize()));
        return m;
    }

    int call(PrintWriter out) throws Exception {
        var given = cmd.spec.commandLine().getParseResult();
        for (String f : new String[]{"--model", "--pretrain-gmf", "--pretrain-mlp", "--factors", "--layers", "--load-checkpoint-path", "-b", "--learning-rate", "--seed", "--negative-samples", "--dropout",
                "--fp16", "--loss-scale", "--loss-scale-init", "--loss-scale-window", "--loss-scale-floor"})
            if (given.hasMatchedOption(f))
                throw new NcfCli.UsageException("--resume continues a run with its own settings; " + f + " cannot be changed (only -e, --data, --log-path, --verbose)");
        if (cmd.mode != TrainCommand.Mode.train) throw new NcfCli.UsageException("--resume works with --mode train only");
        if (cmd.checkpointDir != null && !cmd.checkpointDir.toAbsolutePath().normalize().equals(cmd.resume.toAbsolutePath().normalize()))
            throw new NcfCli.UsageException("--resume " + cmd.resume + " keeps writing into that directory; drop --checkpoint-dir " + cmd.checkpointDir);
        TrainingStateFile.Loaded l = TrainingStateFile.read(cmd.resume);
        Map<String, String> run = l.run();
        TrainingOptions opts = l.options();
        if (given.hasMatchedOption("--epochs")) opts = opts.withEpochs(cmd.epochs);
        String source = require(run, "data");
        boolean demo = "demo".equals(source) && cmd.data == null;
        NcfDataset ds;
        if (demo) {
            ds = new Preprocessor(new Preprocessor.Options(20, Integer.parseInt(require(run, "valid_negative")), opts.seed())).run(DemoData.raw(opts.seed()));
        } else {
            if (cmd.data == null) cmd.data = Path.of(source);
            if (!Files.isDirectory(cmd.data))
                throw new NcfCli.UsageException("the run in " + cmd.resume + " trained on " + cmd.data + ", which is not a dataset directory any more; give its new place with --data");
            ds = DatasetStore.load(cmd.data);
        }
        String fingerprint = ds.numUsers() + " users, " + ds.numItems() + " items, " + ds.trainSize() + " training positives, "
                + ds.candidates().negativesPerUser() + " evaluation negatives";
        String recorded = run.get("users") + " users, " + run.get("items") + " items, " + run.get("train_positives") + " training positives, "
                + run.get("valid_negative") + " evaluation negatives";
        if (!fingerprint.equals(recorded))
            throw new NcfCli.UsageException("the dataset (" + fingerprint + ") is not the one the run in " + cmd.resume + " trained on (" + recorded + ")");
        cmd.kind = ModelKind.fromMetadata(run); // states written before variants existed are NeuMF
        if (!given.hasMatchedOption("--engine")) cmd.engine = EngineKind.parse(require(run, "engine"));
        cmd.checkpointDir = cmd.resume;
        restoreLossScaling(run);
        TrainingState s = l.state();
        NeuMFConfig config = s.params().config().withDropout(Float.intBitsToFloat(Integer.parseInt(require(run, "dropout"))));
        ParamSet params = ParamSet.of(config, s.params().asMap());
        s = new TrainingState(s.nextEpoch(), s.globalStep(), s.adamStep(), s.bestHr(), s.bestNdcg(), s.bestEpoch(), s.firstToHit(),
                s.timeToTrain(), s.timeToBest(), s.elapsedSeconds(), params, s.adamM(), s.adamV());
        if (s.nextEpoch() >= opts.epochs()) {
            out.printf("The run in %s already completed all %d epochs (best HR %.4f at epoch %d); give -e N to train longer.%n",
                    cmd.resume, opts.epochs(), s.bestHr(), s.bestEpoch());
            return NcfCli.EXIT_OK;
        }
        MemoryEstimate.of(ds, config, opts, opts.microBatch()).requireFits();
        out.printf("Resuming %s at epoch %d of %d (Adam step %d%s).%n", cmd.resume, s.nextEpoch(), opts.epochs(), s.adamStep(),
                s.bestEpoch() < 0 ? "" : String.format(", best HR %.4f at epoch %d", s.bestHr(), s.bestEpoch()));
        return cmd.run(out, ds, params, opts, demo, s);
    }

    /** Mixed-precision settings and the loss scale reached, so a resumed FP16 run scales as the original would. */
    private void restoreLossScaling(Map<String, String> run) {
        cmd.fp16 = Boolean.parseBoolean(run.getOrDefault("fp16", "false"));
        if (run.containsKey("loss_scale_fixed")) cmd.lossScale = Float.intBitsToFloat(Integer.parseInt(run.get("loss_scale_fixed")));
        if (run.containsKey("loss_scale_init")) {
            cmd.lossScaleInit = Float.intBitsToFloat(Integer.parseInt(run.get("loss_scale_init")));
            cmd.lossScaleWindow = Integer.parseInt(require(run, "loss_scale_window"));
            cmd.lossScaleFloor = Float.intBitsToFloat(Integer.parseInt(require(run, "loss_scale_floor")));
        }
        if (run.containsKey("loss_scale_state")) {
            cmd.resumedLossScale = Float.intBitsToFloat(Integer.parseInt(run.get("loss_scale_state")));
            cmd.resumedGoodSteps = Integer.parseInt(require(run, "loss_scale_good_steps"));
        }
    }

    private String require(Map<String, String> run, String key) {
        String v = run.get(key);
        if (v == null) throw new NcfCli.UsageException(TrainingStateFile.in(cmd.resume) + " lacks the run setting '" + key + "'; it cannot be resumed");
        return v;
    }
}
