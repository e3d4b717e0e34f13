package io.ncf.cli;

import io.ncf.data.DatasetStore;
import io.ncf.data.NcfDataset;
import io.ncf.eval.RankingProtocols;
import io.ncf.eval.RankingReport;
import io.ncf.core.Scorer;
import io.ncf.model.als.AlsModel;
import io.ncf.model.als.ImplicitAls;
import io.ncf.serve.ModelArtifact;
import io.ncf.serve.Recommender;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * {@code ncf compare}: the paper's variants and the baselines in one harness. It is a script over the other
 * commands, run in-process: {@code ncf prepare} (with --input), then {@code ncf train --model M --checkpoint-dir}
 * for each model with the same flags, then both ranking protocols of {@code ncf evaluate} on each best model,
 * and a markdown table. Nothing is trained or evaluated by code of its own.
 */
@Command(name = "compare", mixinStandardHelpOptions = true, sortOptions = false, usageHelpWidth = 110,
        description = {"Train and evaluate several models with the same flags and print a markdown table of HR@K and NDCG@K",
                "under the sampled and the full-ranking protocols.",
                "Models: pop (item popularity), als (implicit ALS with exact solves, as Spark MLlib's; --als-* flags),",
                "mf (dot product), gmf, mlp, neumf, neumf-als (NeuMF started from implicit ALS of rank -f with --als-reg and",
                "--als-alpha: 'ncf train --start als'), neumf-pretrain (NeuMF initialised from this run's gmf and mlp models,",
                "which are trained first if not listed).",
                "Every other flag (-e, -b, -l, -f, --layers, --dropout, --engine, ...) is passed unchanged to every 'ncf train' run.",
                "Each model is evaluated at its best epoch by sampled HR (as 'ncf train' selects it)."})
public final class CompareCommand implements Callable<Integer> {

    static final List<String> ALL_MODELS = List.of("pop", "als", "mf", "gmf", "mlp", "neumf", "neumf-als", "neumf-pretrain");
    private static final List<String> RESERVED = List.of("--model", "--data", "--checkpoint-dir", "--resume", "--mode", "--load-checkpoint-path",
            "--pretrain-gmf", "--pretrain-mlp", "--start", "--log-path", "-k", "--topk", "--seed", "--valid-negative");

    @Spec CommandSpec spec;

    @Option(names = {"-i", "--input"}, paramLabel = "FILE", description = "Ratings file to prepare first (as 'ncf prepare'; with --format).") Path input;
    @Option(names = "--format", defaultValue = "ml-20m", paramLabel = "FORMAT", description = "Format of --input, as 'ncf prepare' (default: ${DEFAULT-VALUE}).") String format;
    @Option(names = "--data", paramLabel = "DIR", description = "A dataset directory written by 'ncf prepare' (instead of --input).") Path data;
    @Option(names = "--models", split = ",", paramLabel = "M", description = "Models in table order (default: pop,als,mf,gmf,mlp,neumf,neumf-als,neumf-pretrain).")
    List<String> models = new ArrayList<>(ALL_MODELS);
    @Option(names = "--als-rank", defaultValue = "128", paramLabel = "N", description = "ALS factors (default: ${DEFAULT-VALUE}).") int alsRank;
    @Option(names = "--als-reg", defaultValue = "1", paramLabel = "L", description = "ALS regParam, scaled by each row's interactions as MLlib does (default: ${DEFAULT-VALUE}).") float alsReg;
    @Option(names = "--als-alpha", defaultValue = "10", paramLabel = "A", description = "ALS confidence of an observed pair is 1 + alpha (default: ${DEFAULT-VALUE}).") float alsAlpha;
    @Option(names = "--als-iterations", defaultValue = "15", paramLabel = "N", description = "ALS alternations (default: ${DEFAULT-VALUE}).") int alsIterations;
    @Option(names = {"-k", "--topk"}, defaultValue = "10", paramLabel = "K", description = "K of the table's HR@K and NDCG@K, and of training's model selection (default: ${DEFAULT-VALUE}).") int topK;
    @Option(names = "--seed", paramLabel = "N", description = "Seed of the evaluation negatives (with --input) and of every training run (default: random, printed).") Long seed;
    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Also write the markdown table here.") Path output;
    @Option(names = "--work-dir", paramLabel = "DIR", description = "Keep the prepared data and each model's checkpoint-dir here (default: a temporary directory, removed at the end).") Path workDir;
    @Unmatched List<String> trainFlags = new ArrayList<>();

