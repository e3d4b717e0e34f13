package io.ncf.cuda;

import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.nccl.ncclComm;

import java.util.List;

import static org.bytedeco.cuda.global.nccl.*;

/**
 * {@link RankExchange} over NCCL: one communicator per rank (its index in {@code comms} is the rank this process
 * drives, offset by {@code firstRank} for the group's numbering). Every collective is in place on the default
 * stream; a step's several buffers go in one NCCL group (one launch).
 */
final class NcclExchange implements RankExchange {

    private final ncclComm[] comms;
    private final int firstRank;
    private final Runnable abort;

    /** @param comms the communicators of the ranks this process drives, indexed by local rank (shared with the run, which destroys them) */
    NcclExchange(ncclComm[] comms, int firstRank, Runnable abort) {
        this.comms = comms;
        this.firstRank = firstRank;
        this.abort = abort;
    }

    private ncclComm comm(int rank) {
        ncclComm c = comms[rank - firstRank];
        if (c == null) throw new CudaException("the NCCL communicator of rank " + rank + " was aborted");
        return c;
    }

    @Override public void allGatherBatch(CudaNeuMF e, int rank, int share) {
        ncclComm c = comm(rank);
        long[] g = e.globalBatchAddresses();
        checkNccl(ncclGroupStart(), "ncclGroupStart");
        for (int k = 0; k < g.length; k++)
            checkNccl(ncclAllGather(CudaDevice.ptr(g[k] + 4L * rank * share), CudaDevice.ptr(g[k]), share,
                    k == 2 ? ncclFloat32 : ncclInt32, c, (CUstream_st) null), "ncclAllGather(batch)");
        checkNccl(ncclGroupEnd(), "ncclGroupEnd(all-gather of the batch)");
    }

    @Override public void allReduceGradients(CudaNeuMF e, int rank, List<long[]> ranges) {
        ncclComm c = comm(rank);
        long grads = e.address(CudaNeuMF.Buffer.GRADIENTS);
        checkNccl(ncclGroupStart(), "ncclGroupStart");
        for (long[] r : ranges) {
            long a = grads + 4 * r[0];
            checkNccl(ncclAllReduce(CudaDevice.ptr(a), CudaDevice.ptr(a), r[1], ncclFloat32, ncclSum, c, (CUstream_st) null), "ncclAllReduce(gradients)");
        }
        checkNccl(ncclAllReduce(CudaDevice.ptr(e.flagAddress()), CudaDevice.ptr(e.flagAddress()), 1, ncclInt32, ncclSum, c, (CUstream_st) null), "ncclAllReduce(flag)");
        checkNccl(ncclGroupEnd(), "ncclGroupEnd(all-reduce of the shared gradients)");
    }

    @Override public void broadcast(CudaNeuMF e, int rank, List<Block> blocks) {
        ncclComm c = comm(rank);
        checkNccl(ncclGroupStart(), "ncclGroupStart");
        for (Block b : blocks) {
            if (b.length() == 0) continue;
            long a = e.address(b.buffer()) + 4 * b.offset();
            checkNccl(ncclBroadcast(CudaDevice.ptr(a), CudaDevice.ptr(a), b.length(), ncclFloat32, b.root(), c, (CUstream_st) null), "ncclBroadcast(" + b.buffer() + ")");
        }
        checkNccl(ncclGroupEnd(), "ncclGroupEnd(broadcast of the user blocks)");
    }

    @Override public void abort() { abort.run(); }

    /** Throws a {@link CudaException} naming {@code what} and NCCL's message unless {@code rc} is ncclSuccess. */
    static void checkNccl(int rc, String what) {
        if (rc != ncclSuccess) {
            org.bytedeco.javacpp.BytePointer s = ncclGetErrorString(rc);
            throw new CudaException(what + " failed: NCCL error " + rc + " (" + (s == null ? "?" : s.getString()) + ")");
        }
    }
}
