package io.ncf.cuda;

import io.ncf.eval.EvalResult;
import io.ncf.core.NeuMFConfig;
import io.ncf.train.AdamConfig;
import io.ncf.train.LossScaler;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.nccl.ncclComm;
import org.bytedeco.cuda.nccl.ncclUniqueId;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;

import java.util.List;

import static org.bytedeco.cuda.global.nccl.*;

/**
 * Training on 1..n GPUs of this host: parameters, gradients and Adam moments resident on every GPU, each epoch
 * sampled and shuffled on the device ({@link EpochPlan}), gradients all-reduced with NCCL when n > 1, evaluation on
 * GPU 0. Nothing is copied per step but the step's overflow flag; parameters and moments come back to the host only
 * for a snapshot. {@link CudaEngine} puts it behind the training loop's seam; the benchmarks drive it directly.
 *
 * <p>Each GPU is driven by its own thread ({@link RankGroup}: a CUDA context is current per thread); a failure on one
 * GPU aborts the NCCL communicators so the others return, and the run ends naming the failed GPU.
 */
public final class GpuTraining implements AutoCloseable {

    /** What a run needs besides its data; {@code gpus} GPUs share each global batch of {@code batch} samples. */
    public record Settings(NeuMFConfig config, Precision precision, AdamConfig adam, long seed, int negatives, int batch, int gpus) {
        public Settings {
            if (gpus < 1) throw new IllegalArgumentException("workers must be positive, got " + gpus);
            if (batch % gpus != 0) throw new IllegalArgumentException("batchSize " + batch + " is not divisible by workers " + gpus);
            if (negatives < 1) throw new IllegalArgumentException("negatives must be positive, got " + negatives);
        }
    }

    /** The state a run starts from besides its parameters: Adam's moments (null: zeros) and step count. */
    public record Start(float[] params, float[] adamM, float[] adamV, long adamStep) {
        public static Start fresh(float[] params) { return new Start(params, null, null, 0); }
    }

    private final Settings settings;
    private final RankGroup group;
    private final int firstRank;
    private final CudaDevice[] devices;
    private final CudaNeuMF[] engines;
    private final GpuTrainer[] trainers;
    private final ncclComm[] comms;
    private final LossScaler scaler;
    private long adamSteps;
    private int planEpoch = -1;
    private EpochPlan[] plans;

    /**
     * @param frozen    gradient ranges never trained (a model variant's); empty for NeuMF
     * @param checkedNegatives draw training negatives checked against the user's positives (on the host)
     * @param evalUsers candidate rows (held-out item first in each row of {@code evalItems}); null: no evaluation
     * @param scaler    the run's loss scaler (the GPUs see the same all-reduced gradients, so one decides for all)
     */
    public GpuTraining(Settings s, Start start, List<long[]> frozen, boolean checkedNegatives, int[] trainUsers, int[] trainItems,
                       int[] evalUsers, int[] evalItems, int evalWidth, LossScaler scaler) {
        this(s, start, frozen, checkedNegatives, trainUsers, trainItems, evalUsers, evalItems, evalWidth, scaler, Placement.all(s.gpus()));
    }

    /**
     * Which ranks of a run this process drives. {@link #all}: every rank, rank r on GPU r of this host, one
     * communicator set made here ({@code ncclCommInitAll}). {@link #rankOf}: one rank of a group that spans processes
     * or hosts (a Spark barrier task per GPU), on the given device, joining the group through NCCL's unique id, which
     * rank 0 makes ({@link #newNcclId}) and the others receive from it by some other channel.
     */
    public record Placement(int[] devices, int firstRank, byte[] ncclId) {
        public static Placement all(int gpus) {
            int[] d = new int[gpus];
            for (int i = 0; i < gpus; i++) d[i] = i;
            return new Placement(d, 0, null);
        }

        public static Placement rankOf(int device, int rank, byte[] ncclId) {
            if (ncclId == null || ncclId.length != NCCL_UNIQUE_ID_BYTES)
                throw new IllegalArgumentException("an NCCL unique id has " + NCCL_UNIQUE_ID_BYTES + " bytes");
            return new Placement(new int[]{device}, rank, ncclId.clone());
        }
    }

