package io.ncf.cuda;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * One thread per rank (a CUDA context is current per thread), and the rule that keeps a data-parallel group from
 * hanging: when one rank fails, the others may be blocked in a collective (an NCCL all-reduce waiting for the failed
 * rank forever), so the group runs its abort hook ({@code ncclCommAbort} on every communicator), which makes those
 * calls return with an error; then every rank's outcome is collected and the first failure is rethrown, naming its
 * rank. Knows nothing of CUDA, so its logic is tested on the CPU.
 */
public final class RankGroup implements AutoCloseable {

    /** Work of one rank. */
    public interface RankTask<T> { T run(int rank) throws Exception; }

    /** A rank failed; the message names the rank and the cause. */
    public static final class RankFailedException extends RuntimeException {
        private final int rank;

        RankFailedException(int rank, Throwable cause) {
            super("GPU " + rank + " failed: " + (cause.getMessage() == null ? cause.toString() : cause.getMessage()), cause);
            this.rank = rank;
        }

        public int rank() { return rank; }
    }

    private final ExecutorService[] threads;
    private final Runnable abort;
    private final long abortWaitMillis;
    private volatile boolean aborted;

    /**
     * @param abort           called once, on the first failure of a group call, while other ranks may still be blocked
     * @param abortWaitMillis how long to wait for the other ranks after aborting before giving up on them
     */
    public RankGroup(int ranks, String name, Runnable abort, long abortWaitMillis) {
        if (ranks < 1) throw new IllegalArgumentException("a group needs at least one rank, got " + ranks);
        this.abort = abort;
        this.abortWaitMillis = abortWaitMillis;
        threads = new ExecutorService[ranks];
        for (int r = 0; r < ranks; r++) {
            int rank = r;
            threads[r] = Executors.newSingleThreadExecutor(task -> {
                Thread t = new Thread(task, name + "-" + rank);
                t.setDaemon(true);
                return t;
            });
        }
    }

    public int size() { return threads.length; }

    /** Whether a failure aborted the group; an aborted group's communicators are gone, so it cannot run again. */
    public boolean isAborted() { return aborted; }

    /** Runs the task on every rank at once (collectives need all ranks in flight) and waits for all. */
    public <T> List<T> onEach(RankTask<T> task) {
        if (aborted) throw new IllegalStateException("the GPU group was aborted after a failure; it cannot run again");
        int n = threads.length;
        List<Future<T>> fs = new ArrayList<>(n);
        // each rank reports its end here, so the caller blocks until the next rank ends, whichever it is
        LinkedBlockingQueue<Integer> ended = new LinkedBlockingQueue<>();
        for (int r = 0; r < n; r++) {
            int rank = r;
            fs.add(threads[r].submit(() -> {
                try {
                    return task.run(rank);
                } finally {
                    ended.add(rank);
                }
            }));
        }
        RankFailedException first = null;
        long deadline = 0;
        try {
            for (int finished = 0; finished < n; finished++) {
                Integer r;
                if (first == null) r = ended.take();
                else {
                    r = ended.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    if (r == null) break; // a rank did not return even after the abort: stop waiting for it
                }
                try {
                    fs.get(r).get();
                } catch (ExecutionException e) {
                    if (first == null) {
                        first = new RankFailedException(r, e.getCause());
                        aborted = n > 1;
                        if (n > 1 && abort != null) abort.run(); // unblock ranks waiting in a collective
                        deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(abortWaitMillis);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CudaException("interrupted while waiting for the GPUs", e);
        }
        if (first != null) {
            if (n == 1 && first.getCause() instanceof RuntimeException re) throw re; // one GPU: the cause as it is
            throw first;
        }
        List<T> out = new ArrayList<>(n);
        try {
            for (Future<T> f : fs) out.add(f.get());
        } catch (ExecutionException | InterruptedException e) {
            throw new IllegalStateException(e); // unreachable: every rank completed normally
        }
        return out;
    }

    /** Runs the task on one rank's thread and waits for it. */
    public <T> T on(int rank, java.util.function.Supplier<T> task) {
        try {
            return threads[rank].submit(task::get).get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new RankFailedException(rank, e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CudaException("interrupted while waiting for GPU " + rank, e);
        }
    }

    @Override public void close() { for (ExecutorService t : threads) t.shutdownNow(); }
}
