package io.ncf.cli;

import io.ncf.serve.Recommender;
import io.ncf.serve.ScoredItem;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code ncf recommend}: top-K unseen items per user from a model artifact, as CSV or JSON lines. */
@Command(name = "recommend", mixinStandardHelpOptions = true, sortOptions = false, usageHelpWidth = 110,
        description = {"Recommend the top K items each user has not interacted with, from a model artifact (model.zip",
                "written by 'ncf train --checkpoint-dir'). Users are ranked in blocks, each user's row scored and",
                "selected on one thread, so '--users all' runs in bounded memory. With -o, lines stream to a temporary",
                "file beside FILE, renamed to FILE at the end: a failed run leaves an existing FILE unchanged.",
                "CSV columns: user,item,score,rank (original ids; score is the model's logit). Users/s and pairs/s go",
                "to stderr."})
public final class RecommendCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "FILE", description = "Model artifact (model.zip).") Path model;

    @ArgGroup(exclusive = true, multiplicity = "1") Who who;

    static final class Who {
        @Option(names = "--user", paramLabel = "ID", description = "One user (original id); repeatable.") List<String> users;
        @Option(names = "--users", paramLabel = "FILE|all", description = "A file with one user id per line, or 'all' for every user of the model.") String usersSource;
    }

    @Option(names = {"-k", "--topk"}, paramLabel = "N", defaultValue = "10", description = "Items per user (default: ${DEFAULT-VALUE}).") int k;
    @Option(names = "--format", defaultValue = "csv", description = "csv or jsonl (default: ${DEFAULT-VALUE}).") Format format;
    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write here instead of standard output.") Path output;
    @Option(names = "--unknown-users", defaultValue = "error", paramLabel = "POLICY",
            description = "error (exit 2) or popularity (most popular unseen items; score = interaction count) (default: ${DEFAULT-VALUE}).")
    Recommender.UnknownUserPolicy unknown;
    @Option(names = "--threads", paramLabel = "N", description = "Scoring threads (default: all cores).") Integer threads;
    @Option(names = "--candidates", paramLabel = "N", defaultValue = "0",
            description = "Two-stage, approximate top-K: retrieve N candidates per user by the GMF inner product (plus an item bias), "
                    + "score only those exactly (0: exact top-K over every item; default: ${DEFAULT-VALUE}). Prints recall@K against "
                    + "exact top-K on a sample of the users (--recall-sample).") int candidates;
    @Option(names = "--recall-sample", paramLabel = "N", defaultValue = "200",
            description = "Users (evenly spaced over the request) whose two-stage top-K is checked against exact top-K (0: none; default: ${DEFAULT-VALUE}).")
    int recallSample;

    @Mixin OutputOptions console;
    @Mixin RankingOptions ranking;

    enum Format { csv, jsonl }

    @Override public Integer call() throws IOException {
        if (k <= 0) throw new NcfCli.UsageException("-k must be positive, got " + k);
        if (candidates < 0) throw new NcfCli.UsageException("--candidates must be 0 (exact) or positive, got " + candidates);
        if (recallSample < 0) throw new NcfCli.UsageException("--recall-sample must be 0 or positive, got " + recallSample);
        if (threads != null && threads <= 0) throw new NcfCli.UsageException("--threads must be positive, got " + threads);
        if (!Files.isRegularFile(model)) throw new NcfCli.UsageException("--model " + model + " does not exist or is not a file");
        // the output's temporary file first: an unwritable --output fails before any loading or scoring, and a run
        // that fails later leaves an existing FILE as it was (the temporary file is renamed over it only at the end)
        Path tmp = output != null ? temporaryOutput(output) : null;
        boolean done = false;
        try {
            run(tmp);
            if (tmp != null) io.ncf.core.AtomicFiles.moveIntoPlace(tmp, output);
            done = true;
        } finally {
            if (tmp != null && !done) Files.deleteIfExists(tmp);
        }
        return NcfCli.EXIT_OK;
    }

    private void run(Path tmp) throws IOException {
        PrintWriter err = console.info(spec.commandLine().getErr());
        io.ncf.data.Progress progress = console.progress(spec.commandLine().getErr());
        long t0 = System.nanoTime();
        int nThreads = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        if (candidates > 0 && !ranking.onCpuKernel()) throw new NcfCli.UsageException("--candidates (two-stage) runs on the CPU kernel: leave out --engine " + ranking.engine + (ranking.fp16 ? " and --fp16" : ""));
        ranking.provider();   // an unknown --engine is refused before the model is read
        // a bad NCF_BLAS / -Dncf.blas is refused before anything is written (the CPU kernel chooses its BLAS on first use)
        if (ranking.onCpuKernel()) io.ncf.core.blas.Blas.backend();
        io.ncf.serve.ModelArtifact artifact = io.ncf.serve.ModelArtifact.read(model);
        try (Recommender rec = ranking.onCpuKernel()
                ? ranking.cpuRecommender(artifact, Recommender.Options.defaults().withUnknownUsers(unknown).withThreads(nThreads).withCandidates(candidates))
                : new Recommender(artifact, unknown, nThreads, ranking.open(artifact, nThreads))) {
            double loadS = (System.nanoTime() - t0) / 1e9;
            List<String> users = users(rec);
            if (unknown == Recommender.UnknownUserPolicy.ERROR)
                for (String u : users)
                    if (!rec.knows(u)) throw new NcfCli.UsageException("unknown user '" + u + "': the model was not trained on it (use --unknown-users popularity to recommend popular items instead)");
            Writer sink = tmp != null ? Files.newBufferedWriter(tmp, StandardCharsets.UTF_8) : null;
            PrintWriter out = sink != null ? new PrintWriter(sink) : spec.commandLine().getOut();
            if (format == Format.csv) out.println("user,item,score,rank");
            long t1 = System.nanoTime();
            long[] count = {0};
            StringBuilder line = new StringBuilder(128);
            try {
                rec.recommendBatch(users, k, r -> {
                    String u = format == Format.csv ? csv(r.userId()) : json(r.userId());
                    // which ranked the list: the model (scores are logits) or the popularity fallback (scores are counts)
                    String source = r.source().name().toLowerCase(java.util.Locale.ROOT);
                    for (ScoredItem it : r.items()) {
                        line.setLength(0);
                        if (format == Format.csv) line.append(u).append(',').append(csv(it.itemId())).append(',').append(it.score()).append(',').append(it.rank());
                        else line.append("{\"user\":").append(u).append(",\"item\":").append(json(it.itemId())).append(",\"score\":")
                                .append(jsonNumber(it.score())).append(",\"rank\":").append(it.rank()).append(",\"source\":\"").append(source).append("\"}");
                        out.println(line);
                    }
                    count[0]++;
                    if (count[0] % 64 == 0 || count[0] == users.size()) progress.update("recommend", count[0], users.size());
                });
            } catch (Recommender.UnknownUserException e) {
                throw new NcfCli.UsageException(e.getMessage() + " (use --unknown-users popularity to recommend popular items instead)");
            } finally {
                out.flush();
                if (sink != null) out.close();
            }
            if (out.checkError()) throw new IOException("writing " + (output != null ? output : "standard output") + " failed");
            double s = (System.nanoTime() - t1) / 1e9;
            long pairs = count[0] * (long) rec.artifact().config().numItems();
            err.printf("Recommended %d items to %,d users in %.2f s (%,.1f users/s, %,.0f pairs/s %s; model loaded in %.2f s)%n", k, count[0], s,
                    count[0] / Math.max(s, 1e-9), pairs / Math.max(s, 1e-9), candidates > 0 ? "of exact-ranking work, two-stage with " + candidates + " candidates" : "exact", loadS);
            if (candidates > 0 && recallSample > 0) printRecall(rec, users, nThreads, err);
            err.flush();
        }
    }

    /** Recall@K of the two-stage lists against exact top-K over every item, on evenly spaced known users of the request. */
    private void printRecall(Recommender approx, List<String> users, int nThreads, PrintWriter err) throws IOException {
        List<String> sample = new ArrayList<>();
        int known = 0;
        for (String u : users) if (approx.knows(u)) known++;
        int want = Math.min(recallSample, known), seenKnown = 0;
        for (String u : users) {
            if (!approx.knows(u)) continue;
            if (sample.size() < want && (long) seenKnown * want / Math.max(1, known) >= sample.size()) sample.add(u);
            seenKnown++;
        }
        if (sample.isEmpty()) return;
        long t0 = System.nanoTime();
        double recall = recallAgainstExact(approx, sample, k, nThreads);
        err.printf("Two-stage recall@%d against exact top-%d: %.4f on %,d users (%d candidates; checked in %.1f s)%n", k, k,
                recall, sample.size(), candidates, (System.nanoTime() - t0) / 1e9);
    }

    /**
     * Recall@k of {@code approx}'s lists (two-stage) against exact top-k over every item for the same (known) users:
     * the share of the exact lists' items that the approximate lists hold.
     */
    static double recallAgainstExact(Recommender approx, List<String> users, int k, int threads) throws IOException {
        java.util.Map<String, List<String>> a = new java.util.HashMap<>(), e = new java.util.HashMap<>();
        approx.recommendBatch(users, k, r -> a.put(r.userId(), r.itemIds()));
        try (Recommender exact = new Recommender(approx.artifact(), Recommender.UnknownUserPolicy.ERROR, threads)) {
            exact.recommendBatch(users, k, r -> e.put(r.userId(), r.itemIds()));
        }
        long hit = 0, total = 0;
        for (String u : users) {
            java.util.Set<String> want = new java.util.HashSet<>();
            want.addAll(e.get(u));
            for (String it : a.get(u)) if (want.contains(it)) hit++;
            total += want.size();
        }
        return total == 0 ? 1.0 : (double) hit / total;
    }

    /** A temporary file beside {@code target} (so the final rename stays on one file system), or exit 2 naming why not. */
    static Path temporaryOutput(Path target) {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (Files.isDirectory(abs)) throw new NcfCli.UsageException("--output " + target + " is a directory; give a file name");
        if (dir == null || !Files.isDirectory(dir)) throw new NcfCli.UsageException("--output " + target + ": directory " + dir + " does not exist");
        try {
            Path tmp = io.ncf.core.AtomicFiles.siblingTemp(abs, "." + abs.getFileName() + ".");
            // an existing FILE keeps its mode; a new one gets the user's umask (siblingTemp's)
            if (Files.exists(abs)) {
                try {
                    Files.setPosixFilePermissions(tmp, Files.getPosixFilePermissions(abs));
                } catch (UnsupportedOperationException notPosix) {
                    // not a POSIX file system: its default stands
                }
            }
            return tmp;
        } catch (IOException | SecurityException e) {
            throw new NcfCli.UsageException("--output " + target + " cannot be written: " + e.getMessage());
        }
    }


    private List<String> users(Recommender rec) throws IOException {
        if (who.users != null) return who.users;
        if (who.usersSource.equals("all")) return rec.allUsers();
        Path f = Path.of(who.usersSource);
        if (!Files.isRegularFile(f)) throw new NcfCli.UsageException("--users " + f + " is neither 'all' nor a readable file of user ids");
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) if (!line.isBlank()) out.add(line.strip());
        return out;
    }

    static String csv(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0) return s;
        return '"' + s.replace("\"", "\"\"") + '"';
    }

    static String json(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }

    /** Float.toString round-trips exactly; JSON has no NaN/Infinity, so those become null. */
    static String jsonNumber(float f) { return Float.isFinite(f) ? Float.toString(f) : "null"; }
}
