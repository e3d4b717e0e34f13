package io.ncf.data;

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
        while (in.next()) {
            if (in.blank()) continue;
            String err = parseLine(in.buffer(), in.start(), in.end());
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
