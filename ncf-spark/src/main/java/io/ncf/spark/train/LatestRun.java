package io.ncf.spark.train;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * An executor JVM's replicas, one per shard, of the latest training run only: a task of another run closes the
 * others first (an executor serves one fit at a time; a later fit must not pay for an earlier one's memory). Both sync
 * modes keep their replicas here.
 */
final class LatestRun<R> {

    private final Map<Integer, R> byShard = new HashMap<>();
    private final Consumer<R> close;
    private String run;

    LatestRun(Consumer<R> close) { this.close = close; }

    /** {@code shard}'s replica of {@code runId}, made by {@code make} where there is none. */
    synchronized R get(String runId, int shard, Supplier<R> make) {
        if (!runId.equals(run)) {
            closeAll();
            run = runId;
        }
        return byShard.computeIfAbsent(shard, s -> make.get());
    }

    /** Closes the replicas of {@code runId} (the driver's own in local mode; executors drop theirs at the next run). */
    synchronized void release(String runId) {
        if (!runId.equals(run)) return;
        closeAll();
        run = null;
    }

    /** Forgets every replica without closing it (fault injection: a task of the same run may still compute with one). */
    synchronized void forget() { byShard.clear(); }

    private void closeAll() {
        for (R r : byShard.values()) close.accept(r);
        byShard.clear();
    }
}
