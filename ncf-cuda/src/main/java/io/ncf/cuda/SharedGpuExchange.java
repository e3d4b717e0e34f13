package io.ncf.cuda;

import java.util.List;
import java.util.concurrent.Phaser;

/**
 * {@link RankExchange} for ranks that share one GPU (one context, so every engine's memory is addressable from any
 * rank's thread): each collective is a barrier, rank 0 moving the data with device copies and add kernels, and a
 * second barrier. Checks user-sharded training's numbers (8 ranks against 1) on a single card; the ranks run one
 * after another on that card, so it measures nothing about speed. {@link #abort} breaks the barrier, so ranks
 * waiting for a failed one, and any that arrive later, return, as {@code ncclCommAbort} makes NCCL's calls return.
 */
final class SharedGpuExchange implements RankExchange {

    private final CudaNeuMF[] engines;
    private final Phaser barrier;

    SharedGpuExchange(int ranks) {
        this.engines = new CudaNeuMF[ranks];
        this.barrier = new Phaser(ranks);
    }

    /** Registers rank r's engine (before the first collective). */
    void register(int rank, CudaNeuMF engine) { engines[rank] = engine; }

    @Override public void allGatherBatch(CudaNeuMF e, int rank, int share) {
        collective(e, rank, () -> {
            for (int src = 0; src < engines.length; src++) {
                long[] from = engines[src].globalBatchAddresses();
                for (int dst = 0; dst < engines.length; dst++) {
                    if (dst == src) continue;
                    long[] to = engines[dst].globalBatchAddresses();
                    for (int k = 0; k < from.length; k++)
                        e.device().copy(to[k] + 4L * src * share, from[k] + 4L * src * share, 4L * share);
                }
            }
        });
    }

    @Override public void allReduceGradients(CudaNeuMF e, int rank, List<long[]> ranges) {
        collective(e, rank, () -> {
            long sum = engines[0].address(CudaNeuMF.Buffer.GRADIENTS);
            for (int r = 1; r < engines.length; r++) {
                long g = engines[r].address(CudaNeuMF.Buffer.GRADIENTS);
                for (long[] x : ranges) engines[0].addInto(sum + 4 * x[0], g + 4 * x[0], x[1], false);
                engines[0].addInto(engines[0].flagAddress(), engines[r].flagAddress(), 1, true);
            }
            for (int r = 1; r < engines.length; r++) {
                long g = engines[r].address(CudaNeuMF.Buffer.GRADIENTS);
                for (long[] x : ranges) e.device().copy(g + 4 * x[0], sum + 4 * x[0], 4 * x[1]);
                e.device().copy(engines[r].flagAddress(), engines[0].flagAddress(), 4);
            }
        });
    }

    @Override public void broadcast(CudaNeuMF e, int rank, List<Block> blocks) {
        collective(e, rank, () -> {
            for (Block b : blocks) {
                long src = engines[b.root()].address(b.buffer()) + 4 * b.offset();
                for (int r = 0; r < engines.length; r++)
                    if (r != b.root()) e.device().copy(engines[r].address(b.buffer()) + 4 * b.offset(), src, 4 * b.length());
            }
        });
    }

    /** Everyone's work done, rank 0 moves the data (on its own thread: the add kernels are its engine's), everyone goes on. */
    private void collective(CudaNeuMF e, int rank, Runnable rank0) {
        if (engines.length == 1) return; // a group of one (a user-sharded run on one GPU): nothing to move, no sync to pay
        e.device().synchronize();
        await();
        if (rank == 0) {
            rank0.run();
            e.device().synchronize();
        }
        await();
    }

    private void await() {
        if (barrier.arriveAndAwaitAdvance() < 0 || barrier.isTerminated())
            throw new CudaException("another rank failed while this one waited in a collective");
    }

    @Override public void abort() { barrier.forceTermination(); }
}
