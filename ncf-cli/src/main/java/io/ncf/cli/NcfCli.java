package io.ncf.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/**
 * The {@code ncf} executable. Exit codes: 0 success, 1 failure while working, 2 usage error (bad flag,
 * impossible value, unreadable input named by the user).
 */
@Command(name = "ncf", mixinStandardHelpOptions = true, versionProvider = NcfCli.Version.class,
        description = "Neural Collaborative Filtering (NeuMF) on the JVM: prepare implicit-feedback data, train, evaluate, benchmark.",
        subcommands = {PrepareCommand.class, TrainCommand.class, EnginesCommand.class, BenchmarkCommand.class, RecommendCommand.class, EvaluateCommand.class, CompareCommand.class, TuneCommand.class, CommandLine.HelpCommand.class})
public final class NcfCli implements Runnable {

    public static final int EXIT_OK = 0, EXIT_FAILURE = 1, EXIT_USAGE = 2;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public void run() { throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand (prepare, train, engines, benchmark, recommend, evaluate, compare, tune)"); }

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the CLI with the given streams; returns the exit code (used by tests, no System.exit). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new NcfCli());
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            Throwable cause = ex;
            // library modules name their parameters (batchSize); the user typed flags (-b)
            if (cause instanceof UsageException || cause instanceof IllegalArgumentException) {
                err.println("ncf: " + FlagNames.translate(cause.getMessage()));
                return EXIT_USAGE;
            }
            err.println("ncf: " + FlagNames.translate(cause.getMessage() != null ? cause.getMessage() : cause.toString()));
            if (System.getenv("NCF_DEBUG") != null) cause.printStackTrace(err);
            return EXIT_FAILURE;
        });
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println("ncf: " + ex.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(ex, err);
            err.println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help' for more information.");
            return EXIT_USAGE;
        });
        return cl.execute(args);
    }

    /** A problem with what the user asked for (exit code 2). */
    public static final class UsageException extends RuntimeException {
        public UsageException(String message) { super(message); }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override public String[] getVersion() {
            String v = NcfCli.class.getPackage().getImplementationVersion();
            return new String[]{"ncf " + (v == null ? "0.1.0-SNAPSHOT" : v)};
        }
    }
}
