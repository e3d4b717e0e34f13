package io.ncf.cli;

import io.ncf.cuda.AdamConfig;
import io.ncf.cuda.CudaNeuMF;
import io.ncf.cuda.CudaProbe;
import io.ncf.cuda.GpuTraining;
import io.ncf.cuda.HostInit;
import io.ncf.cuda.LossScaler;
import io.ncf.cuda.Precision;
import io.ncf.data.DatasetStore;
import io.ncf.data.DemoData;
import io.ncf.data.NcfDataset;
import io.ncf.data.Preprocessor;
import io.ncf.model.NeuMFConfig;
import io.ncf.train.Checkpoints;
import io.ncf.train.EpochReport;
import io.ncf.train.JsonLinesLog;
import io.ncf.train.RunRecord;
import io.ncf.train.TrainingListener;
import io.ncf.train.TrainingOptions;
import io.ncf.train.TrainingSummary;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code ncf train --engine cuda}: the run of {@link TrainCommand} on NVIDIA GPUs through ncf-cuda's own loop
 * ({@link GpuTraining}: parameters, Adam state, sampling and evaluation stay on the device). Prints the CPU trainer's
 * lines and writes the same checkpoint files, through the flat writers, so this path loads no ND4J class and runs
 * from a class path without ND4J's native libraries.
 */
final class CudaTrain {

    private final TrainCommand cmd;

    CudaTrain(TrainCommand cmd) { this.cmd = cmd; }

    int call(PrintWriter out) throws Exception {
        refuseUnsupported();
        CudaProbe.Result probe = CudaProbe.probe();
        // a missing GPU is a failure of the environment (exit 1), not of the flags: one line, no stack trace
        if (!probe.available()) throw new IllegalStateException(probe.message());
        out.println("Backend: CUDA (ncf-cuda, JavaCPP CUDA 13 presets); " + probe.message());
        long seed = cmd.seed != null ? cmd.seed : new java.security.SecureRandom().nextLong() & 0x7fffffffffffL;
        boolean demo = cmd.data == null;
        long tLoad = System.nanoTime();
        NcfDataset ds;
        if (demo) {
            ds = new Preprocessor(new Preprocessor.Options(20, cmd.validNegative, seed)).requireEnoughUnseenItems().run(DemoData.raw(seed));
            out.printf("Using the built-in demo data (%,d users, %,d items, %,d training positives; generated in memory, seed %d).%n",
                    ds.numUsers(), ds.numItems(), ds.trainSize(), seed);
        } else {
            if (!Files.isDirectory(cmd.data)) throw new NcfCli.UsageException("--data " + cmd.data + " is not a dataset directory (make one with 'ncf prepare')");
            ds = DatasetStore.load(cmd.data);
            out.printf("Loaded %s in %.2f s: %,d users, %,d items, %,d training positives, %d evaluation negatives per user.%n",
                    cmd.data, (System.nanoTime() - tLoad) / 1e9, ds.numUsers(), ds.numItems(), ds.trainSize(), ds.candidates().negativesPerUser());
        }
        int batch = cmd.batchSize != null ? cmd.batchSize : demo ? TrainCommand.DEMO_BATCH : TrainingOptions.DEFAULT_BATCH;
        TrainingOptions opts = new TrainingOptions(cmd.epochs, batch, cmd.negatives, cmd.learningRate, cmd.beta1, cmd.beta2, cmd.eps, cmd.topK,
                cmd.validUsersPerBatch, cmd.evalAfter, cmd.target, false, seed, batch);
        NeuMFConfig config = new NeuMFConfig(ds.numUsers(), ds.numItems(), cmd.factors, cmd.layers, cmd.dropout);
        Precision precision = cmd.fp16 ? Precision.FP16 : Precision.FP32;
        GpuTraining.Settings settings;
        Supplier<LossScaler> scalers;
        try {
            settings = new GpuTraining.Settings(config, precision, new AdamConfig(cmd.learningRate, cmd.beta1, cmd.beta2, cmd.eps),
                    seed, cmd.negatives, batch, cmd.workers);
            scalers = lossScalers();
            scalers.get();
        } catch (IllegalArgumentException e) {
            throw new NcfCli.UsageException(e.getMessage());
        }

        List<TrainingListener> listeners = new ArrayList<>();
        listeners.add(new TrainCommand.SeedLogLines(out, opts.topK(), cmd.verbose));
        JsonLinesLog json = null;
        int width = ds.candidates().width();
        long tInit = System.nanoTime();
        try (GpuTraining gpu = new GpuTraining(settings, HostInit.nvidia(config, seed), ds.trainUsers(), ds.trainItems(),
                ds.candidates().users(), ds.candidates().items(), width, scalers)) {
            long steps = gpu.stepsPerEpoch();
            if (steps == 0)
                throw new NcfCli.UsageException("-b " + batch + " is larger than an epoch (" + (long) ds.trainSize() * (1 + cmd.negatives)
                        + " samples): the GPU trains on whole batches only; lower -b");
            if (cmd.logPath != null) {
                Map<String, Object> p = cmd.parameters(ds, config, opts, demo);
                p.put("fp16", cmd.fp16);
                p.put("workers", cmd.workers);
                p.put("backend", "cuda");
                p.put("device", gpu.describe());
                json = new JsonLinesLog(cmd.logPath, p);
                listeners.add(json);
            }
            out.printf("Model: %s, %,d parameters; engine cuda (%s), %s, %d GPU(s), %d steps of %d per epoch; seed %d (GPU set-up %.2f s)%n",
                    config, config.parameterCount(), gpu.describe(), precision, cmd.workers, steps, batch, seed, (System.nanoTime() - tInit) / 1e9);
            if (precision.needsLossScaling() || cmd.lossScale != null) out.printf("Loss scaling: %s%n", describe(gpu.scaler()));
            train(out, ds, opts, config, demo, gpu, listeners);
        } finally {
            if (json != null) json.close();
        }
        return NcfCli.EXIT_OK;
    }

