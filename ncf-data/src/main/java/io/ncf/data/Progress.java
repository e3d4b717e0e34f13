package io.ncf.data;

/**
 * Progress of a long step (reading a file, preprocessing, an epoch, an evaluation), reported by library code and
 * rendered — as a bar, periodic lines or not at all — by the application. Libraries never print.
 *
 * <p>A step is a {@code task} name with {@code total} units; {@code update(task, done, total)} says that {@code done}
 * of them are complete ({@code done == total} ends the step). Updates of one task never go backwards. A caller may
 * update from several threads (e.g. a parallel file reader), so implementations must be thread-safe, and cheap:
 * callers report at a coarse grain (per buffer, per block, per optimizer step), not per row.
 */
@FunctionalInterface
public interface Progress {

    /** Ignores every update. */
    Progress NONE = (task, done, total) -> {};

    /** {@code done} of {@code total} units of {@code task} are complete; {@code total <= 0} means unknown. */
    void update(String task, long done, long total);

    /** Null-safe: {@code p}, or {@link #NONE} for null. */
    static Progress orNone(Progress p) { return p == null ? NONE : p; }
}
