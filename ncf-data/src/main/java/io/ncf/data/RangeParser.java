package io.ncf.data;

import io.ncf.core.IdVocabulary;

import java.util.Arrays;

/**
 * Parses data lines into primitive arrays with its own (or shared) id interners. One parser per thread when a
 * file is read in parallel; an error is kept as (local line, message) so that the caller can report the global
 * line once the line counts of the earlier ranges are known.
 */
final class RangeParser {

    private final ColumnSpec s;
    private final String[] header;
    private int expected;
    private final FieldSplitter sp;
    final IdVocabulary userVocab;
    final IdVocabulary itemVocab;
    private final ByteInterner users;
    private final ByteInterner items;
    int[] u;
    int[] i;
    long[] t;
    int n;
    private int lastUser = -1;
    private long lastUserKey = -1; // packed bytes of the last short user id; -1 when none or long
    /** Physical lines consumed by the last {@link #parse} call. */
    long lines;
    /** Local line and message of the first error, or errorLine == 0. */
    long errorLine;
    String errorMessage;
    /** With skipping on: local lines and messages of the first skipped rows, and how many were skipped. */
    boolean skipBad;
    boolean integerIds;
    long skipped;
    final java.util.List<Object[]> skippedExamples = new java.util.ArrayList<>();

    /** Longer lines are refused: no ratings row comes near it, and a binary or one-line file would exhaust memory. */
    static final int MAX_LINE_BYTES = 1 << 20;

    RangeParser(ColumnSpec resolved, String[] header, int expectedFields, boolean quoted, IdVocabulary userVocab,
                IdVocabulary itemVocab, int capacity) {
        this.s = resolved;
        this.header = header;
        this.expected = expectedFields;
        this.sp = new FieldSplitter(resolved.delimiter(), quoted);
        this.userVocab = userVocab;
        this.itemVocab = itemVocab;
        this.users = new ByteInterner(userVocab);
        this.items = new ByteInterner(itemVocab);
        int c = Math.max(1024, capacity);
        u = new int[c];
        i = new int[c];
        t = resolved.hasTimestamp() ? new long[c] : null;
    }

    /** Parses every line of {@code in}; stops at the first error (see {@link #errorLine}). */
    void parse(LineSource in) {
        try {
            parseLines(in);
        } catch (LineSource.LineTooLong e) { // fatal even when skipping: the rest of the line cannot be found cheaply
            errorLine = e.line;
            errorMessage = e.detail;
        }
    }

    private void parseLines(LineSource in) {
        while (in.next()) {
            if (in.blank()) continue;
            String err = parseLine(in.buffer(), in.start(), in.end());
            if (err != null && skipBad) {
                if (skippedExamples.size() < BadRows.EXAMPLES) skippedExamples.add(new Object[]{in.lineNumber(), err});
                skipped++;
                continue;
            }
            if (err != null) {
                errorLine = in.lineNumber();
                errorMessage = err;
                return;
            }
        }
        lines = in.lineNumber();
    }

    /** Parses one non-blank line; returns null or the error text (what follows "file:line: "). */
    private String parseLine(byte[] b, int from, int to) {
        FieldSplitter sp = this.sp;
        if (to - from > MAX_LINE_BYTES)
            return "line is " + (to - from) + " bytes long, over the " + MAX_LINE_BYTES + "-byte limit (is this a ratings file?)";
        int nf = sp.split(b, from, to);
        if (nf < 0) return "unterminated quoted field or text after a closing quote";
        if (expected == 0) {
            if (nf < s.minFields()) return "expected at least " + s.minFields() + " fields for " + s + ", found " + nf;
            expected = nf;
        }
        if (nf != expected) return "expected " + expected + " fields, found " + nf;
        int uc = s.userColumn(), ic = s.itemColumn(), tc = s.timestampColumn();
        if (sp.isEmpty(uc)) return field(uc) + "empty user id";
        if (sp.isEmpty(ic)) return field(ic) + "empty item id";
        String bad = checkId(uc, "user") ;
        if (bad == null) bad = checkId(ic, "item");
        if (bad != null) return bad;
        byte[] us = sp.source(uc);
        int us0 = sp.start(uc), us1 = sp.end(uc);
        // rows of one user usually come together: skip the lookup when the user repeats
        int user;
        if (ByteInterner.isShort(us0, us1)) {
            long key = ByteInterner.pack(us, us0, us1);
            user = key == lastUserKey ? lastUser : users.intern(us, us0, us1);
            lastUserKey = key;
        } else {
            user = users.intern(us, us0, us1);
            lastUserKey = -1;
        }
        lastUser = user;
        int item = items.intern(sp.source(ic), sp.start(ic), sp.end(ic));
        long time = 0;
        if (tc >= 0) {
            time = sp.parseLong(tc);
            if (time == Long.MIN_VALUE) return field(tc) + "'" + sp.text(tc) + "' is not an integer";
        }
        if (n == u.length) grow();
        u[n] = user;
        i[n] = item;
        if (t != null) t[n] = time;
        n++;
        return null;
    }

    /** MovieLens ids must be 32-bit integers; any id must be valid UTF-8 (it is kept as text). */
    private String checkId(int column, String what) {
        if (integerIds) {
            long v = sp.parseLong(column);
            if (v == Long.MIN_VALUE || v != (int) v)
                return field(column) + what + " id '" + printable(sp.text(column)) + "' is not an integer that fits in 32 bits";
            return null;
        }
        byte[] b = sp.source(column);
        int e = sp.end(column);
        for (int k = sp.start(column); k < e; k++)
            if (b[k] < 0) return Utf8.valid(b, sp.start(column), e) ? null : field(column) + what + " id is not valid UTF-8";
        return null;
    }

    /** At most 40 characters, control and replacement characters shown as '?', for an error message. */
    static String printable(String t) {
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < t.length() && sb.length() < 40; k++) {
            char c = t.charAt(k);
            sb.append(Character.isISOControl(c) || c == '\uFFFD' ? '?' : c);
        }
        if (t.length() > 40) sb.append("…");
        return sb.toString();
    }

    private String field(int column) {
        String name = s.fieldName(column, header);
        return "field " + (column + 1) + (name == null ? "" : " (" + name + ")") + ": ";
    }

    private void grow() {
        long c = Math.min(Integer.MAX_VALUE - 8, (long) u.length + (u.length >> 1) + 16);
        if (c <= n) throw new IllegalStateException("too many interactions for int indexing: " + n);
        u = Arrays.copyOf(u, (int) c);
        i = Arrays.copyOf(i, (int) c);
        if (t != null) t = Arrays.copyOf(t, (int) c);
    }
}
