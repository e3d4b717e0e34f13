package io.ncf.data;

import java.util.ArrayList;
import java.util.List;

/**
 * What to do with a malformed data row ({@code --on-bad-row}): fail at the first one (the default) or skip it,
 * counting it and keeping the first few messages ({@code file:line: field …: what}) for the report.
 * A header that cannot be resolved always fails: then no row can be read.
 */
public final class BadRows {

    public enum Policy { FAIL, SKIP }

    /** Messages kept for the report; the count goes on. */
    public static final int EXAMPLES = 5;

    private final Policy policy;
    private long count;
    private final List<String> examples = new ArrayList<>();

    private BadRows(Policy policy) { this.policy = policy; }

    public static BadRows fail() { return new BadRows(Policy.FAIL); }

    public static BadRows skip() { return new BadRows(Policy.SKIP); }

    public static BadRows of(Policy p) { return new BadRows(p); }

    public Policy policy() { return policy; }

    public boolean skipping() { return policy == Policy.SKIP; }

    /** Rows skipped so far. */
    public long count() { return count; }

    /** The first {@link #EXAMPLES} skipped rows, as {@code file:line: message}, in file order. */
    public List<String> examples() { return List.copyOf(examples); }

    /** Adds {@code skipped} rows of which the given examples (file order) are the first. */
    synchronized void add(long skipped, String file, long lineOffset, List<Object[]> localExamples) {
        count += skipped;
        for (Object[] e : localExamples)
            if (examples.size() < EXAMPLES) examples.add(file + ":" + (lineOffset + (Long) e[0]) + ": " + e[1]);
    }

    /** One line for the user, e.g. "skipped 3 bad rows: a.csv:4: …; a.csv:9: …". */
    public String summary() {
        if (count == 0) return "no bad rows";
        return "skipped " + count + " bad row" + (count == 1 ? "" : "s") + (count > examples.size() ? " (first " + examples.size() + " shown)" : "")
                + ": " + String.join("; ", examples);
    }
}
