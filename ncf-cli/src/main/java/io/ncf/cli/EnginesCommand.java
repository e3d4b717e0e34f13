package io.ncf.cli;

import io.ncf.train.engine.Availability;
import io.ncf.train.engine.EngineProvider;
import io.ncf.train.engine.EngineRegistry;
import io.ncf.train.engine.Feature;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code ncf engines}: the training engines on the class path (found through the registry), one line each: name,
 * whether it runs here and why not, what it is. {@code --features} prints the feature × engine table of the README.
 */
@Command(name = "engines", mixinStandardHelpOptions = true, usageHelpWidth = 110,
        description = {"List the training engines (plug-ins found on the class path) and whether each can run on this machine."})
public final class EnginesCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(names = "--features", description = "Print the feature × engine table (Markdown) instead: which training features each engine has, and why not.")
    boolean features;

    @Override public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        List<EngineProvider> providers = EngineRegistry.providers();
        if (features) {
            out.print(featureTable(providers));
            out.flush();
            return NcfCli.EXIT_OK;
        }
        int w = providers.stream().mapToInt(p -> p.name().length()).max().orElse(4);
        for (EngineProvider p : providers) {
            Availability a = p.availability();
            out.printf("%-" + w + "s  %-11s  %s%s%n", p.name(), a.available() ? "available" : "unavailable", p.description(),
                    a.available() ? "" : " — not here: " + a.reason());
        }
        out.flush();
        return NcfCli.EXIT_OK;
    }

    /** The README's table: a row per feature, a column per engine; ✓ or ✗ with the engine's reason. */
    /** The engine a command's {@code --engine NAME} names; an unknown name is a usage error listing the engines. */
    static EngineProvider named(String name) {
        try {
            return EngineRegistry.get(name);
        } catch (IllegalArgumentException e) {
            throw new NcfCli.UsageException("--engine: " + e.getMessage());
        }
    }

    /** An engine's refusal (a feature it lacks, a precision it cannot run here) as a usage error (exit 2) in the command line's words. */
    static NcfCli.UsageException refusal(IllegalArgumentException e) {
        return new NcfCli.UsageException(e.getMessage().replace("with engine ", "with --engine "));
    }

    static String featureTable(List<EngineProvider> providers) {
        StringBuilder sb = new StringBuilder("| feature |");
        for (EngineProvider p : providers) sb.append(' ').append(p.name()).append(" |");
        sb.append("\n|---|");
        sb.append("---|".repeat(providers.size())).append('\n');
        for (Feature f : Feature.values()) {
            sb.append("| `").append(f.flags().replace("|", "\\|")).append("` |"); // a bare | would end the cell
            for (EngineProvider p : providers)
                sb.append(' ').append(p.unsupported(f).map(why -> "✗ " + why).orElse("✓")).append(" |");
            sb.append('\n');
        }
        return sb.toString();
    }
}
