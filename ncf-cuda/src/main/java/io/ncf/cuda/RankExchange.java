package io.ncf.cuda;

import java.util.List;

/**
 * The collectives of user-sharded training ({@link GpuTraining.Exchange#USER_SHARDS}), called by every rank of a
 * group at the same point of a step, each with its own engine. {@link NcclExchange} is the real one (GPUs of a
 * host, or ranks across processes); {@link SharedGpuExchange} runs every rank on one GPU, to check the algorithm's
 * numbers on a single card (no speed-up).
 */
public interface RankExchange {

    /** A range of one of the engine's buffers that its owner (rank {@code root}) sends to every rank. */
    record Block(CudaNeuMF.Buffer buffer, long offset, long length, int root) {}

    /** Each rank's {@code share} samples, written at sample {@code rank*share} of its global batch, reach every rank. */
    void allGatherBatch(CudaNeuMF engine, int rank, int share);

    /** Sums the gradients of {@code ranges} ({offset, length}) and the overflow flag over the ranks, in place. */
    void allReduceGradients(CudaNeuMF engine, int rank, List<long[]> ranges);

    /** Every block's range, as its root holds it, reaches every rank (one group of broadcasts). */
    void broadcast(CudaNeuMF engine, int rank, List<Block> blocks);

    /** Makes ranks blocked in a collective return with an error (another rank failed). */
    void abort();
}
