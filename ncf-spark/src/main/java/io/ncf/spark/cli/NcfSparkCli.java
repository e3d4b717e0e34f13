package io.ncf.spark.cli;

import io.ncf.spark.NativeBlas;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/**
 * The {@code ncf-spark} executable: ncf's estimator on Spark beside MLlib's, from the command line. Exit codes as
 * {@code ncf}'s: 0 success, 1 failure while working (bad data included), 2 usage error (a bad flag, a missing
 * input file, an unknown format).
 *
 * <p>Flags live here only: the library ({@code NcfEstimator}, {@code SparkPreparation}) speaks in Spark param
 * names, so each command checks its own flags before handing values to it and names the flag when one is wrong.
 */
@Command(name = "ncf-spark", mixinStandardHelpOptions = true, versionProvider = NcfSparkCli.Version.class,
        description = "NeuMF on Apache Spark (ncf-spark's NcfEstimator) beside Spark MLlib.",
        subcommands = {CompareCommand.class, CommandLine.HelpCommand.class})
public final class NcfSparkCli implements Runnable {

    public static final int EXIT_OK = 0, EXIT_FAILURE = 1, EXIT_USAGE = 2;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public void run() { throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand (compare)"); }

    public static void main(String[] args) {
        // before anything loads MLlib: its native BLAS beside ncf's OpenBLAS crashed the JVM (see NativeBlas)
        NativeBlas.keepMllibOnJava();
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line with the given streams and returns the exit code (no System.exit: tests call this). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        NativeBlas.keepMllibOnJava();
        CommandLine cl = new CommandLine(new NcfSparkCli());
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            // a command checks every flag before it works and throws UsageException naming it; what fails later (bad
            // data, Spark, and Scala's require, which throws IllegalArgumentException from deep inside MLlib) is exit 1
            int code = ex instanceof UsageException ? EXIT_USAGE : EXIT_FAILURE;
            err.println("ncf-spark: " + (ex.getMessage() != null ? ex.getMessage() : ex.toString()));
            if (code == EXIT_FAILURE && System.getenv("NCF_DEBUG") != null) ex.printStackTrace(err);
            err.flush();
            return code;
        });
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println("ncf-spark: " + ex.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(ex, err);
            err.println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help' for more information.");
            err.flush();
            return EXIT_USAGE;
        });
        return cl.execute(args);
    }

    /** A problem with what the user asked for (exit code 2); the message names the flag. */
    public static final class UsageException extends RuntimeException {
        public UsageException(String message) { super(message); }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override public String[] getVersion() {
            String v = NcfSparkCli.class.getPackage().getImplementationVersion();
            return new String[]{"ncf-spark " + (v == null ? "0.1.0-SNAPSHOT" : v) + " (Spark " + org.apache.spark.package$.MODULE$.SPARK_VERSION() + ")"};
        }
    }
}
