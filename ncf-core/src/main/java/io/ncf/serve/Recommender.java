package io.ncf.serve;

import io.ncf.core.NeuMFConfig;
import io.ncf.core.ParamShapes;
import io.ncf.core.UserItemIndex;
import io.ncf.core.rank.BatchRanker;
import io.ncf.core.rank.RowRanker;
import io.ncf.core.rank.RowScorer;
import io.ncf.core.rank.ScoringKernel;
import io.ncf.core.rank.TopK;
import io.ncf.core.rank.TwoStageRanker;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Recommendations from a {@link ModelArtifact}, by original ids: the serving API. Scores come from the
 * {@link ScoringKernel} (inference mode, no dropout): a score is the model's logit, the same bits whichever call
 * computes it. Items the user has already seen are excluded unless asked otherwise.
 *
 * <pre>{@code
 * try (Recommender r = Recommender.load(Path.of("ckpt/model.zip"))) {
 *     for (ScoredItem it : r.recommend("42", 10).items()) System.out.println(it.itemId() + " " + it.score());
 * }
 * }</pre>
 *
 * <h2>Threads</h2>
 * Thread-safe, without a global lock: the model is immutable and shared, and each calling thread borrows its own
 * scratch buffers (a {@link ScoringKernel.Lane} and a row) from a pool, so single-user calls ({@link #recommend},
 * {@link #score}, {@link #scoreBatch}, {@link #similarItems}) from N threads run in parallel on those threads. A
 * single user's row on a catalog of {@value #SPLIT_MIN_ITEMS} items or more is split over the recommender's own
 * worker threads when they are idle, for latency. Whole-catalog work ({@link #recommendBatch}, {@link #scorer},
 * {@link #ranker}, two-stage ranking) runs on those workers, one call at a time.
 *
 * <h2>Lifecycle</h2>
 * {@link #close()} waits for calls in flight, frees the native buffers and threads, and is idempotent; every call
 * after it throws {@link IllegalStateException} at once.
 */
public final class Recommender implements AutoCloseable {

    /** What to do for a user id the model was not trained on. */
    public enum UnknownUserPolicy {
        /** Throw {@link UnknownUserException}. */
        ERROR,
        /** Recommend the most popular items, as {@link Recommendations.Source#POPULARITY} results. */
        POPULARITY
    }

    /** A user the model does not know (under {@link UnknownUserPolicy#ERROR}, and always for scores). */
    public static final class UnknownUserException extends IllegalArgumentException {
        private final String userId;

        public UnknownUserException(String userId) {
            super("unknown user '" + userId + "': the model was not trained on it");
            this.userId = userId;
        }

        public String userId() { return userId; }
    }

    /** An item id the model does not know, where one must be known (scores, candidates, similar items). */
    public static final class UnknownItemException extends IllegalArgumentException {
        private final String itemId;

        public UnknownItemException(String itemId) {
            super("unknown item '" + itemId + "': the model was not trained on it");
            this.itemId = itemId;
        }

        public String itemId() { return itemId; }
    }

    /**
     * How a recommender serves; {@link #defaults()} then {@code with...} to change one setting.
     *
     * @param unknownUsers  what to do for a user the model was not trained on
     * @param threads       the recommender's own workers: batch ranking, and single requests split when idle
     * @param candidates    0: exact top-K; more: two-stage top-K ({@link TwoStageRanker}) with that many candidates
     *                      per user, for {@link #recommendBatch} and {@link #recommend(String, int)}
     * @param splitRequests split a single request's row over the idle workers on catalogs of
     *                      {@value #SPLIT_MIN_ITEMS}+ items (lower latency at low load); false: every request scores
     *                      on its calling thread only (throughput scales with request threads)
     * @param bf16          score with BF16 dense layers on AMX-BF16 (about twice FP32's speed; scores differ from
     *                      FP32's by BF16 rounding, so top-K lists may swap near-ties); refused with
     *                      {@link IllegalStateException}, naming why, where the CPU lacks AMX-BF16
     */
    public record Options(UnknownUserPolicy unknownUsers, int threads, int candidates, boolean splitRequests, boolean bf16) {
        /** FP32 scoring. */
        public Options(UnknownUserPolicy unknownUsers, int threads, int candidates, boolean splitRequests) {
            this(unknownUsers, threads, candidates, splitRequests, false);
        }

        public Options {
            Objects.requireNonNull(unknownUsers, "unknownUsers");
            if (threads < 1) throw new IllegalArgumentException("threads must be positive, got " + threads);
            if (candidates < 0) throw new IllegalArgumentException("candidates must be 0 (exact) or positive, got " + candidates);
        }

        /** ERROR for unknown users, every available core, exact top-K, requests split when the workers are idle. */
        public static Options defaults() { return new Options(UnknownUserPolicy.ERROR, Runtime.getRuntime().availableProcessors(), 0, true); }

        public Options withUnknownUsers(UnknownUserPolicy p) { return new Options(p, threads, candidates, splitRequests, bf16); }

        public Options withThreads(int n) { return new Options(unknownUsers, n, candidates, splitRequests, bf16); }

        public Options withCandidates(int n) { return new Options(unknownUsers, threads, n, splitRequests, bf16); }

        public Options withSplitRequests(boolean split) { return new Options(unknownUsers, threads, candidates, split, bf16); }

        /** BF16 scoring on AMX-BF16 (see {@code bf16}). */
        public Options withBf16(boolean on) { return new Options(unknownUsers, threads, candidates, splitRequests, on); }
    }

    /** Receives each user's list from {@link #recommendBatch}, in input order. */
    @FunctionalInterface
    public interface BatchSink { void accept(Recommendations recommendations) throws IOException; }

    /** Users ranked per {@link BatchRanker} call in {@link #recommendBatch}: results are handed on after each block. */
    public static final int DEFAULT_BLOCK_USERS = 256;
    /**
     * Catalogs at least this large split a single user's row over the workers when they are idle (smaller ones, and
     * every request while the workers are busy, score on the calling thread). Measured on ml-100k (1,682 items, 2
     * cores, OpenBLAS): 2.2 ms a request split, 3.7 ms on the caller alone; below about four chunks a split does not pay.
     */
    public static final int SPLIT_MIN_ITEMS = 1024;

    private final ModelArtifact artifact;
    private final NeuMFConfig config;
    private final UnknownUserPolicy policy;
    private final int threads, candidates, numItems;
    private final boolean bf16;
    private final boolean splitRequests;
    private final ModelInfo info;
    private final int[] popularOrder;                       // the fallback's order: every item, most popular first
    private final float[] popularCount;                     // popularOrder's interaction counts

    // Every call holds the read lock; close() takes the write lock, so it waits for calls in flight.
    private final ReentrantReadWriteLock life = new ReentrantReadWriteLock();
    private volatile boolean closed;
    // The kernel's worker pool serves one whole-catalog call at a time.
    private final ReentrantLock pool = new ReentrantLock();
    private volatile ScoringKernel kernel;   // made on first use: a device ranker's batches need no CPU kernel
    private BatchRanker ranker;              // guarded by pool
    private final ConcurrentLinkedDeque<Scratch> scratch = new ConcurrentLinkedDeque<>();
    private volatile float[] similarity;     // unit item vectors for similarItems, made on first use
    private final RowScorer scorerView;

    /** A recommender serving {@code artifact} as {@code options} say. */
    public Recommender(ModelArtifact artifact, Options options) { this(artifact, options, null); }

    /** A recommender scoring on {@code threads} CPU threads: exact top-K. */
    public Recommender(ModelArtifact artifact, UnknownUserPolicy policy, int threads) { this(artifact, policy, threads, 0); }

    /** {@link Options} with {@code candidates}: 0 exact top-K, more two-stage. */
    public Recommender(ModelArtifact artifact, UnknownUserPolicy policy, int threads, int candidates) {
        this(artifact, Options.defaults().withUnknownUsers(policy).withThreads(threads).withCandidates(candidates), null);
    }

    /**
     * A recommender whose batch ranking ({@link #recommendBatch}) runs on {@code ranker} (a device engine's, say),
     * which it closes. Single-user calls and pair scores run on the CPU kernel, made on first use.
     */
    public Recommender(ModelArtifact artifact, UnknownUserPolicy policy, int threads, BatchRanker ranker) {
        this(artifact, Options.defaults().withUnknownUsers(policy).withThreads(threads), Objects.requireNonNull(ranker, "ranker"));
    }

    private Recommender(ModelArtifact artifact, Options options, BatchRanker ranker) {
        this.artifact = Objects.requireNonNull(artifact, "artifact");
        this.config = artifact.config();
        this.policy = options.unknownUsers();
        this.numItems = config.numItems();
        this.threads = options.threads();
        this.candidates = options.candidates();
        this.splitRequests = options.splitRequests();
        this.bf16 = options.bf16();
        if (bf16) {
            java.util.Optional<String> why = ScoringKernel.bf16Unavailable(config);
            if (why.isPresent()) throw new IllegalStateException(why.get());
        }
        this.ranker = ranker;
        this.info = ModelInfo.of(artifact);
        int[] pop = artifact.popularity();
        float[] counts = new float[numItems];
        for (int i = 0; i < numItems; i++) counts[i] = pop[i];
        this.popularOrder = new int[numItems];
        this.popularCount = new float[numItems];
        TopK.select(counts, numItems, null, numItems, new int[numItems], popularOrder, popularCount, 0);
        this.scorerView = new RowScorer() {
            @Override public int numItems() { return numItems; }
            @Override public int parallelism() { return threads; }
            @Override public long flopsPerPair() { return config.scoringFlopsPerPair(); }
            @Override public void score(int[] users, int[] items, int count, float[] out) {
                enter();
                pool.lock();
                try { kernel().score(users, items, count, out); } finally { pool.unlock(); exit(); }
            }
            @Override public void scoreRows(int[] users, int from, int count, RowSink sink) {
                enter();
                pool.lock();
                try { kernel().scoreRows(users, from, count, sink); } finally { pool.unlock(); exit(); }
            }
        };
    }

    /** Loads an artifact with the ERROR policy for unknown users, using every available core for batch work. */
    public static Recommender load(Path file) throws IOException { return load(file, UnknownUserPolicy.ERROR); }

    public static Recommender load(Path file, UnknownUserPolicy policy) throws IOException {
        return load(file, Options.defaults().withUnknownUsers(policy));
    }

    public static Recommender load(Path file, Options options) throws IOException {
        return new Recommender(ModelArtifact.read(file), options);
    }

    // ---------------------------------------------------------------------------------------------- lifecycle

    private void enter() {
        life.readLock().lock();
        if (closed) {
            life.readLock().unlock();
            throw new IllegalStateException("this Recommender is closed");
        }
    }

    private void exit() { life.readLock().unlock(); }

    /** Waits for calls in flight, then frees the kernel's native buffers and threads and the ranker; idempotent. */
    @Override public void close() {
        life.writeLock().lock();
        try {
            if (closed) return;
            closed = true;
            if (ranker != null) ranker.close();
            if (kernel != null) kernel.close();
            scratch.clear();
        } finally {
            life.writeLock().unlock();
        }
    }

    /** The CPU scoring kernel, made on first use. */
    private ScoringKernel kernel() {
        ScoringKernel k = kernel;
        if (k == null) {
            synchronized (this) {
                if (kernel == null) kernel = bf16 ? new ScoringKernel(config, artifact.flatParams(), threads, io.ncf.core.blas.HalfFormat.BF16)
                        : new ScoringKernel(config, artifact.flatParams(), threads);
                k = kernel;
            }
        }
        return k;
    }

    /** One calling thread's buffers: a kernel lane and the row, mask and heap of a top-K. */
    private final class Scratch {
        final ScoringKernel.Lane lane = kernel().newLane();
        final float[] row = new float[numItems];
        final boolean[] skip = new boolean[numItems];
        final int[] heap = new int[numItems];
    }

    private Scratch borrow() {
        Scratch s = scratch.pollFirst();
        return s != null ? s : new Scratch();
    }

    private void giveBack(Scratch s) { scratch.offerFirst(s); }

    // ---------------------------------------------------------------------------------------------- what the model is

    public ModelArtifact artifact() { return artifact; }

    /** The model's typed metadata. */
    public ModelInfo info() { return info; }

    public UnknownUserPolicy unknownUserPolicy() { return policy; }

    public boolean knows(String userId) { return artifact.userIds().indexOf(userId) >= 0; }

    public boolean knowsItem(String itemId) { return artifact.itemIds().indexOf(itemId) >= 0; }

    /** Every user the model knows, in dense-index order (for "recommend for all users"). */
    public List<String> allUsers() { return artifact.userIds().ids(); }

    /** Every item the model ranks, in dense-index order. */
    public List<String> allItems() { return artifact.itemIds().ids(); }

    /** The user's seen items (original ids), empty for an unknown user. */
    public List<String> seenItems(String userId) {
        int u = artifact.userIds().indexOf(userId);
        List<String> out = new ArrayList<>();
        if (u < 0) return out;
        UserItemIndex s = artifact.seen();
        for (int k = s.start(u); k < s.end(u); k++) out.add(artifact.itemIds().id(s.itemsArray()[k]));
        return out;
    }

    /** The int-indexed layer: a user's dense index for {@link #scoreBatch(int[], int[])}, -1 if unknown. */
    public int userIndex(String userId) { return artifact.userIds().indexOf(userId); }

    /** The int-indexed layer: an item's dense index for {@link #scoreBatch(int[], int[])}, -1 if unknown. */
    public int itemIndex(String itemId) { return artifact.itemIds().indexOf(itemId); }

    // ---------------------------------------------------------------------------------------------- recommending

    /** Top {@code k} items for the user, seen items excluded (two-stage when the recommender was made so). */
    public Recommendations recommend(String userId, int k) {
        if (candidates == 0) return recommend(userId, k, null, null, true);
        enter();
        try {
            checkK(k);
            int u = resolve(userId);
            if (u < 0) return fallback(userId, k, null);
            int kk = Math.min(k, numItems);
            int[] items = new int[kk], found = new int[1];
            float[] top = new float[kk];
            pool.lock();
            try {
                batchRanker().topK(new int[]{u}, 0, 1, kk, artifact.seen(), items, top, found);
            } finally {
                pool.unlock();
            }
            return new Recommendations(userId, Recommendations.Source.MODEL, items(items, top, 0, found[0]));
        } finally {
            exit();
        }
    }

    /**
     * Top {@code k} items for the user.
     *
     * @param candidates  only these items may be recommended (original ids; null: every item); an unknown id is an
     *                    {@link UnknownItemException}
     * @param exclude     items never to recommend (original ids; null: none); unknown ids are ignored
     * @param excludeSeen also exclude the user's seen items
     */
    public Recommendations recommend(String userId, int k, Collection<String> candidates, Collection<String> exclude, boolean excludeSeen) {
        enter();
        try {
            checkK(k);
            int u = resolve(userId);
            Scratch s = borrow();
            try {
                boolean[] skip = s.skip;
                if (candidates == null) Arrays.fill(skip, false);
                else {
                    Arrays.fill(skip, true);
                    for (String id : candidates) skip[item(id)] = false;
                }
                if (exclude != null) for (String id : exclude) { int i = artifact.itemIds().indexOf(id); if (i >= 0) skip[i] = true; }
                if (u < 0) return fallback(userId, k, skip);
                if (excludeSeen) TopK.mark(skip, artifact.seen(), u, true);
                row(u, s);
                int kk = Math.min(k, numItems);
                int[] items = new int[kk];
                float[] top = new float[kk];
                int n = TopK.select(s.row, numItems, skip, kk, s.heap, items, top, 0);
                return new Recommendations(userId, Recommendations.Source.MODEL, items(items, top, 0, n));
            } finally {
                giveBack(s);
            }
        } finally {
            exit();
        }
    }

    /** User u's logits for every item into s.row: on the idle workers for a large catalog, else on this thread. */
    private void row(int u, Scratch s) {
        ScoringKernel kn = kernel();
        if (splitRequests && numItems >= SPLIT_MIN_ITEMS && threads > 1 && pool.tryLock()) {
            try {
                kn.scoreRows(new int[]{u}, 0, 1, (w, j, user, r) -> System.arraycopy(r, 0, s.row, 0, numItems));
            } finally {
                pool.unlock();
            }
        } else kn.scoreRow(s.lane, u, s.row);
    }

    /** The popularity fallback's top k among items not skipped (skip null: every item). */
    private Recommendations fallback(String userId, int k, boolean[] skip) {
        List<ScoredItem> out = new ArrayList<>(Math.min(k, numItems));
        for (int j = 0; j < numItems && out.size() < k; j++) {
            int i = popularOrder[j];
            if (skip == null || !skip[i]) out.add(new ScoredItem(artifact.itemIds().id(i), popularCount[j], out.size() + 1));
        }
        return new Recommendations(userId, Recommendations.Source.POPULARITY, out);
    }

    /**
     * Top {@code k} unseen items for each user, handed to {@code sink} in input order. Users are ranked in blocks of
     * {@link #DEFAULT_BLOCK_USERS} by the {@link #ranker()}, each user's row scored and selected on one worker, so
     * memory is a row per thread and k entries per user of a block, whatever the user count.
     */
    public void recommendBatch(List<String> userIds, int k, BatchSink sink) throws IOException {
        enter();
        try {
            checkK(k);
            int block = DEFAULT_BLOCK_USERS, kk = Math.min(k, numItems);
            int[] dense = new int[block], known = new int[block], found = new int[block], items = new int[block * kk];
            float[] scores = new float[block * kk];
            Recommendations popularTop = null;
            for (int b0 = 0; b0 < userIds.size(); b0 += block) {
                int rows = Math.min(block, userIds.size() - b0), nk = 0;
                for (int r = 0; r < rows; r++) {
                    int u = resolve(userIds.get(b0 + r));
                    dense[r] = u;
                    if (u >= 0) known[nk++] = u;
                }
                if (nk > 0) {
                    pool.lock();
                    try {
                        batchRanker().topK(known, 0, nk, kk, artifact.seen(), items, scores, found);
                    } finally {
                        pool.unlock();
                    }
                }
                for (int r = 0, j = 0; r < rows; r++) {
                    String id = userIds.get(b0 + r);
                    if (dense[r] >= 0) {
                        sink.accept(new Recommendations(id, Recommendations.Source.MODEL, items(items, scores, j * kk, found[j])));
                        j++;
                    } else {
                        if (popularTop == null) popularTop = fallback(id, k, null);
                        sink.accept(new Recommendations(id, Recommendations.Source.POPULARITY, popularTop.items()));
                    }
                }
            }
        } finally {
            exit();
        }
    }

    // ---------------------------------------------------------------------------------------------- scores

    /**
     * The model's logits of the given items for the user, in order. Scores are the model's only: an unknown user is
     * an {@link UnknownUserException} whatever the policy, an unknown item an {@link UnknownItemException}.
     */
    public float[] score(String userId, List<String> itemIds) {
        enter();
        try {
            int u = knownUser(userId);
            int n = itemIds.size();
            int[] users = new int[n], items = new int[n];
            Arrays.fill(users, u);
            for (int j = 0; j < n; j++) items[j] = item(itemIds.get(j));
            return pairs(users, items);
        } finally {
            exit();
        }
    }

    /** Logits of the mixed pairs (users[k], items[k]), by original ids; unknown ids are errors as in {@link #score}. */
    public float[] scoreBatch(String[] userIds, String[] itemIds) {
        checkPairs(userIds.length, itemIds.length);
        enter();
        try {
            int n = userIds.length;
            int[] users = new int[n], items = new int[n];
            for (int j = 0; j < n; j++) { users[j] = knownUser(userIds[j]); items[j] = item(itemIds[j]); }
            return pairs(users, items);
        } finally {
            exit();
        }
    }

    /** Logits of the mixed pairs (users[k], items[k]) by dense index ({@link #userIndex}, {@link #itemIndex}). */
    public float[] scoreBatch(int[] users, int[] items) {
        checkPairs(users.length, items.length);
        enter();
        try {
            return pairs(users, items);
        } finally {
            exit();
        }
    }

    private float[] pairs(int[] users, int[] items) {
        float[] out = new float[users.length];
        Scratch s = borrow();
        try {
            kernel().score(s.lane, users, items, users.length, out);
        } finally {
            giveBack(s);
        }
        return out;
    }

    // ---------------------------------------------------------------------------------------------- similar items

    /**
     * The {@code k} items most similar to {@code itemId} (itself excluded) by the cosine of their embeddings: the GMF
     * and MLP item vectors, each scaled to unit length and concatenated (so each half weighs the same; a model
     * variant with one half only uses that half). Scores are cosines in [-1, 1].
     */
    public List<ScoredItem> similarItems(String itemId, int k) {
        enter();
        try {
            checkK(k);
            int q = item(itemId);
            float[] v = similarityVectors();
            int d = config.factors() + config.mlpEmbeddingDim();
            Scratch s = borrow();
            try {
                float[] sims = s.row;
                for (int i = 0, qa = q * d; i < numItems; i++) {
                    float dot = 0;
                    for (int j = 0, a = i * d; j < d; j++) dot += v[a + j] * v[qa + j];
                    sims[i] = dot;
                }
                Arrays.fill(s.skip, false);
                s.skip[q] = true;
                int kk = Math.min(k, numItems);
                int[] items = new int[kk];
                float[] top = new float[kk];
                int n = TopK.select(sims, numItems, s.skip, kk, s.heap, items, top, 0);
                return items(items, top, 0, n);
            } finally {
                giveBack(s);
            }
        } finally {
            exit();
        }
    }

    private float[] similarityVectors() {
        float[] v = similarity;
        if (v != null) return v;
        synchronized (this) {
            if (similarity != null) return similarity;
            int f = config.factors(), e = config.mlpEmbeddingDim(), d = f + e;
            float[] flat = artifact.flatParams();
            int mf = (int) ParamShapes.offset(config, ParamShapes.MF_ITEM), mlp = (int) ParamShapes.offset(config, ParamShapes.MLP_ITEM);
            v = new float[numItems * d];
            for (int i = 0; i < numItems; i++) {
                unit(flat, mf + i * f, f, v, i * d);
                unit(flat, mlp + i * e, e, v, i * d + f);
                unit(v, i * d, d, v, i * d);   // the two unit halves (one, for a variant) as one unit vector
            }
            similarity = v;
            return v;
        }
    }

    /** dst[to, to+n) = src[from, from+n) / |src[from, from+n)| (zeros stay zeros: a variant's unused half). */
    private static void unit(float[] src, int from, int n, float[] dst, int to) {
        double norm = 0;
        for (int j = 0; j < n; j++) norm += (double) src[from + j] * src[from + j];
        float scale = norm > 0 ? (float) (1 / Math.sqrt(norm)) : 0f;
        for (int j = 0; j < n; j++) dst[to + j] = src[from + j] * scale;
    }

    // ---------------------------------------------------------------------------------------------- dense-id views

    /** What {@link #recommendBatch} ranks with: the device ranker given, or the CPU kernel's (exact or two-stage). */
    public BatchRanker ranker() {
        enter();
        try {
            pool.lock();
            try {
                return batchRanker();
            } finally {
                pool.unlock();
            }
        } finally {
            exit();
        }
    }

    /** The batch ranker, made on first use; the caller holds {@code pool}. */
    private BatchRanker batchRanker() {
        if (ranker == null) ranker = candidates > 0 ? new TwoStageRanker(kernel(), candidates) : new RowRanker(kernel());
        return ranker;
    }

    /**
     * The model as a {@link RowScorer} over dense ids (for evaluation: the full protocol scores rows), on this
     * recommender's workers, one call at a time.
     */
    public RowScorer scorer() { return scorerView; }

    // ---------------------------------------------------------------------------------------------- helpers

    private List<ScoredItem> items(int[] items, float[] scores, int off, int n) {
        List<ScoredItem> out = new ArrayList<>(n);
        for (int j = 0; j < n; j++) out.add(new ScoredItem(artifact.itemIds().id(items[off + j]), scores[off + j], j + 1));
        return out;
    }

    private static void checkPairs(int users, int items) {
        if (users != items) throw new IllegalArgumentException(users + " users but " + items + " items: pairs need one of each");
    }

    private static void checkK(int k) {
        if (k <= 0) throw new IllegalArgumentException("k must be positive, got " + k);
    }

    /** The user's dense index; -1 for an unknown user under POPULARITY. */
    private int resolve(String userId) {
        int u = artifact.userIds().indexOf(userId);
        if (u < 0 && policy == UnknownUserPolicy.ERROR) throw new UnknownUserException(userId);
        return u;
    }

    private int knownUser(String userId) {
        int u = artifact.userIds().indexOf(userId);
        if (u < 0) throw new UnknownUserException(userId);
        return u;
    }

    private int item(String id) {
        int i = artifact.itemIds().indexOf(id);
        if (i < 0) throw new UnknownItemException(id);
        return i;
    }
}
