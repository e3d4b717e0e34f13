package io.ncf.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Runs the CLI in-process and captures its output; finds the team's shared MovieLens data. */
final class CliTestSupport {

    record Result(int exitCode, String out, String err) {}

    static Result run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int rc = NcfCli.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(rc, out.toString(), err.toString());
    }

    /** A file under the shared data directory, or a skipped test saying what is missing. */
    static Path sharedData(String relative) {
        String dir = System.getProperty("ncf.shared.data", "../../shared/data");
        Path p = Path.of(dir).resolve(relative);
        assumeTrue(Files.isRegularFile(p), "SKIPPED: MovieLens file " + p.toAbsolutePath().normalize()
                + " is missing (the team's shared data directory ../shared/data); this end-to-end test needs it");
        return p;
    }

    /** The value after "label" in the seed's end-of-run block, e.g. "Best HR:". */
    static double summaryValue(String out, String label) {
        for (String line : out.split("\n"))
            if (line.startsWith(label)) return Double.parseDouble(line.substring(label.length()).trim());
        throw new AssertionError("no line starting with '" + label + "' in:\n" + out);
    }
}
