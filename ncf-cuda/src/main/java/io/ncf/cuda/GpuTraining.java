package io.ncf.cuda;

import io.ncf.model.NeuMFConfig;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.nccl.ncclComm;
import org.bytedeco.javacpp.PointerPointer;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;

import static org.bytedeco.cuda.global.nccl.*;

/**
 * A whole training run on 1..n GPUs of this host, for the command line ({@code ncf train --engine cuda}):
 * parameters, gradients and Adam moments resident on every GPU, each epoch sampled and shuffled on the device
 * ({@link EpochPlan}), gradients all-reduced with NCCL when n > 1, evaluation on GPU 0. Nothing is copied per step;
 * parameters come back to the host only when {@link #parameters()} is called (for a checkpoint).
 *
 * <p>Each GPU is driven by its own thread (a CUDA context is current per thread), so every call here is handed to
 * those threads and waited for.
 */
public final class GpuTraining implements AutoCloseable {

    /** What a run needs besides its data; {@code gpus} GPUs share each global batch of {@code batch} samples. */
    public record Settings(NeuMFConfig config, Precision precision, AdamConfig adam, long seed, int negatives, int batch, int gpus) {
        public Settings {
            if (gpus < 1) throw new IllegalArgumentException("--workers must be positive, got " + gpus);
            if (batch % gpus != 0) throw new IllegalArgumentException("-b " + batch + " is not divisible by --workers " + gpus);
            if (negatives < 1) throw new IllegalArgumentException("--negative-samples must be positive, got " + negatives);
        }
    }

    private final Settings settings;
    private final ExecutorService[] threads;
    private final CudaDevice[] devices;
    private final CudaNeuMF[] engines;
    private final GpuTrainer[] trainers;
    private final ncclComm[] comms;

    /**
     * @param evalUsers candidate rows (held-out item first in each row of {@code evalItems}); null: no evaluation
     * @param scalers one loss scaler per GPU, all alike (they see the same all-reduced gradients, so they stay equal)
     */
    public GpuTraining(Settings s, float[] initialParameters, int[] trainUsers, int[] trainItems, int[] evalUsers, int[] evalItems,
                       int evalWidth, Supplier<LossScaler> scalers) {
        int n = s.gpus();
        int available = CudaDevice.count();
        if (n > available) throw new IllegalArgumentException("--workers " + n + " needs " + n + " GPUs but " + available + " are present");
        if (n > 1 && !"0".equals(System.getenv("NCCL_NVLS_ENABLE")))
            throw new IllegalArgumentException("set NCCL_NVLS_ENABLE=0 before training on several GPUs (NVLink multicast must stay off)");
        this.settings = s;
        threads = new ExecutorService[n];
        devices = new CudaDevice[n];
        engines = new CudaNeuMF[n];
        trainers = new GpuTrainer[n];
        comms = new ncclComm[n];
        for (int r = 0; r < n; r++) {
            int rank = r;
            threads[r] = Executors.newSingleThreadExecutor(task -> {
                Thread t = new Thread(task, "gpu-" + rank);
                t.setDaemon(true);
                return t;
            });
        }
        boolean ok = false;
        try {
            if (n > 1) {
                PointerPointer<ncclComm> pp = new PointerPointer<>(n);
                int[] devs = new int[n];
                for (int i = 0; i < n; i++) devs[i] = i;
                MultiGpu.checkNccl(ncclCommInitAll(pp, n, devs), "ncclCommInitAll(" + n + ")");
                for (int i = 0; i < n; i++) comms[i] = new ncclComm(pp.get(i));
            }
            int local = s.batch() / n;
            onEach(r -> {
                devices[r] = CudaDevice.open(r);
                // evaluation scores chunks of up to maxBatch samples: keep that at least 64K for small batches
                engines[r] = new CudaNeuMF(devices[r], s.config(), s.precision(), Math.max(local, 1 << 16));
                engines[r].setParameters(initialParameters);
                engines[r].setPositives(trainUsers, trainItems);
                if (r == 0 && evalUsers != null) engines[r].setEvalCandidates(evalUsers, evalItems, evalWidth);
                GpuTrainer.GradientReducer reducer = n == 1 ? null : e -> MultiGpu.checkNccl(ncclAllReduce(CudaDevice.ptr(e.gradientAddress()),
                        CudaDevice.ptr(e.gradientAddress()), e.parameterCount(), ncclFloat32, ncclSum, comms[r], (CUstream_st) null), "ncclAllReduce");
                trainers[r] = new GpuTrainer(engines[r], s.adam(), scalers.get(), s.seed(), trainUsers.length, s.negatives(), s.batch(), r, n, reducer);
                return null;
            });
            ok = true;
        } finally {
            if (!ok) close();
        }
    }

