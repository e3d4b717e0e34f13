package io.ncf.train;

import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * {@code resume} was given settings that differ from the saved run's (see {@link ResumeSettings}). The message
 * uses the library's parameter names ({@code batchSize}); a front end that has its own names for them (the CLI's
 * {@code -b}) renders the same conflicts with {@link #message(Function)}.
 */
public final class ResumeConflictException extends RuntimeException {

    private final List<ResumeSettings.Conflict> conflicts;

    public ResumeConflictException(List<ResumeSettings.Conflict> conflicts) {
        this(conflicts, ResumeSettings.describe(conflicts, Function.identity()));
    }

    private ResumeConflictException(List<ResumeSettings.Conflict> conflicts, String message) {
        super(message);
        if (conflicts.isEmpty()) throw new IllegalArgumentException("no conflicts");
        this.conflicts = List.copyOf(conflicts);
    }

    /** Every setting that differs, in the order the settings were given. */
    public List<ResumeSettings.Conflict> conflicts() { return conflicts; }

    /**
     * The message with each parameter renamed by {@code nameOf}, e.g. {@code batchSize -> "-b"}:
     * {@code "cannot resume with different settings: -b: saved 4096, given 8192; …"}.
     */
    public String message(Function<String, String> nameOf) {
        return ResumeSettings.describe(conflicts, Objects.requireNonNull(nameOf, "nameOf"));
    }
}
