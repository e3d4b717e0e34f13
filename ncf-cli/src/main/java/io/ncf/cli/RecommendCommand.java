package io.ncf.cli;

import io.ncf.model.serve.Recommender;
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
                "written by 'ncf train --checkpoint-dir'). Users are scored in blocks, so '--users all' runs in bounded memory.",
                "CSV columns: user,item,score,rank (original ids; score is the model's logit). Users/s is reported on stderr."})
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

    @Mixin OutputOptions console;

    enum Format { csv, jsonl }

    @Override public Integer call() throws IOException {
        if (k <= 0) throw new NcfCli.UsageException("-k must be positive, got " + k);
        if (!Files.isRegularFile(model)) throw new NcfCli.UsageException("--model " + model + " does not exist or is not a file");
        PrintWriter err = console.info(spec.commandLine().getErr());
        io.ncf.data.Progress progress = console.progress(spec.commandLine().getErr());
        long t0 = System.nanoTime();
        try (Recommender rec = new Recommender(io.ncf.model.serve.ModelArtifact.read(model), unknown,
                threads != null ? threads : Runtime.getRuntime().availableProcessors())) {
            double loadS = (System.nanoTime() - t0) / 1e9;
            List<String> users = users(rec);
            if (unknown == Recommender.UnknownUserPolicy.ERROR)
                for (String u : users)
                    if (!rec.knows(u)) throw new NcfCli.UsageException("unknown user '" + u + "': the model was not trained on it (use --unknown-users popularity to recommend popular items instead)");
            Writer sink = output != null ? Files.newBufferedWriter(output, StandardCharsets.UTF_8) : null;
            PrintWriter out = sink != null ? new PrintWriter(sink) : spec.commandLine().getOut();
            if (format == Format.csv) out.println("user,item,score,rank");
            long t1 = System.nanoTime();
            long[] done = {0};
            try {
                rec.recommendBatch(users, k, (user, items) -> {
                    for (Recommender.Item it : items) {
                        if (format == Format.csv) out.println(csv(user) + "," + csv(it.itemId()) + "," + it.score() + "," + it.rank());
                        else out.println("{\"user\":" + json(user) + ",\"item\":" + json(it.itemId()) + ",\"score\":" + jsonNumber(it.score()) + ",\"rank\":" + it.rank() + "}");
                    }
                    done[0]++;
                    if (done[0] % 64 == 0 || done[0] == users.size()) progress.update("recommend", done[0], users.size());
                });
            } catch (Recommender.UnknownUserException e) {
                throw new NcfCli.UsageException(e.getMessage() + " (use --unknown-users popularity to recommend popular items instead)");
            } finally {
                out.flush();
                if (sink != null) out.close();
            }
            double s = (System.nanoTime() - t1) / 1e9;
            err.printf("Recommended %d items to %,d users in %.2f s (%,.1f users/s; model loaded in %.2f s)%n", k, done[0], s, done[0] / Math.max(s, 1e-9), loadS);
            err.flush();
        }
        return NcfCli.EXIT_OK;
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