    /** A new NCCL unique id (rank 0 of a group across processes makes it; every rank passes it to {@link Placement#rankOf}). */
    public static byte[] newNcclId() {
        ncclUniqueId id = new ncclUniqueId();
        checkNccl(ncclGetUniqueId(id), "ncclGetUniqueId");
        byte[] b = new byte[NCCL_UNIQUE_ID_BYTES];
        for (int i = 0; i < b.length; i++) b[i] = id.internal(i);
        return b;
    }

    /**
     * @param place which ranks of the run's {@code s.gpus()} this process drives (the global batch is split over all
     *              of them; the others run in other processes with the same settings and data)
     */
    public GpuTraining(Settings s, Start start, List<long[]> frozen, boolean checkedNegatives, int[] trainUsers, int[] trainItems,
                       int[] evalUsers, int[] evalItems, int evalWidth, LossScaler scaler, Placement place) {
        int world = s.gpus(), n = place.devices().length;
        boolean multiProcess = place.ncclId() != null;
        if (!multiProcess && n != world) throw new IllegalArgumentException("a placement without an NCCL id drives all " + world + " ranks, not " + n);
        if (place.firstRank() < 0 || place.firstRank() + n > world)
            throw new IllegalArgumentException("ranks " + place.firstRank() + ".." + (place.firstRank() + n - 1) + " are not ranks of " + world);
        int available = CudaDevice.count();
        for (int d : place.devices())
            if (d < 0 || d >= available)
                throw new IllegalArgumentException(multiProcess ? "GPU " + d + " is not one of this host's " + available
                        : "workers " + n + " needs " + n + " GPUs but " + available + " are present");
        if (world > 1 && !"0".equals(System.getenv("NCCL_NVLS_ENABLE")))
            throw new IllegalArgumentException("set NCCL_NVLS_ENABLE=0 before training on several GPUs (NVLink multicast must stay off)");
        this.settings = s;
        this.scaler = scaler;
        this.adamSteps = start.adamStep();
        devices = new CudaDevice[n];
        engines = new CudaNeuMF[n];
        trainers = new GpuTrainer[n];
        comms = new ncclComm[n];
        this.firstRank = place.firstRank();
        this.group = new RankGroup(n, "gpu", this::abortComms, 30_000);
        boolean ok = false;
        try {
            if (!multiProcess && n > 1) {
                PointerPointer<ncclComm> pp = new PointerPointer<>(n);
                checkNccl(ncclCommInitAll(pp, n, place.devices()), "ncclCommInitAll(" + n + ")");
                for (int i = 0; i < n; i++) comms[i] = new ncclComm(pp.get(i));
            }
            int local = s.batch() / world;
            this.group.onEach(r -> {
                devices[r] = CudaDevice.open(place.devices()[r]);
                if (multiProcess) comms[r] = initRank(world, place.ncclId(), place.firstRank() + r); // with its device current
                // evaluation scores chunks of up to maxBatch samples: keep that at least 64K for small batches
                engines[r] = new CudaNeuMF(devices[r], s.config(), s.precision(), Math.max(local, 1 << 16));
                engines[r].setParameters(start.params());
                if (start.adamM() != null) engines[r].setAdamMoments(start.adamM(), start.adamV());
                engines[r].setPositives(trainUsers, trainItems);
                if (r == 0 && evalUsers != null) engines[r].setEvalCandidates(evalUsers, evalItems, evalWidth);
                GpuTrainer.GradientReducer reducer = world == 1 ? null : allReduceOver(comms[r]);
                GpuTrainer.HostBatches hb = checkedNegatives
                        ? new GpuTrainer.HostBatches(s.config().numUsers(), s.config().numItems(), trainUsers, trainItems, local) : null;
                trainers[r] = new GpuTrainer(engines[r], s.seed(), trainUsers.length, s.negatives(), s.batch(), place.firstRank() + r, world,
                        reducer, frozen, hb);
                return null;
            });
            ok = true;
        } finally {
            if (!ok) close();
        }
    }

    /** Kept for the benchmarks and tests: a fresh NeuMF run with every feature at its default. */
    public GpuTraining(Settings s, float[] initialParameters, int[] trainUsers, int[] trainItems, int[] evalUsers, int[] evalItems,
                       int evalWidth, LossScaler scaler) {
        this(s, Start.fresh(initialParameters), List.of(), false, trainUsers, trainItems, evalUsers, evalItems, evalWidth, scaler);
    }

    /** Global steps per epoch: whole batches only (the last partial batch is dropped, as NVIDIA's PyTorch does). */
    public long stepsPerEpoch() { return trainers[0].stepsPerEpoch(); }

