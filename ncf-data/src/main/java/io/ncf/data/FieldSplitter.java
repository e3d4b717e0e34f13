package io.ncf.data;

import java.nio.charset.StandardCharsets;

/**
 * Splits one line into fields at a (possibly multi-byte) delimiter, without allocation. With quoting on, a field
 * that starts with '"' runs to its closing quote (delimiters inside are data, {@code ""} is an escaped quote)
 * and its surrounding quotes are dropped. Field k is {@code source(k)[start(k) .. end(k))}: usually the line
 * buffer, a scratch buffer for a quoted field that contained escaped quotes.
 */
final class FieldSplitter {

    private final byte[] delim;
    private final byte d0;
    private final boolean quoted;
    private int[] starts = new int[16];
    private int[] ends = new int[16];
    private byte[][] sources = new byte[16][];
    private byte[] scratch = new byte[256];
    private int scratchUsed;
    private int count;

    FieldSplitter(String delimiter, boolean quoted) {
        this.delim = delimiter.getBytes(StandardCharsets.UTF_8);
        this.d0 = delim[0];
        this.quoted = quoted;
    }

    /** Splits {@code b[from .. to)}; returns the field count, or -1 for an unterminated quoted field. */
    int split(byte[] b, int from, int to) {
        count = 0;
        scratchUsed = 0;
        int dl = delim.length;
        int k = from;
        while (true) {
            if (quoted && k < to && b[k] == '"') {
                int next = quotedField(b, k, to);
                if (next < 0) return -1;
                k = next;
            } else {
                int fs = k;
                while (k < to && !(b[k] == d0 && (dl == 1 || matches(b, k, to)))) k++;
                add(b, fs, k);
            }
            if (k >= to) return count;
            // the character at k starts a delimiter (after a quoted field anything else is an error)
            if (!(b[k] == d0 && (dl == 1 || matches(b, k, to)))) return -1;
            k += dl;
            if (k == to) { add(b, k, k); return count; }
        }
    }

    /** Parses a quoted field at {@code b[q] == '"'}; returns the index just after the closing quote, or -1. */
    private int quotedField(byte[] b, int q, int to) {
        int k = q + 1;
        int fs = k;
        boolean escaped = false;
        while (true) {
            if (k >= to) return -1;
            if (b[k] == '"') {
                if (k + 1 < to && b[k + 1] == '"') { escaped = true; k += 2; continue; }
                break;
            }
            k++;
        }
        if (!escaped) {
            add(b, fs, k);
        } else {
            int need = scratchUsed + (k - fs);
            if (need > scratch.length) {
                // earlier fields may point into scratch: copy, never reallocate in place
                byte[] bigger = new byte[Math.max(need, scratch.length * 2)];
                System.arraycopy(scratch, 0, bigger, 0, scratchUsed);
                for (int f = 0; f < count; f++) if (sources[f] == scratch) sources[f] = bigger;
                scratch = bigger;
            }
            int w = scratchUsed;
            for (int r = fs; r < k; r++) {
                scratch[w++] = b[r];
                if (b[r] == '"') r++;
            }
            add(scratch, scratchUsed, w);
            scratchUsed = w;
        }
        return k + 1;
    }

    private boolean matches(byte[] b, int k, int to) {
        if (k + delim.length > to) return false;
        for (int j = 1; j < delim.length; j++) if (b[k + j] != delim[j]) return false;
        return true;
    }

    private void add(byte[] src, int s, int e) {
        if (count == starts.length) {
            starts = java.util.Arrays.copyOf(starts, count * 2);
            ends = java.util.Arrays.copyOf(ends, count * 2);
            sources = java.util.Arrays.copyOf(sources, count * 2);
        }
        starts[count] = s;
        ends[count] = e;
        sources[count] = src;
        count++;
    }

    int count() { return count; }

    byte[] source(int k) { return sources[k]; }

    int start(int k) { return starts[k]; }

    int end(int k) { return ends[k]; }

    boolean isEmpty(int k) { return starts[k] == ends[k]; }

    String text(int k) { return new String(sources[k], starts[k], ends[k] - starts[k], StandardCharsets.UTF_8); }

    /** Field k as a signed decimal long, or {@link Long#MIN_VALUE} if it is not one (empty, non-digit, overflow). */
    long parseLong(int k) {
        byte[] b = sources[k];
        int i = starts[k], e = ends[k];
        if (i == e) return Long.MIN_VALUE;
        boolean neg = false;
        if (b[i] == '-' || b[i] == '+') {
            neg = b[i] == '-';
            if (++i == e) return Long.MIN_VALUE;
        }
        if (e - i > 18) return parseLongSlow(k);
        long v = 0;
        for (; i < e; i++) {
            int d = b[i] - '0';
            if (d < 0 || d > 9) return Long.MIN_VALUE;
            v = v * 10 + d;
        }
        return neg ? -v : v;
    }

    private long parseLongSlow(int k) {
        try {
            long v = Long.parseLong(text(k));
            return v == Long.MIN_VALUE ? Long.MIN_VALUE : v;
        } catch (NumberFormatException e) {
            return Long.MIN_VALUE;
        }
    }
}
