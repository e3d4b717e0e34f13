package io.ncf.cuda;

import io.ncf.eval.EvalResult;
import io.ncf.core.NeuMFConfig;
import io.ncf.train.AdamConfig;
import io.ncf.train.LossScaler;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.nccl.ncclComm;
import org.bytedeco.cuda.nccl.ncclUniqueId;
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

    /**
     * How the GPUs of a run share a step.
     * <ul>
     * <li>{@link #ALL_REDUCE}: rank r trains the r-th contiguous share of the global batch and the whole FP32 gradient
     *     (127 MB at ml-20m size) is all-reduced; every rank runs Adam over every parameter.
     * <li>{@link #USER_SHARDS}: the users are cut into one block per rank ({@link UserBlocks}, balanced by positives);
     *     the shares are all-gathered (12 bytes a sample) and each rank trains the samples of its own users, so user
     *     rows (84% of the parameters at ml-20m size) never cross GPUs and each rank runs Adam over its own block
     *     only; the item tables and dense layers (21 MB) are all-reduced. The same samples, masks and sums as one
     *     GPU. Needs factor and MLP-embedding widths divisible by 4, and every rank in this process.
     * <li>{@link #AUTO}: USER_SHARDS where it applies and there is more than one rank, else ALL_REDUCE.
     * </ul>
     */
    public enum Exchange {
        AUTO, ALL_REDUCE, USER_SHARDS;

        /** The command line's word: auto, all-reduce, user-shards. */
        public String id() { return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'); }

        /** The exchange {@link #id} names. */
        public static Exchange parse(String s) {
            for (Exchange x : values()) if (x.id().equals(s)) return x;
            throw new IllegalArgumentException("unknown '" + s + "': expected auto, all-reduce or user-shards");
        }
    }

    /** What a run needs besides its data; {@code gpus} GPUs share each global batch of {@code batch} samples. */
    public record Settings(NeuMFConfig config, Precision precision, AdamConfig adam, long seed, int negatives, int batch, int gpus,
                           Exchange exchange) {
        public Settings {
            if (gpus < 1) throw new IllegalArgumentException("workers must be positive, got " + gpus);
            if (batch % gpus != 0) throw new IllegalArgumentException("batchSize " + batch + " is not divisible by workers " + gpus);
            if (negatives < 1) throw new IllegalArgumentException("negatives must be positive, got " + negatives);
            if (exchange == null) throw new IllegalArgumentException("exchange must not be null");
        }

        /** Settings with the exchange chosen by {@link Exchange#AUTO}. */
        public Settings(NeuMFConfig config, Precision precision, AdamConfig adam, long seed, int negatives, int batch, int gpus) {
            this(config, precision, adam, seed, negatives, batch, gpus, Exchange.AUTO);
        }

        public Settings withExchange(Exchange x) { return new Settings(config, precision, adam, seed, negatives, batch, gpus, x); }
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
    private final Exchange exchange;
    private final UserBlocks blocks;          // USER_SHARDS: who owns which users; null otherwise
    private final RankExchange rankExchange;  // USER_SHARDS: the collectives; null otherwise
    private boolean paramsStale, momentsStale; // USER_SHARDS: ranks hold only their own users' current rows
    private volatile long faultRank = -1, faultStep = -1;
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
    public record Placement(int[] devices, int firstRank, byte[] ncclId, boolean sharedGpu) {
        public static Placement all(int gpus) {
            int[] d = new int[gpus];
            for (int i = 0; i < gpus; i++) d[i] = i;
            return new Placement(d, 0, null, false);
        }

        public static Placement rankOf(int device, int rank, byte[] ncclId) {
            if (ncclId == null || ncclId.length != NCCL_UNIQUE_ID_BYTES)
                throw new IllegalArgumentException("an NCCL unique id has " + NCCL_UNIQUE_ID_BYTES + " bytes");
            return new Placement(new int[]{device}, rank, ncclId.clone(), false);
        }

        /**
         * Every rank on GPU 0, the collectives done with device copies ({@link SharedGpuExchange}, user-sharded
         * exchange only): a several-GPU run's numbers on one card, for checks; no speed-up.
         */
        public static Placement sharedGpu(int ranks) {
            return new Placement(new int[ranks], 0, null, true);
        }

        /** The placement {@code ncf train --workers N} gets: {@link #all}, or {@link #sharedGpu} where {@value #SHARE_ENV}=1. */
        public static Placement forWorkers(int gpus) { return forWorkers(gpus, System.getenv(SHARE_ENV)); }

        /** As above with {@value #SHARE_ENV}'s value given: unset, empty or 0 (every rank its own GPU) or 1; anything else is refused. */
        static Placement forWorkers(int gpus, String share) {
            if (share != null && !share.isEmpty() && !share.equals("0") && !share.equals("1"))
                throw new IllegalArgumentException(SHARE_ENV + "=" + share + ": expected 1 (every rank on GPU 0, for checks) or 0");
            return gpus > 1 && "1".equals(share) ? sharedGpu(gpus) : all(gpus);
        }

        /** Environment variable that puts every rank of {@code --workers N} on GPU 0 (checks of the multi-GPU numbers on one card). */
        public static final String SHARE_ENV = "NCF_CUDA_SHARE_GPU";
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
                        : "workers " + n + " needs " + n + " GPUs but " + available + " are present"
                          + (available >= 1 ? " (" + Placement.SHARE_ENV + "=1 runs them all on GPU 0, to check numbers, not speed)" : ""));
        ParamLayout layout = new ParamLayout(s.config());
        this.exchange = chooseExchange(s, place, layout);
        if (world > 1 && !place.sharedGpu() && !"0".equals(System.getenv("NCCL_NVLS_ENABLE")))
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
        this.blocks = exchange == Exchange.USER_SHARDS ? UserBlocks.balanced(s.config().numUsers(), trainUsers, world) : null;
        // ranks sharing a GPU, or a user-sharded run of one rank (its collectives are no-ops), need no NCCL
        SharedGpuExchange shared = place.sharedGpu() || (blocks != null && world == 1) ? new SharedGpuExchange(n) : null;
        this.rankExchange = shared != null ? shared : blocks != null ? new NcclExchange(comms, firstRank, this::abortComms) : null;
        boolean ok = false;
        try {
            if (!multiProcess && !place.sharedGpu() && n > 1) {
                PointerPointer<ncclComm> pp = new PointerPointer<>(n);
                checkNccl(ncclCommInitAll(pp, n, place.devices()), "ncclCommInitAll(" + n + ")");
                for (int i = 0; i < n; i++) comms[i] = new ncclComm(pp.get(i));
            }
            int local = s.batch() / world;
            this.group.onEach(r -> {
                devices[r] = CudaDevice.open(place.devices()[r]);
                if (multiProcess) comms[r] = initRank(world, place.ncclId(), place.firstRank() + r); // with its device current
                // evaluation scores chunks of up to maxBatch samples: keep that at least 64K for small batches; a user
                // shard's samples per step vary around the share: room for twice it (more is trained in chunks)
                int capacity = blocks == null ? local : (int) Math.min(s.batch(), 2L * local);
                engines[r] = new CudaNeuMF(devices[r], s.config(), s.precision(), Math.max(capacity, 1 << 16));
                if (blocks != null) engines[r].enableUserSharding(s.batch());
                if (shared != null) shared.register(r, engines[r]);
                engines[r].setParameters(start.params());
                if (start.adamM() != null) engines[r].setAdamMoments(start.adamM(), start.adamV());
                engines[r].setPositives(trainUsers, trainItems);
                if (r == 0 && evalUsers != null) engines[r].setEvalCandidates(evalUsers, evalItems, evalWidth);
                GpuTrainer.GradientReducer reducer = world == 1 || blocks != null ? null : allReduceOver(comms[r]);
                GpuTrainer.HostBatches hb = checkedNegatives
                        ? new GpuTrainer.HostBatches(s.config().numUsers(), s.config().numItems(), trainUsers, trainItems, local) : null;
                GpuTrainer.Sharding sharding = blocks == null ? null : GpuTrainer.Sharding.of(blocks, rankExchange, layout, place.firstRank() + r);
                trainers[r] = new GpuTrainer(engines[r], s.seed(), trainUsers.length, s.negatives(), s.batch(), place.firstRank() + r, world,
                        reducer, frozen, hb, sharding);
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
            List<Boolean> finite = group.onEach(r -> {
                if (firstRank + r == faultRank && g == faultStep) throw new CudaException("injected fault at step " + g);
                return trainers[r].step(plans[r], step % n, g, dropout, settings.adam(), nextAdam, scale);
            });
            if (blocks != null) paramsStale = momentsStale = true;
            boolean allFinite = finite.stream().allMatch(Boolean::booleanValue); // equal on every GPU: same reduced gradients
            if (scaler.update(allFinite)) adamSteps++;
        }
        for (double v : group.onEach(r -> engines[r].takeLossSum())) sum += v;
        return sum;
    }

    /** Adam steps applied so far (bias correction). */
    public long adamSteps() { return adamSteps; }

    /** HR@k and NDCG@k on GPU 0. */
    public EvalResult evaluate(int k) {
        gatherUsers(false);
        return group.on(0, () -> engines[0].evaluate(k));
    }

    /** The parameters (GPU 0's; every GPU holds the same), flat in {@link ParamLayout} order. */
    public float[] parameters() {
        gatherUsers(false);
        return group.on(0, engines[0]::parameters);
    }

    /** Adam's moments {@code {m, v}} (GPU 0's; every GPU holds the same). */
    public float[][] adamMoments() {
        gatherUsers(true);
        return group.on(0, engines[0]::adamMoments);
    }

    /**
     * User-sharded runs: every owner broadcasts its users' rows (and with {@code moments}, their Adam moments), so
     * every GPU holds the whole current model again; nothing when already current.
     */
    private void gatherUsers(boolean moments) {
        if (blocks == null || !(paramsStale || (moments && momentsStale))) return;
        ParamLayout layout = engines[0].layout();
        List<RankExchange.Block> b = new java.util.ArrayList<>();
        for (int o = 0; o < blocks.ranks(); o++)
            for (long[] r : blocks.ownedRanges(layout, o)) {
                if (paramsStale) b.add(new RankExchange.Block(CudaNeuMF.Buffer.PARAMETERS, r[0], r[1], o));
                if (moments && momentsStale) {
                    b.add(new RankExchange.Block(CudaNeuMF.Buffer.ADAM_M, r[0], r[1], o));
                    b.add(new RankExchange.Block(CudaNeuMF.Buffer.ADAM_V, r[0], r[1], o));
                }
            }
        group.onEach(r -> {
            rankExchange.broadcast(engines[r], firstRank + r, b);
            engines[r].device().synchronize();
            return null;
        });
        paramsStale = false;
        if (moments) momentsStale = false;
    }

    /** How this run's GPUs share a step (never {@link Exchange#AUTO}). */
    public Exchange exchange() { return exchange; }

    /** The user blocks of a user-sharded run; null otherwise. */
    public UserBlocks userBlocks() { return blocks; }

    /** Makes rank {@code rank} fail at run step {@code globalStep}, before its collectives (tests of the no-hang rule). */
    public void injectFault(int rank, long globalStep) {
        this.faultRank = rank;
        this.faultStep = globalStep;
    }

    private static Exchange chooseExchange(Settings s, Placement place, ParamLayout layout) {
        boolean fits = UserBlocks.fits(layout) && place.ncclId() == null;
        String why = !UserBlocks.fits(layout) ? "factor and MLP-embedding widths must be divisible by 4"
                : "its ranks must all run in this process";
        return switch (s.exchange()) {
            case AUTO -> s.gpus() > 1 && fits ? Exchange.USER_SHARDS : place.sharedGpu()
                    ? fail("ranks sharing one GPU need the user-sharded exchange, and " + why) : Exchange.ALL_REDUCE;
            case USER_SHARDS -> fits ? Exchange.USER_SHARDS : fail("the user-sharded exchange does not apply here: " + why);
            case ALL_REDUCE -> place.sharedGpu() ? fail("ranks sharing one GPU need the user-sharded exchange") : Exchange.ALL_REDUCE;
        };
    }

    private static Exchange fail(String message) { throw new IllegalArgumentException(message); }

    public LossScaler scaler() { return scaler; }

    public NeuMFConfig config() { return settings.config(); }

    public int gpus() { return devices.length; }

    public String describe() {
        int world = settings.gpus();
        String how = exchange == Exchange.USER_SHARDS ? "user shards" : "all-reduce";
        String ranks = world == 1 ? "" : sharedRanks() ? " (× " + world + " ranks sharing this GPU, " + how + ": checks, not speed)"
                : devices.length == world ? " (× " + world + " GPUs, NCCL " + how + ")"
                : " (rank " + firstRank + " of " + world + " across processes, NCCL " + how + ")";
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
    public static void checkNccl(int rc, String what) { NcclExchange.checkNccl(rc, what); }

    private boolean sharedRanks() { return rankExchange instanceof SharedGpuExchange; }

    private void abortComms() {
        if (rankExchange instanceof SharedGpuExchange x) x.abort();
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