    /** Samples one epoch trains on. */
    public long samplesPerEpoch() { return stepsPerEpoch() * settings.batch(); }

    /**
     * Global steps {@code [first, first+count)} of an epoch (positions wrap around the epoch), on every GPU, the first
     * of them run step {@code globalStep}; waits for them and returns the summed training loss of their samples.
     */
    public double trainSteps(int epoch, long first, long count, long globalStep, float dropout) {
        if (epoch != planEpoch) {
            plans = new EpochPlan[trainers.length];
            for (int r = 0; r < plans.length; r++) plans[r] = trainers[r].plan(epoch);
            planEpoch = epoch;
        }
        double sum = 0;
        for (long k = 0; k < count; k++) {
            long step = first + k, g = globalStep + k;
            float scale = scaler.lossScale();
            long nextAdam = adamSteps + 1;
            long n = stepsPerEpoch();
            List<Boolean> finite = group.onEach(r -> trainers[r].step(plans[r], step % n, g, dropout, settings.adam(), nextAdam, scale));
            boolean allFinite = finite.stream().allMatch(Boolean::booleanValue); // equal on every GPU: same reduced gradients
            if (scaler.update(allFinite)) adamSteps++;
        }
        for (double v : group.onEach(r -> engines[r].takeLossSum())) sum += v;
        return sum;
    }

    /** Adam steps applied so far (bias correction). */
    public long adamSteps() { return adamSteps; }

    /** HR@k and NDCG@k on GPU 0. */
    public EvalResult evaluate(int k) { return group.on(0, () -> engines[0].evaluate(k)); }

    /** The parameters (GPU 0's; every GPU holds the same), flat in {@link ParamLayout} order. */
    public float[] parameters() { return group.on(0, engines[0]::parameters); }

    /** Adam's moments {@code {m, v}} (GPU 0's; every GPU holds the same). */
    public float[][] adamMoments() { return group.on(0, engines[0]::adamMoments); }

    public LossScaler scaler() { return scaler; }

    public NeuMFConfig config() { return settings.config(); }

    public int gpus() { return devices.length; }

    public String describe() {
        int world = settings.gpus();
        String ranks = world == 1 ? "" : devices.length == world ? " (× " + world + " GPUs, NCCL)"
                : " (rank " + firstRank + " of " + world + " across processes, NCCL)";
        return group.on(0, () -> devices[0].describe()) + ranks;
    }

    /** The reducer that sums an engine's gradients in place over {@code comm} (NCCL all-reduce on the default stream). */
    public static GpuTrainer.GradientReducer allReduceOver(ncclComm comm) {
        return e -> checkNccl(ncclAllReduce(CudaDevice.ptr(e.gradientAddress()), CudaDevice.ptr(e.gradientAddress()),
                e.parameterCount(), ncclFloat32, ncclSum, comm, (CUstream_st) null), "ncclAllReduce");
    }

    /** Joins rank {@code rank} of a {@code ranks}-rank group through {@code id}; the calling thread's device is the rank's. */
    private static ncclComm initRank(int ranks, byte[] id, int rank) {
        ncclUniqueId u = new ncclUniqueId();
        for (int i = 0; i < id.length; i++) u.internal(i, id[i]);
        PointerPointer<ncclComm> pp = new PointerPointer<>(1);
        checkNccl(ncclCommInitRank(pp, ranks, u, rank), "ncclCommInitRank(" + ranks + " ranks, rank " + rank + ")");
        return new ncclComm(pp.get(0));
    }

    /** Throws a {@link CudaException} naming {@code what} and NCCL's message unless {@code rc} is ncclSuccess. */
    public static void checkNccl(int rc, String what) {
        if (rc != ncclSuccess) {
            BytePointer s = ncclGetErrorString(rc);
            throw new CudaException(what + " failed: NCCL error " + rc + " (" + (s == null ? "?" : s.getString()) + ")");
        }
    }

    private void abortComms() {
        for (ncclComm c : comms) if (c != null) ncclCommAbort(c);
        java.util.Arrays.fill(comms, null);
    }

    @Override public void close() {
        try {
            if (!group.isAborted())
                group.onEach(r -> {
                    if (engines[r] != null) engines[r].close();
                    if (devices[r] != null) devices[r].close();
                    return null;
                });
        } finally {
            for (ncclComm c : comms) if (c != null) ncclCommDestroy(c);
            group.close();
        }
    }
}
