package io.ncf.cli;

import io.ncf.data.DatasetStore;
import io.ncf.data.NcfDataset;
import io.ncf.eval.RankingProtocols;
import io.ncf.eval.RankingReport;
import io.ncf.model.ModelKind;
import io.ncf.serve.ModelArtifact;
import io.ncf.serve.Recommender;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code ncf evaluate}: HR, Recall, NDCG and MRR at several K under the sampled and the full-ranking protocols. */
@Command(name = "evaluate", mixinStandardHelpOptions = true, sortOptions = false, usageHelpWidth = 110,
        description = {"Evaluate a model artifact on a prepared dataset's held-out items.",
                "sampled: rank the held-out item among the dataset's candidates (duplicates masked, ties pessimistic).",
                "full: rank it against every item the user has not interacted with in training.",
                "With one held-out item per user, Recall@K equals HR@K; both are printed for comparison with other tools."})
public final class EvaluateCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "FILE", description = "Model artifact (model.zip).") Path model;
    @Option(names = "--data", required = true, paramLabel = "DIR", description = "Dataset directory the model was trained on ('ncf prepare').") Path data;
    @Option(names = "--protocol", split = ",", defaultValue = "sampled,full", paramLabel = "P",
            description = "sampled, full or both, comma separated (default: ${DEFAULT-VALUE}).") List<Protocol> protocols;
    @Option(names = {"-k", "--topk"}, split = ",", defaultValue = "1,5,10,20", paramLabel = "K", description = "Cut-offs (default: ${DEFAULT-VALUE}).") int[] ks;
    @Option(names = "--users-per-batch", defaultValue = "64", paramLabel = "N", description = "Users scored per block in the full protocol (default: ${DEFAULT-VALUE}).") int usersPerBatch;
    @Option(names = "--threads", paramLabel = "N", description = "Scoring threads (default: all cores).") Integer threads;

    @picocli.CommandLine.Mixin OutputOptions console;
    @picocli.CommandLine.Mixin RankingOptions ranking;

    enum Protocol { sampled, full }

    @Override public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        for (int k : ks) if (k <= 0) throw new NcfCli.UsageException("-k values must be positive, got " + k);
        if (usersPerBatch <= 0) throw new NcfCli.UsageException("--users-per-batch must be positive, got " + usersPerBatch);
        if (!Files.isRegularFile(model)) throw new NcfCli.UsageException("--model " + model + " does not exist or is not a file");
        if (!Files.isDirectory(data)) throw new NcfCli.UsageException("--data " + data + " is not a dataset directory (make one with 'ncf prepare')");
        NcfDataset ds = DatasetStore.load(data);
        ModelArtifact a = ModelArtifact.read(model);
        if (!a.userIds().equals(ds.userIds()) || !a.itemIds().equals(ds.itemIds()))
            throw new NcfCli.UsageException("--model " + model + " was trained on other data: its " + a.config().numUsers() + " users × " + a.config().numItems()
                    + " items do not map to the same ids as " + data + " (" + ds.numUsers() + " × " + ds.numItems() + ")");
        List<RankingReport> reports = new ArrayList<>();
        io.ncf.data.Progress progress = console.progress(spec.commandLine().getErr());
        int nThreads = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        try (Recommender rec = ranking.onCpuKernel() ? ranking.cpuRecommender(a, Recommender.Options.defaults().withThreads(nThreads))
                : new Recommender(a, Recommender.UnknownUserPolicy.ERROR, nThreads, ranking.open(a, nThreads))) {
            // the sampled protocol scores 101 pairs per user on the CPU kernel; the full protocol ranks on --engine
            for (Protocol p : protocols) {
                reports.add(p == Protocol.sampled ? RankingProtocols.sampled(ds, rec.scorer(), ks, progress)
                        : RankingProtocols.full(ds, rec.ranker(), ks, usersPerBatch, progress));
            }
        }
        console.info(out).printf("Model %s (%s) on %s: %,d users, %,d items%n", model, ModelKind.fromMetadata(a.metadata()), data, ds.numUsers(), ds.numItems());
        out.printf("%-8s %5s  %-6s  %-6s  %-6s  %-6s%n", "protocol", "K", "HR", "Recall", "NDCG", "MRR");
        for (RankingReport r : reports) out.print(r.table());
        for (RankingReport r : reports)
            out.printf("%s: %,d users, %,d pairs scored in %.2f s (%,.0f pairs/s)%n", r.protocol(), r.users(), r.pairs(), r.seconds(), r.pairsPerSecond());
        out.flush();
        return NcfCli.EXIT_OK;
    }
}
