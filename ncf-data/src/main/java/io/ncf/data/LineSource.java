package io.ncf.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;

/**
 * Lines of a byte stream without creating Strings: after {@link #next()}, the line is
 * {@code buffer()[start() .. end())} with the '\n' and a trailing '\r' removed. The buffer is reused, so a line
 * is valid only until the next call. A missing newline at the end of the file is fine.
 */
final class LineSource implements AutoCloseable {

    private final InputStream in;
    private final String fileName;
    private byte[] buf;
    private int pos;
    private int limit;
    private boolean eof;
    private int start;
    private int end;
    private long lineNumber;
    private long consumedBefore; // stream bytes that preceded buf[0]

    /** Longest line held in memory; RangeParser refuses lines over 1 MiB anyway, with their exact length. */
    static final int MAX_BUFFER = 16 << 20;

    /** A line longer than {@link #MAX_BUFFER}; {@code line} is 1-based within this source. */
    static final class LineTooLong extends DataFormatException {
        final long line;
        final String detail;

        LineTooLong(String file, long line, int bytes) {
            this(file, line, "line is over " + bytes + " bytes long, over the " + RangeParser.MAX_LINE_BYTES + "-byte limit (is this a ratings file?)");
        }

        private LineTooLong(String file, long line, String detail) {
            super(file + ":" + line + ": " + detail);
            this.line = line;
            this.detail = detail;
        }
    }

    LineSource(InputStream in, String fileName, int bufferSize) {
        this.in = in;
        this.fileName = fileName;
        this.buf = new byte[Math.max(64, bufferSize)];
    }

    /** Advances to the next line; false at the end of the stream. */
    boolean next() {
        int scan = pos;
        while (true) {
            byte[] b = buf;
            int lim = limit;
            for (int k = scan; k < lim; k++) {
                if (b[k] == '\n') {
                    start = pos;
                    end = (k > pos && b[k - 1] == '\r') ? k - 1 : k;
                    pos = k + 1;
                    lineNumber++;
                    return true;
                }
            }
            if (eof) {
                if (pos >= limit) return false;
                start = pos;
                end = (limit > pos && b[limit - 1] == '\r') ? limit - 1 : limit;
                pos = limit;
                lineNumber++;
                return true;
            }
            scan = fill();
        }
    }

    /** Moves the unread tail to the front, grows the buffer for very long lines, reads more; returns where to resume scanning. */
    private int fill() {
        int pending = limit - pos;
        if (pos > 0) {
            consumedBefore += pos;
            System.arraycopy(buf, pos, buf, 0, pending);
            pos = 0;
            limit = pending;
        } else if (limit == buf.length) {
            // a file without newlines (binary, or one huge record) must not grow the buffer until memory runs out
            if (buf.length >= MAX_BUFFER) throw new LineTooLong(fileName, lineNumber + 1, buf.length);
            buf = Arrays.copyOf(buf, Math.min(MAX_BUFFER, buf.length * 2));
        }
        try {
            int n = in.read(buf, limit, buf.length - limit);
            if (n < 0) eof = true;
            else limit += n;
        } catch (IOException e) {
            throw new UncheckedIOException(fileName + ": read failed after line " + lineNumber + ": " + e.getMessage(), e);
        }
        return pending;
    }

    byte[] buffer() { return buf; }

    /** Stream bytes consumed so far: the offset just after the current line's newline. */
    long position() { return consumedBefore + pos; }

    int start() { return start; }

    int end() { return end; }

    boolean blank() { return start == end; }

    /** 1-based physical line number of the current line. */
    long lineNumber() { return lineNumber; }

    String fileName() { return fileName; }

    @Override public void close() {
        try {
            in.close();
        } catch (IOException ignored) {
            // a read-only stream that fails to close loses nothing
        }
    }
}