    /** Global steps per epoch: whole batches only (the last partial batch is dropped, as NVIDIA's PyTorch does). */
    public long stepsPerEpoch() { return trainers[0].stepsPerEpoch(); }

    /** Samples one epoch trains on. */
    public long samplesPerEpoch() { return stepsPerEpoch() * settings.batch(); }

    /** Runs one epoch on every GPU; returns the mean training loss per sample. */
    public double trainEpoch(int epoch, float dropout) {
        return trainSteps(epoch, 0, stepsPerEpoch(), dropout) / samplesPerEpoch();
    }

    /**
     * Global steps {@code [first, first+count)} of an epoch (positions wrap around the epoch), on every GPU; waits for
     * them and returns the summed training loss of their samples.
     */
    public double trainSteps(int epoch, long first, long count, float dropout) {
        List<Double> sums = onEach(r -> {
            GpuTrainer tr = trainers[r];
            EpochPlan plan = tr.plan(epoch);
            long n = tr.stepsPerEpoch();
            for (long step = first; step < first + count; step++) tr.step(plan, step % n, dropout);
            return engines[r].takeLossSum();
        });
        double sum = 0;
        for (double v : sums) sum += v;
        return sum;
    }

    /** HR@k and NDCG@k on GPU 0. */
    public CudaNeuMF.EvalMetrics evaluate(int k) { return on(0, () -> engines[0].evaluate(k)); }

    /** The parameters (GPU 0's; every GPU holds the same), flat in {@link ParamLayout} order. */
    public float[] parameters() { return on(0, engines[0]::parameters); }

    /** The loss scaler of GPU 0 (all are equal). */
    public LossScaler scaler() { return trainers[0].scaler(); }

    public String describe() {
        return on(0, () -> devices[0].describe()) + (devices.length > 1 ? " (× " + devices.length + " GPUs, NCCL)" : "");
    }

    @Override public void close() {
        try {
            onEach(r -> {
                if (engines[r] != null) engines[r].close();
                if (devices[r] != null) devices[r].close();
                return null;
            });
        } finally {
            for (ncclComm c : comms) if (c != null) ncclCommDestroy(c);
            for (ExecutorService t : threads) if (t != null) t.shutdownNow();
        }
    }

    private interface RankTask<T> { T run(int rank) throws Exception; }

    /** Runs the task on every GPU's thread at once (NCCL needs all ranks in flight) and waits for all. */
    private <T> List<T> onEach(RankTask<T> task) {
        List<Future<T>> fs = new ArrayList<>();
        for (int r = 0; r < threads.length; r++) {
            int rank = r;
            fs.add(threads[r].submit(() -> task.run(rank)));
        }
        List<T> out = new ArrayList<>();
        Throwable first = null;
        for (Future<T> f : fs) {
            try {
                out.add(f.get());
            } catch (ExecutionException e) {
                if (first == null) first = e.getCause();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CudaException("interrupted while waiting for the GPUs", e);
            }
        }
        if (first instanceof RuntimeException re) throw re;
        if (first instanceof Error err) throw err;
        if (first != null) throw new CudaException("GPU worker failed: " + first, first);
        return out;
    }

    private <T> T on(int rank, Supplier<T> task) {
        try {
            return threads[rank].submit(task::get).get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new CudaException("GPU " + rank + " failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CudaException("interrupted while waiting for GPU " + rank, e);
        }
    }
}
