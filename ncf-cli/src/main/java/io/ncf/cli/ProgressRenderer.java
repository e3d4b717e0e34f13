package io.ncf.cli;

import io.ncf.data.Progress;

import java.io.PrintWriter;
import java.util.function.LongSupplier;

/**
 * Renders {@link Progress} updates on stderr: a bar redrawn in place (for a terminal) or a plain line every
 * {@link #LINE_INTERVAL_NANOS} (for logs and pipes, where carriage returns would pile up). A finished bar is erased,
 * so the command's own summary line takes its place; in line mode a step that printed a line also gets a "done" line.
 * Updates may come from several threads (the parallel reader), hence the synchronization.
 */
final class ProgressRenderer implements Progress {

    /** auto: a bar when the JVM has a console (stdin and stdout are a terminal; the usual proxy for stderr), else lines. */
    enum Mode { auto, bar, lines, none }

    static final long LINE_INTERVAL_NANOS = 10_000_000_000L;
    private static final long BAR_INTERVAL_NANOS = 200_000_000L;
    private static final int BAR_WIDTH = 30;

    private final PrintWriter err;
    private final boolean bar;
    private final LongSupplier clock;

    private String task;
    private long taskStart, lastDraw;
    private boolean finished, printedLine;
    private int drawnWidth;

    ProgressRenderer(PrintWriter err, boolean bar, LongSupplier clock) {
        this.err = err;
        this.bar = bar;
        this.clock = clock;
    }

    /** The renderer for a mode; {@link Progress#NONE} for {@code none} or when {@code quiet}. */
    static Progress create(Mode mode, boolean quiet, PrintWriter err) {
        if (quiet || mode == Mode.none) return Progress.NONE;
        boolean bar = mode == Mode.bar || (mode == Mode.auto && System.console() != null);
        return new ProgressRenderer(err, bar, System::nanoTime);
    }

    @Override
    public synchronized void update(String name, long done, long total) {
        long now = clock.getAsLong();
        if (!name.equals(task)) {
            if (bar && !finished) erase();
            task = name;
            taskStart = now;
            lastDraw = now;
            finished = false;
            printedLine = false;
        } else if (finished) {
            return; // a repeated final update
        }
        boolean complete = total > 0 && done >= total;
        if (bar) {
            if (complete) {
                erase();
                finished = true;
            } else if (now - lastDraw >= BAR_INTERVAL_NANOS || drawnWidth == 0) {
                draw(barLine(done, total, now));
                lastDraw = now;
            }
        } else {
            if (complete) {
                if (printedLine) {
                    err.printf("%s: done, %s in %s%n", task, amount(done, total), duration(now - taskStart));
                    err.flush();
                }
                finished = true;
            } else if (now - lastDraw >= LINE_INTERVAL_NANOS) {
                err.println(plainLine(done, total, now));
                err.flush();
                lastDraw = now;
                printedLine = true;
            }
        }
    }

    private String barLine(long done, long total, long now) {
        StringBuilder b = new StringBuilder(String.format("%-12s ", task));
        if (total > 0) {
            int fill = (int) (BAR_WIDTH * Math.min(1.0, (double) done / total));
            b.append('[').append("#".repeat(fill)).append("-".repeat(BAR_WIDTH - fill)).append("] ");
        }
        b.append(plainTail(done, total, now));
        return b.toString();
    }

    private String plainLine(long done, long total, long now) { return task + ": " + plainTail(done, total, now); }

    private String plainTail(long done, long total, long now) {
        long elapsed = now - taskStart;
        StringBuilder b = new StringBuilder();
        if (total > 0) b.append(String.format("%3d%% ", (int) (100.0 * done / total)));
        b.append('(').append(amount(done, total)).append("), ").append(duration(elapsed));
        if (total > 0 && done > 0) b.append(", ETA ").append(duration((long) (elapsed * ((double) (total - done) / done))));
        return b.toString();
    }

    /** Bytes for the reader, plain counts for everything else. */
    private String amount(long done, long total) {
        if (task.equals(io.ncf.data.RatingsRecordReader.PROGRESS_TASK))
            return total > 0 ? String.format("%,.1f of %,.1f MB", done / 1e6, total / 1e6) : String.format("%,.1f MB", done / 1e6);
        return total > 0 ? String.format("%,d/%,d", done, total) : String.format("%,d", done);
    }

    static String duration(long nanos) {
        long s = Math.round(nanos / 1e9);
        return s < 60 ? s + " s" : s < 3600 ? String.format("%d:%02d", s / 60, s % 60) : String.format("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
    }

    private void draw(String line) {
        int pad = Math.max(0, drawnWidth - line.length());
        err.print("\r" + line + " ".repeat(pad));
        err.flush();
        drawnWidth = line.length();
    }

    private void erase() {
        if (drawnWidth == 0) return;
        err.print("\r" + " ".repeat(drawnWidth) + "\r");
        err.flush();
        drawnWidth = 0;
    }
}
