package io.ncf.train;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;

/**
 * Writes checkpoints (training state, best model) on one background thread, in submission order, so the next epoch
 * trains while the last one's files reach the disk: on a GPU an epoch of ml-20m shape trains in 0.7 s, and writing
 * its 381 MB state took about as long again when done in line. At most {@code maxPending} writes are queued or
 * running (each holds its snapshot's arrays); a further submit waits. Every file is still written atomically
 * (temporary file, fsync, rename), so a kill leaves the previous complete file; a failed write is rethrown by the
 * next {@link #submit} or by {@link #close}, which waits for all writes.
 */
public final class BackgroundWriter implements AutoCloseable {

    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "ncf-checkpoint-writer");
        t.setDaemon(true);
        return t;
    });
    private final Semaphore slots;
    private Future<?> last;
    private volatile Throwable failure;

    public BackgroundWriter(int maxPending) {
        if (maxPending < 1) throw new IllegalArgumentException("maxPending must be positive, got " + maxPending);
        this.slots = new Semaphore(maxPending);
    }

    /** Queues a write; waits while {@code maxPending} are in flight; rethrows an earlier write's failure. */
    public synchronized void submit(Runnable write) {
        rethrow();
        slots.acquireUninterruptibly();
        last = thread.submit(() -> {
            try {
                if (failure == null) write.run(); // after a failure, later writes would only hide it
            } catch (RuntimeException | Error e) {
                if (failure == null) failure = e;
            } finally {
                slots.release();
            }
        });
    }

    /** Waits for every queued write. */
    public synchronized void flush() {
        if (last != null) {
            try {
                last.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for checkpoint writes", e);
            } catch (ExecutionException e) {
                throw new IllegalStateException(e.getCause());
            }
        }
        rethrow();
    }

    private void rethrow() {
        Throwable f = failure;
        if (f instanceof RuntimeException re) throw re;
        if (f instanceof Error err) throw err;
    }

    /** Waits for every write, then stops the thread; a write's failure is thrown here. */
    @Override public void close() {
        try {
            flush();
        } finally {
            thread.shutdown();
        }
    }
}
