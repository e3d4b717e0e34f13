package io.ncf.core.blas;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A tiny fixed pool that runs one task split into {@code threads} contiguous ranges, the caller taking range 0.
 * The kernels are memory-bound loops of a few milliseconds each, so what matters is a low hand-off cost and no
 * allocation per call (an executor would allocate futures and queue nodes on every one of the ~20 kernel
 * launches per micro-batch). Workers spin briefly, then park; threads are daemons so they never keep a JVM alive.
 *
 * <p>Not reentrant: one {@link #run} at a time (the engine is single-threaded from the caller's view).
 */
public final class Workers implements AutoCloseable {

    /** A range task; {@code worker} in [0, threads) indexes per-worker scratch space. */
    @FunctionalInterface
    public interface RangeTask {
        void run(int worker, int from, int to);
    }

    private final int threads;
    private final Thread[] pool;
    private volatile RangeTask task;
    private volatile int total;
    private volatile long generation;
    private final AtomicInteger pending = new AtomicInteger();
    private volatile Throwable failure;
    private volatile Thread caller;
    private volatile boolean closed;

    public Workers(int threads) {
        if (threads < 1) throw new IllegalArgumentException("thread count must be at least 1, got " + threads);
        this.threads = threads;
        this.pool = new Thread[threads - 1];
        for (int w = 1; w < threads; w++) {
            final int worker = w;
            Thread t = new Thread(() -> loop(worker), "ncf-fused-" + w);
            t.setDaemon(true);
            pool[w - 1] = t;
            t.start();
        }
    }

    public int threads() { return threads; }

    /** The range [from, to) of worker {@code w} when {@code n} items are split evenly. */
    public static int bound(int n, int parts, int w) { return (int) ((long) n * w / parts); }

    /** Runs {@code t} once per worker (ranges [w, w+1)), for kernels that partition work by ownership instead. */
    public void runPerWorker(RangeTask t) { run(threads, t); }

    /**
     * Runs {@code t} over [0, n) split into {@link #threads()} ranges and waits for all of them. Every worker index
     * is called exactly once per run, some with an empty range when n is small.
     */
    public void run(int n, RangeTask t) {
        if (threads == 1 || n < threads) {
            // still call every worker index (with empty ranges), so per-worker partial results are always fresh
            t.run(0, 0, n);
            for (int w = 1; w < threads; w++) t.run(w, n, n);
            return;
        }
        failure = null;
        task = t;
        total = n;
        caller = Thread.currentThread();
        pending.set(threads - 1);
        generation++;                      // volatile write publishes task/total
        for (Thread w : pool) LockSupport.unpark(w);
        Throwable own = null;
        try {
            t.run(0, 0, bound(n, threads, 1));
        } catch (Throwable e) {
            own = e;
        }
        int spins = 0;
        while (pending.get() != 0) {
            if (++spins < 4_000) Thread.onSpinWait();
            else LockSupport.parkNanos(this, 50_000);
        }
        task = null;
        if (own != null) rethrow(own);
        if (failure != null) rethrow(failure);
    }

    private static void rethrow(Throwable e) {
        if (e instanceof RuntimeException r) throw r;
        if (e instanceof Error err) throw err;
        throw new RuntimeException(e);
    }

    private void loop(int worker) {
        long seen = 0;
        while (!closed) {
            int spins = 0;
            while (generation == seen && !closed) {
                if (++spins < 4_000) Thread.onSpinWait();
                else LockSupport.park(this);
            }
            if (closed) return;
            seen = generation;
            RangeTask t = task;
            int n = total;
            try {
                t.run(worker, bound(n, threads, worker), bound(n, threads, worker + 1));
            } catch (Throwable e) {
                failure = e;
            }
            if (pending.decrementAndGet() == 0) LockSupport.unpark(caller);
        }
    }

    @Override public void close() {
        closed = true;
        for (Thread w : pool) LockSupport.unpark(w);
    }
}
