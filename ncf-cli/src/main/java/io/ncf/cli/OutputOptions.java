package io.ncf.cli;

import io.ncf.data.Progress;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.io.Writer;

/** {@code --progress} and {@code --quiet}, shared by the long-running commands (a picocli mixin). */
final class OutputOptions {

    @Option(names = "--progress", defaultValue = "auto", paramLabel = "MODE",
            description = "Progress of long steps on stderr: auto (a bar when the terminal is interactive, else a line every 10 s), bar, lines or none (default: ${DEFAULT-VALUE}).")
    ProgressRenderer.Mode progressMode = ProgressRenderer.Mode.auto;

    @Option(names = "--quiet", description = "No progress and no informational lines; results, warnings and errors still print.")
    boolean quiet;

    /** Where library code reports progress (nothing under --quiet or --progress none). */
    Progress progress(PrintWriter err) { return ProgressRenderer.create(progressMode, quiet, err); }

    /** {@code out} for informational lines, or a sink that drops them under --quiet. */
    PrintWriter info(PrintWriter out) { return quiet ? new PrintWriter(Writer.nullWriter()) : out; }
}