    /** One row of the table. */
    record Row(String model, RankingReport sampled, RankingReport full, String bestEpoch, double trainSeconds) {}

    @Override public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        validate();
        long seedUsed = seed != null ? seed : new java.security.SecureRandom().nextLong() & 0x7fffffffffffL;
        boolean temporary = workDir == null;
        Path work = temporary ? Files.createTempDirectory("ncf-compare") : Files.createDirectories(workDir);
        try {
            Path dataDir = data;
            if (input != null) {
                dataDir = work.resolve("data");
                step(out, err, "prepare", "--input", input.toString(), "--format", format, "--output", dataDir.toString(), "--seed", Long.toString(seedUsed));
            } else if (!Files.isDirectory(data)) {
                throw new NcfCli.UsageException("--data " + data + " is not a dataset directory (make one with 'ncf prepare')");
            }
            NcfDataset ds = DatasetStore.load(dataDir);
            out.printf("Comparing %s on %s (%,d users, %,d items) with the same flags for every model: %s --seed %d -k %d%n",
                    String.join(", ", models), input != null ? input : data, ds.numUsers(), ds.numItems(), String.join(" ", trainFlags), seedUsed, topK);
            Map<String, Row> trained = new LinkedHashMap<>();
            List<Row> rows = new ArrayList<>();
            for (String m : models) rows.add(row(m, ds, dataDir, work, seedUsed, trained, out, err));
            String table = table(rows, ds, seedUsed);
            out.println();
            out.print(table);
            out.flush();
            if (output != null) {
                Path parent = output.toAbsolutePath().getParent();
                if (parent != null) Files.createDirectories(parent);
                Files.writeString(output, table);
                out.println("Wrote " + output.toAbsolutePath());
            }
            return NcfCli.EXIT_OK;
        } finally {
            if (temporary) deleteTree(work);
        }
    }

    private void validate() {
        if ((input == null) == (data == null)) throw new NcfCli.UsageException("give either --input FILE (with --format) or --data DIR");
        if (topK <= 0) throw new NcfCli.UsageException("-k must be positive, got " + topK);
        if (models.isEmpty()) throw new NcfCli.UsageException("--models lists no model");
        for (String m : models)
            if (!ALL_MODELS.contains(m.toLowerCase(Locale.ROOT)))
                throw new NcfCli.UsageException("--models: unknown model '" + m + "' (expected " + String.join(", ", ALL_MODELS) + ")");
        models.replaceAll(m -> m.toLowerCase(Locale.ROOT));
        if (models.contains("als") || models.contains("neumf-als")) alsParams(0); // bad --als-* values are refused before any work
        for (String f : trainFlags) {
            String name = f.contains("=") ? f.substring(0, f.indexOf('=')) : f;
            if (RESERVED.contains(name))
                throw new NcfCli.UsageException(name + " is set by 'ncf compare' for each run and cannot be passed through"
                        + (name.equals("-k") || name.equals("--topk") || name.equals("--seed") ? " (give it to compare itself, before or after the other flags)" : ""));
        }
    }

    /** Trains (or, for pop, just scores) one model and evaluates it under both protocols; dependencies first. */
    private Row row(String m, NcfDataset ds, Path dataDir, Path work, long seedUsed, Map<String, Row> trained, PrintWriter out, PrintWriter err) throws IOException {
        Row done = trained.get(m);
        if (done != null) return done;
        int[] ks = {topK};
        Row r;
        if (m.equals("pop")) {
            out.println("== pop: training interactions per item (nothing to train)");
            Scorer pop = RankingProtocols.popularity(ds);
            r = new Row(m, RankingProtocols.sampled(ds, pop, ks), RankingProtocols.full(ds, pop, ks, RankingProtocols.DEFAULT_FULL_USERS_PER_BLOCK), "–", 0);
        } else if (m.equals("als")) {
            ImplicitAls.Params p = alsParams(seedUsed);
            out.printf("== als: implicit ALS, rank %d, regParam %s, alpha %s, %d iterations%n", p.rank(), p.regParam(), p.alpha(), p.iterations());
            out.flush();
            long t0 = System.nanoTime();
            AlsModel als = ImplicitAls.train(ds.numUsers(), ds.numItems(), ds.trainUsers(), ds.trainItems(), p, Runtime.getRuntime().availableProcessors(),
                    ProgressRenderer.create(ProgressRenderer.Mode.auto, false, err));
            double seconds = (System.nanoTime() - t0) / 1e9;
            r = new Row(m, RankingProtocols.sampled(ds, als, ks), RankingProtocols.full(ds, als, ks, RankingProtocols.DEFAULT_FULL_USERS_PER_BLOCK),
                    Integer.toString(p.iterations()), seconds);
        } else {
            List<String> args = new ArrayList<>(List.of("train", "--data", dataDir.toString(), "--seed", Long.toString(seedUsed), "-k", Integer.toString(topK),
                    "--checkpoint-dir", work.resolve(m).toString()));
            if (m.equals("neumf-pretrain")) {
                row("gmf", ds, dataDir, work, seedUsed, trained, out, err);
                row("mlp", ds, dataDir, work, seedUsed, trained, out, err);
                args.addAll(List.of("--model", "neumf", "--pretrain-gmf", work.resolve("gmf").resolve("model.ncf").toString(),
                        "--pretrain-mlp", work.resolve("mlp").resolve("model.ncf").toString()));
            } else if (m.equals("neumf-als")) {
                args.addAll(List.of("--model", "neumf", "--start", "als", "--als-reg", Float.toString(alsReg), "--als-alpha", Float.toString(alsAlpha)));
            } else {
                args.addAll(List.of("--model", m));
            }
            args.addAll(trainFlags);
            out.println("== " + m + ": ncf " + String.join(" ", args));
            long t0 = System.nanoTime();
            step(out, err, args.toArray(String[]::new));
            double seconds = (System.nanoTime() - t0) / 1e9;
            ModelArtifact a = ModelArtifact.read(work.resolve(m).resolve(ModelArtifact.FILE_NAME));
            try (Recommender rec = new Recommender(a, Recommender.UnknownUserPolicy.ERROR, Runtime.getRuntime().availableProcessors())) {
                r = new Row(m, RankingProtocols.sampled(ds, rec.scorer(), ks),
                        RankingProtocols.full(ds, rec.scorer(), ks, RankingProtocols.DEFAULT_FULL_USERS_PER_BLOCK),
                        a.metadata().getOrDefault("epoch", "?"), seconds);
            }
        }
        out.printf("%s: sampled HR@%d %.4f NDCG@%d %.4f; full HR@%d %.4f NDCG@%d %.4f%n", m, topK, r.sampled().hitRate(topK), topK, r.sampled().ndcg(topK),
                topK, r.full().hitRate(topK), topK, r.full().ndcg(topK));
        out.flush();
        trained.put(m, r);
        return r;
    }

    /** The ALS settings of the --als-* flags; a bad value is a usage error naming its flag. */
    private ImplicitAls.Params alsParams(long seed) {
        try {
            return new ImplicitAls.Params(alsRank, alsReg, alsAlpha, alsIterations, seed);
        } catch (IllegalArgumentException e) {
            throw new NcfCli.UsageException(FlagNames.als(e.getMessage()));
        }
    }

    /** Runs one ncf command in-process; its failure (with its own message on err) is this command's failure. */
    private static void step(PrintWriter out, PrintWriter err, String... args) {
        out.flush();
        int rc = NcfCli.run(args, out, err);
        if (rc != NcfCli.EXIT_OK)
            throw rc == NcfCli.EXIT_USAGE ? new NcfCli.UsageException("'ncf " + String.join(" ", args) + "' failed (see above)")
                    : new IllegalStateException("'ncf " + String.join(" ", args) + "' failed with exit code " + rc + " (see above)");
    }

    String table(List<Row> rows, NcfDataset ds, long seedUsed) {
        StringBuilder b = new StringBuilder();
        int k = topK;
        b.append(String.format("| model | sampled HR@%d | sampled NDCG@%d | full HR@%d | full NDCG@%d | best epoch | time s |%n", k, k, k, k));
        b.append("|---|---|---|---|---|---|---|\n");
        for (Row r : rows)
            b.append(String.format(Locale.ROOT, "| %s | %.4f | %.4f | %.4f | %.4f | %s | %.0f |%n", r.model(), r.sampled().hitRate(k), r.sampled().ndcg(k),
                    r.full().hitRate(k), r.full().ndcg(k), r.bestEpoch(), r.trainSeconds()));
        b.append(String.format(Locale.ROOT, "%nData: %s (%,d users, %,d items, %d sampled negatives per user). Every model trained with: %s --seed %d -k %d.%n",
                input != null ? input.getFileName() + " (" + format + ")" : data, ds.numUsers(), ds.numItems(), ds.candidates().negativesPerUser(),
                trainFlags.isEmpty() ? "the default flags" : String.join(" ", trainFlags), seedUsed, k));
        return b.toString();
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a leftover temporary directory is harmless
        }
    }
}
