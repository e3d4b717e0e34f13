package io.ncf.cli;

import io.ncf.data.DatasetStore;
import io.ncf.data.NcfDataset;
import io.ncf.model.ModelKind;
import io.ncf.train.EpochReport;
import io.ncf.train.Json;
import io.ncf.train.Recipe;
import io.ncf.train.engine.EngineProvider;
import io.ncf.train.engine.Feature;
import io.ncf.train.tune.SearchSpace;
import io.ncf.train.tune.Tuner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ncf tune}: {@link Tuner} on a prepared dataset's validation split, a JSON line per trial, a table, and the
 * winning recipe file for {@code ncf train --recipe}. The test items are never looked at.
 */
@Command(name = "tune", mixinStandardHelpOptions = true, sortOptions = false, usageHelpWidth = 110,
        description = {"Choose a training recipe on a validation split (each user's latest training item held out with its own",
                "negatives; the test items are never used): random search from a strong first recipe, each trial stopped",
                "early when validation HR stops improving or falls below the median of the trials before it.",
                "Writes the best recipe; then train it on the whole training set with 'ncf train --data DIR --recipe FILE'."})
public final class TuneCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(names = "--data", required = true, paramLabel = "DIR", description = "A dataset directory written by 'ncf prepare'.") Path data;
    @Option(names = "--budget", defaultValue = "15m", paramLabel = "B",
            description = "Wall time (90s, 15m, 2h) or a number of trials (20trials) (default: ${DEFAULT-VALUE}).") String budget;
    @Option(names = {"-o", "--output"}, defaultValue = "recipe.txt", paramLabel = "FILE", description = "The winning recipe (default: ${DEFAULT-VALUE}).") Path output;
    @Option(names = "--log-path", paramLabel = "FILE", description = "JSON lines, one per trial (default: the recipe file's name + .trials.jsonl).") Path logPath;
    @Option(names = "--seed", paramLabel = "N", description = "Seed of the validation negatives and of every trial (default: random, printed).") Long seed;
    @Option(names = "--models", split = ",", paramLabel = "M", description = "Model kinds to search (default: neumf; also gmf, mlp, mf).") List<String> models = new ArrayList<>(List.of("neumf"));
    @Option(names = "--max-epochs", defaultValue = "30", paramLabel = "N", description = "Epochs a trial may run at most (default: ${DEFAULT-VALUE}).") int maxEpochs;
    @Option(names = "--patience", defaultValue = "3", paramLabel = "N", description = "Stop a trial after N epochs without a better validation HR (default: ${DEFAULT-VALUE}).") int patience;
    @Option(names = {"-k", "--topk"}, defaultValue = "10", paramLabel = "K", description = "K of the HR@K that chooses (default: ${DEFAULT-VALUE}).") int topK;
    @Option(names = "--engine", defaultValue = "fused", paramLabel = "NAME", description = "Training engine (default: ${DEFAULT-VALUE}).") String engine;
    @Option(names = "--precision", paramLabel = "P", description = {"Compute precision of the trials: fp32 (default), bf16 or fp16, as 'ncf train --precision'",
            "(refused where the engine or the CPU cannot run it well). A speed choice: the recipe does not record it."}) String precisionName;
    @Mixin OutputOptions console;

    /** A parsed --budget: time, or trials. */
    record Budget(Duration time, int trials) {
        private static final Pattern TIME = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(s|m|min|h)", Pattern.CASE_INSENSITIVE);
        private static final Pattern TRIALS = Pattern.compile("(\\d+)\\s*(t|trials?)", Pattern.CASE_INSENSITIVE);

        static Budget parse(String s) {
            Matcher t = TIME.matcher(s.trim()), n = TRIALS.matcher(s.trim());
            if (t.matches()) {
                double v = Double.parseDouble(t.group(1));
                double seconds = v * switch (t.group(2).toLowerCase(Locale.ROOT)) {
                    case "s" -> 1;
                    case "h" -> 3600;
                    default -> 60;
                };
                if (seconds < 1) throw new NcfCli.UsageException("--budget " + s + " is under a second");
                return new Budget(Duration.ofMillis((long) (seconds * 1000)), 0);
            }
            if (n.matches()) {
                int k = Integer.parseInt(n.group(1));
                if (k <= 0) throw new NcfCli.UsageException("--budget " + s + ": the number of trials must be positive");
                return new Budget(null, k);
            }
            throw new NcfCli.UsageException("--budget '" + s + "' is neither a time (90s, 15m, 2h) nor a number of trials (20trials)");
        }

        @Override public String toString() { return time != null ? time.toString().substring(2).toLowerCase(Locale.ROOT) : trials + " trials"; }
    }

    @Override public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut(), info = console.info(out);
        Budget b = Budget.parse(budget);
        if (maxEpochs <= 0) throw new NcfCli.UsageException("--max-epochs must be positive, got " + maxEpochs);
        if (patience <= 0) throw new NcfCli.UsageException("--patience must be positive, got " + patience);
        if (topK <= 0) throw new NcfCli.UsageException("-k must be positive, got " + topK);
        List<ModelKind> kinds = new ArrayList<>();
        for (String m : models) {
            try {
                kinds.add(ModelKind.parse(m));
            } catch (IllegalArgumentException e) {
                throw new NcfCli.UsageException("--models: " + e.getMessage());
            }
        }
        EngineProvider provider = EnginesCommand.named(engine);
        // as in 'ncf train': a missing GPU or backend is a failure of the environment (exit 1), not of the flags
        if (!provider.availability().available()) throw new IllegalStateException(provider.availability().reason());
        if (kinds.stream().anyMatch(k -> k != ModelKind.NEUMF)) require(() -> provider.require(Feature.MODEL_VARIANTS));
        io.ncf.core.Precision precision = RankingOptions.precision(precisionName, false);
        require(() -> provider.requirePrecision(precision));
        if (!Files.isDirectory(data)) throw new NcfCli.UsageException("--data " + data + " is not a dataset directory (make one with 'ncf prepare')");
        Path log = logPath != null ? logPath : output.resolveSibling(output.getFileName() + ".trials.jsonl");
        for (Path p : List.of(output, log))
            if (Files.isDirectory(p)) throw new NcfCli.UsageException(p + " is a directory, not a file");
        long seedUsed = seed != null ? seed : new java.security.SecureRandom().nextLong() & 0x7fffffffffffL;

        NcfDataset ds = DatasetStore.load(data);
        boolean decay = provider.unsupported(Feature.REGULARIZATION).isEmpty();
        if (!decay) info.printf("Engine %s has no weight decay: recipes are searched without it.%n", provider.name());
        SearchSpace space = new SearchSpace(kinds, ds.trainSize(), maxEpochs, decay);
        Tuner tuner = new Tuner(ds, provider, new Tuner.Options(b.time(), b.trials(), maxEpochs, patience, seedUsed, topK, space, precision));
        NcfDataset v = tuner.validation();
        info.printf("Tuning on %s: %,d users, %,d items; validation split: %,d training positives, %,d held-out items with %d negatives each.%n",
                data, v.numUsers(), v.numItems(), v.trainSize(), v.numUsers(), v.candidates().negativesPerUser());
        info.printf("Budget %s, up to %d epochs a trial, patience %d, engine %s%s, seed %d.%n", b, maxEpochs, patience, provider.name(),
                precision == io.ncf.core.Precision.FP32 ? "" : " (" + precision.id() + ")", seedUsed);
        info.flush();
        Tuner.Result result;
        if (log.toAbsolutePath().getParent() != null) Files.createDirectories(log.toAbsolutePath().getParent());
        StopSignals stop = StopSignals.install(tuner::cancel, spec.commandLine().getErr());
        try (stop; BufferedWriter jsonl = Files.newBufferedWriter(log, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            result = tuner.run(new Tuner.Listener() {
                @Override public void onTrialStart(int id, Recipe r) {
                    info.printf("trial %d: %s%n", id, r.describe());
                    info.flush();
                }

                @Override public void onEpoch(int id, EpochReport r) {
                    if (r.evaluated()) {
                        info.printf("  epoch %d: HR@%d %.4f NDCG@%d %.4f, loss %.4f, %.1f s%n", r.epoch(), topK, r.hitRate(), topK, r.ndcg(), r.loss(), r.trainSeconds());
                        info.flush();
                    }
                }

                @Override public void onTrialEnd(Tuner.Trial t) {
                    if (t.epochsRun() == 0) {
                        info.printf("trial %d: stopped (%s) before its first epoch ended%n", t.id(), t.stop());
                    } else {
                        out.printf(Locale.ROOT, "trial %d: validation HR@%d %.4f NDCG@%d %.4f at epoch %d (%d epochs, %.0f s, stopped: %s)%n", t.id(), topK, t.bestHr(),
                                topK, t.bestNdcg(), t.bestEpoch(), t.epochsRun(), t.seconds(), t.stop());
                        writeLine(jsonl, t, seedUsed, precision);
                    }
                    out.flush();
                }
            });
        } catch (IllegalStateException noTrial) {
            if (!stop.received()) throw noTrial;
            spec.commandLine().getErr().println("ncf: stopped by " + stop.signalName() + " before any trial completed an epoch; no recipe written");
            return stop.exitCode();
        }
        Recipe winner = result.recipe();
        Tuner.Trial best = result.best();
        out.println();
        out.print(table(result, topK));
        String when = Instant.now().toString();
        winner.write(output, List.of(
                "ncf recipe, chosen by 'ncf tune' on " + when,
                String.format(Locale.ROOT, "data %s; validation HR@%d %.4f NDCG@%d %.4f (trial %d of %d, best epoch %d); tune seed %d, budget %s, %.0f s",
                        data, topK, best.bestHr(), topK, best.bestNdcg(), best.id(), result.trials().size(), best.bestEpoch(), seedUsed, b, result.seconds()),
                "train it: ncf train --data " + data + " --recipe " + output));
        out.printf(Locale.ROOT, "%nBest: trial %d, validation HR@%d %.4f NDCG@%d %.4f; %d trials in %.0f s.%n", best.id(), topK, best.bestHr(), topK, best.bestNdcg(),
                result.trials().size(), result.seconds());
        out.println("Recipe: " + output.toAbsolutePath());
        out.println("Trials: " + log.toAbsolutePath());
        out.println("Train it on the whole training set and report the test HR once: ncf train --data " + data + " --recipe " + output + " --checkpoint-dir DIR");
        if (stop.received()) { // the trials so far still chose a recipe: it is written, and the exit code says the tune was cut short
            out.flush();
            spec.commandLine().getErr().println("ncf: stopped by " + stop.signalName() + " after " + result.trials().size() + " trial(s); the best so far is in " + output);
            return stop.exitCode();
        }
        return NcfCli.EXIT_OK;
    }

    /** An engine's refusal (a feature it lacks, a precision this machine cannot run well) as a usage error naming the flag (exit 2). */
    private static void require(Runnable check) {
        try {
            check.run();
        } catch (IllegalArgumentException e) {
            throw EnginesCommand.refusal(e);
        }
    }

    private static void writeLine(BufferedWriter w, Tuner.Trial t, long seed, io.ncf.core.Precision precision) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("trial", t.id());
        m.put("tune_seed", seed);
        m.put("trial_seed", t.seed());
        m.put("precision", precision.id());
        for (var e : t.recipe().toMap().entrySet()) if (!e.getKey().equals("epochs")) m.put(e.getKey(), typed(e.getValue()));
        m.put("best_hr", t.bestHr());
        m.put("best_ndcg", t.bestNdcg());
        m.put("best_epoch", t.bestEpoch());
        m.put("epochs_run", t.epochsRun());
        m.put("hr", t.hitRates());
        m.put("ndcg", t.ndcgs());
        m.put("seconds", t.seconds());
        m.put("stop", t.stop());
        try {
            w.write(Json.object(m));
            w.newLine();
            w.flush();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot write the trial log: " + e.getMessage(), e);
        }
    }

    /** A recipe value as JSON wants it: a number, a list of numbers ("256 256 128 64"), or a string. */
    private static Object typed(String v) {
        if (v.matches("-?\\d+")) return Long.parseLong(v);
        if (v.matches("\\d+( \\d+)+")) return java.util.Arrays.stream(v.split(" ")).mapToInt(Integer::parseInt).toArray();
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            return v;
        }
    }

    static String table(Tuner.Result r, int k) {
        StringBuilder b = new StringBuilder();
        b.append(String.format("| trial | val HR@%d | val NDCG@%d | best epoch | epochs | s | stop | recipe |%n", k, k));
        b.append("|---|---|---|---|---|---|---|---|\n");
        List<Tuner.Trial> sorted = new ArrayList<>(r.trials());
        sorted.sort(Comparator.comparingDouble(Tuner.Trial::bestHr).thenComparingDouble(Tuner.Trial::bestNdcg).reversed());
        for (Tuner.Trial t : sorted) {
            Map<String, String> m = new LinkedHashMap<>(t.recipe().toMap());
            m.remove("epochs");
            StringBuilder rc = new StringBuilder();
            m.forEach((key, v) -> rc.append(rc.length() == 0 ? "" : " ").append(key).append('=').append(v.replace(' ', ',')));
            b.append(String.format(Locale.ROOT, "| %d | %.4f | %.4f | %d | %d | %.0f | %s | %s |%n", t.id(), t.bestHr(), t.bestNdcg(), t.bestEpoch(), t.epochsRun(),
                    t.seconds(), t.stop(), rc));
        }
        return b.toString();
    }
}