    /** The CPU trainer's loop and bookkeeping (Trainer.train), over whole GPU epochs. */
    private void train(PrintWriter out, NcfDataset ds, TrainingOptions opts, NeuMFConfig config, boolean demo, GpuTraining gpu,
                       List<TrainingListener> listeners) {
        List<EpochReport> reports = new ArrayList<>();
        RunRecord record = new RunRecord(opts.target());
        long runStart = System.nanoTime();
        long samples = gpu.samplesPerEpoch();
        int steps = (int) gpu.stepsPerEpoch();
        for (int epoch = 0; epoch < opts.epochs(); epoch++) {
            long t0 = System.nanoTime();
            double loss = gpu.trainEpoch(epoch, config.dropout());
            double trainSeconds = (System.nanoTime() - t0) / 1e9;
            if (!Double.isFinite(loss))
                throw new IllegalStateException("training loss became " + loss + " in epoch " + epoch + "; lower --learning-rate. The best checkpoint so far is kept.");
            EpochReport r;
            if (epoch >= opts.evalAfter() || epoch == opts.epochs() - 1) {
                CudaNeuMF.EvalMetrics m = gpu.evaluate(opts.topK());
                boolean best = record.recordEvaluation(epoch, m.hitRate(), m.ndcg(), (System.nanoTime() - runStart) / 1e9);
                r = new EpochReport(epoch, trainSeconds, samples, steps, loss, true, m.seconds(), m.samples(), m.hitRate(), m.ndcg(), best);
                if (best) {
                    if (cmd.checkpointDir != null) Checkpoints.writeBestFlat(cmd.checkpointDir, ds, opts, demo, r, config, gpu.parameters());
                }
            } else {
                r = new EpochReport(epoch, trainSeconds, samples, steps, loss, false, Double.NaN, 0, Double.NaN, Double.NaN, false);
            }
            reports.add(r);
            for (TrainingListener li : listeners) li.onEpoch(r);
            if (cmd.verbose && gpu.scaler().isDynamic())
                out.printf("  loss scale %.0f, %d skipped steps so far%n", gpu.scaler().scale(), gpu.scaler().skippedSteps());
        }
        TrainingSummary summary = record.summary(reports, (System.nanoTime() - runStart) / 1e9);
        for (TrainingListener li : listeners) li.onEnd(summary);
        if (cmd.checkpointDir != null && record.bestEpoch() >= 0) {
            out.println("Best model: " + cmd.checkpointDir.resolve(Checkpoints.MODEL_FILE).toAbsolutePath());
            out.println("Model artifact (for 'ncf recommend' / 'ncf evaluate'): "
                    + cmd.checkpointDir.resolve(io.ncf.model.serve.ModelArtifact.FILE_NAME).toAbsolutePath());
        }
    }

    /** Flags whose CPU-side machinery the GPU loop does not have: refused by name rather than ignored. */
    private void refuseUnsupported() {
        if (cmd.noNegTrick)
            throw new NcfCli.UsageException("--no-neg-trick is not available with --engine cuda: the GPU samples negatives on the device without"
                    + " checking them against the user's positives (NVIDIA's shortcut); use a CPU engine to check them");
        if (cmd.mode == TrainCommand.Mode.test)
            throw new NcfCli.UsageException("--mode test evaluates a checkpoint on the CPU engines: drop --engine cuda");
        if (cmd.resume != null || cmd.loadCheckpoint != null)
            throw new NcfCli.UsageException((cmd.resume != null ? "--resume" : "--load-checkpoint-path")
                    + " is not available with --engine cuda (a GPU run starts from the seed's initialisation); use a CPU engine");
        if (!"neumf".equalsIgnoreCase(cmd.model) || cmd.pretrainGmf != null || cmd.pretrainMlp != null)
            throw new NcfCli.UsageException("--engine cuda trains --model neumf from the seed's initialisation only (no variants, no"
                    + " --pretrain-gmf/--pretrain-mlp); use a CPU engine for those");
        if (cmd.microBatch != null)
            throw new NcfCli.UsageException("--micro-batch is not available with --engine cuda: the GPU processes each global batch at once");
    }

    /** One scaler per GPU: --loss-scale fixes it; --fp16 scales dynamically with the CLI's init and window. */
    private Supplier<LossScaler> lossScalers() {
        if (cmd.lossScale != null) return () -> LossScaler.fixed(cmd.lossScale);
        if (cmd.fp16) return () -> LossScaler.dynamic(cmd.lossScaleInit, cmd.lossScaleWindow);
        return () -> LossScaler.fixed(1f);
    }

    private static String describe(LossScaler s) {
        return s.isDynamic() ? String.format("dynamic, initial scale %.0f", s.scale()) : String.format("fixed scale %s", s.scale());
    }
}
