package io.ncf.model.serve;

import io.ncf.data.IdVocabulary;
import io.ncf.data.UserItemIndex;
import io.ncf.model.NeuMFConfig;
import io.ncf.model.fused.ScoringKernel;
import io.ncf.model.fused.TwoStageRanker;
import io.ncf.model.rank.BatchRanker;
import io.ncf.model.rank.RowRanker;
import io.ncf.model.rank.RowScorer;
import io.ncf.model.rank.TopK;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

/**
 * Recommendations from a {@link ModelArtifact}, by original ids. Scores come from the {@link ScoringKernel}
 * (inference mode, no dropout): a score is the model's logit, the same bits whichever call computes it. Items the
 * user has already seen are excluded unless asked otherwise. Methods are synchronized: the kernel's buffers serve one
 * call at a time, and each call uses every thread the recommender was given.
 *
 * <pre>{@code
 * try (Recommender r = Recommender.load(Path.of("ckpt/model.zip"))) {
 *     for (Recommender.Item it : r.recommend("42", 10)) System.out.println(it.itemId() + " " + it.score());
 * }
 * }</pre>
 */
public final class Recommender implements AutoCloseable {

    /** What to do for a user id the model was not trained on. */
    public enum UnknownUserPolicy {
        /** Throw {@link UnknownUserException}. */
        ERROR,
        /** Recommend the most popular items; the score is the item's interaction count in the training data. */
        POPULARITY
    }

    /** One recommended item: original id, dense index, score and 1-based rank. */
    public record Item(String itemId, int item, float score, int rank) {}

    /** A user the model does not know, under {@link UnknownUserPolicy#ERROR}. */
    public static final class UnknownUserException extends IllegalArgumentException {
        public UnknownUserException(String userId) { super("unknown user '" + userId + "': the model was not trained on it"); }
    }

    /** Receives each user's list from {@link #recommendBatch}, in input order. */
    @FunctionalInterface
    public interface BatchSink { void accept(String userId, List<Item> items) throws IOException; }

    /** Users ranked per {@link BatchRanker} call in {@link #recommendBatch}: results are handed on after each block. */
    public static final int DEFAULT_BLOCK_USERS = 256;

    private final ModelArtifact artifact;
    private final NeuMFConfig config;
    private ScoringKernel kernel;      // made on first use: a device ranker's batches need no CPU kernel (nor a CPU BLAS)
    private BatchRanker ranker;        // a device ranker given, or the CPU kernel's, made with it
    private final int threads, candidates;
    private boolean closed;
    private final UnknownUserPolicy policy;
    private final int numItems;
    private final boolean[] skip;
    private final int[] heap;
    private final float[] row;
    private final RowScorer scorerView;

    /** A recommender scoring on {@code threads} CPU threads: exact top-K. */
    public Recommender(ModelArtifact artifact, UnknownUserPolicy policy, int threads) { this(artifact, policy, threads, 0); }

    /**
     * @param candidates 0: exact top-K; more: two-stage top-K ({@link TwoStageRanker}): that many candidates per user
     *                   retrieved by the GMF inner product, then scored exactly, for {@link #recommendBatch} and for
     *                   {@link #recommend(String, int)}
     */
    public Recommender(ModelArtifact artifact, UnknownUserPolicy policy, int threads, int candidates) {
        this(artifact, policy, threads, candidates, null);
    }

    /**
     * A recommender whose batch ranking ({@link #recommendBatch}) runs on {@code ranker} (a device engine's, say),
     * which it closes. Single-user calls and pair scores run on the CPU kernel, made on first use.
     */
    public Recommender(ModelArtifact artifact, UnknownUserPolicy policy, int threads, BatchRanker ranker) {
        this(artifact, policy, threads, 0, java.util.Objects.requireNonNull(ranker, "ranker"));
    }

    private Recommender(ModelArtifact artifact, UnknownUserPolicy policy, int threads, int candidates, BatchRanker ranker) {
        if (threads < 1) throw new IllegalArgumentException("threads must be positive, got " + threads);
        if (candidates < 0) throw new IllegalArgumentException("candidates must be 0 (exact) or positive, got " + candidates);
        this.artifact = artifact;
        this.config = artifact.config();
        this.policy = policy;
        this.numItems = config.numItems();
        this.threads = threads;
        this.candidates = candidates;
        this.ranker = ranker;
        this.skip = new boolean[numItems];
        this.heap = new int[numItems];
        this.row = new float[numItems];
        Recommender self = this;
        this.scorerView = new RowScorer() {
            @Override public int numItems() { return numItems; }
            @Override public int parallelism() { synchronized (self) { return kernel().parallelism(); } }
            @Override public long flopsPerPair() { synchronized (self) { return kernel().flopsPerPair(); } }
            @Override public void score(int[] users, int[] items, int count, float[] out) { synchronized (self) { kernel().score(users, items, count, out); } }
            @Override public void scoreRows(int[] users, int from, int count, RowSink sink) { synchronized (self) { kernel().scoreRows(users, from, count, sink); } }
        };
    }

    /** Loads an artifact with the ERROR policy for unknown users, using every available core. */
    public static Recommender load(Path file) throws IOException { return load(file, UnknownUserPolicy.ERROR); }

    public static Recommender load(Path file, UnknownUserPolicy policy) throws IOException {
        return new Recommender(ModelArtifact.read(file), policy, Runtime.getRuntime().availableProcessors());
    }

    public ModelArtifact artifact() { return artifact; }

    /** The CPU scoring kernel (pairs and rows), made on first use; callers hold the lock. */
    synchronized ScoringKernel kernel() {
        open();
        if (kernel == null) kernel = new ScoringKernel(config, artifact.flatParams(), threads);
        return kernel;
    }

    private void open() {
        if (closed) throw new IllegalStateException("this Recommender is closed");
    }

    /** What {@link #recommendBatch} ranks with: the device ranker given, or the CPU kernel's (exact or two-stage). */
    public synchronized BatchRanker ranker() {
        open();
        if (ranker == null) ranker = candidates > 0 ? new TwoStageRanker(kernel(), candidates) : new RowRanker(kernel());
        return ranker;
    }

    public UnknownUserPolicy unknownUserPolicy() { return policy; }

    /**
     * The model as a {@link RowScorer} over dense ids (for evaluation: the full protocol scores rows), sharing this
     * recommender's kernel; calls are serialised with the recommender's own.
     */
    public RowScorer scorer() { return scorerView; }

    public boolean knows(String userId) { return artifact.userIds().indexOf(userId) >= 0; }

    /** The user's seen items (original ids), empty for an unknown user. */
    public List<String> seenItems(String userId) {
        int u = artifact.userIds().indexOf(userId);
        List<String> out = new ArrayList<>();
        if (u < 0) return out;
        UserItemIndex s = artifact.seen();
        for (int k = s.start(u); k < s.end(u); k++) out.add(artifact.itemIds().id(s.itemsArray()[k]));
        return out;
    }

    /** Top {@code k} items for the user, seen items excluded (two-stage when the recommender was made so). */
    public List<Item> recommend(String userId, int k) {
        if (candidates == 0) return recommend(userId, k, null, null, true);
        synchronized (this) {
            open();
            if (k <= 0) throw new IllegalArgumentException("k must be positive, got " + k);
            int u = resolve(userId);
            if (u < 0) return recommend(userId, k, null, null, true);
            int kk = Math.min(k, numItems);
            int[] items = new int[kk], found = new int[1];
            float[] top = new float[kk];
            ranker().topK(new int[]{u}, 0, 1, kk, artifact.seen(), items, top, found);
            return items(items, top, 0, found[0]);
        }
    }

    /**
     * Top {@code k} items for the user.
     *
     * @param candidates  only these items may be recommended (original ids; null: every item); unknown ids are an error
     * @param exclude     items never to recommend (original ids; null: none); unknown ids are ignored
     * @param excludeSeen also exclude the user's seen items
     */
    public synchronized List<Item> recommend(String userId, int k, Collection<String> candidates, Collection<String> exclude, boolean excludeSeen) {
        open();
        if (k <= 0) throw new IllegalArgumentException("k must be positive, got " + k);
        int u = resolve(userId);
        if (candidates == null) Arrays.fill(skip, false);
        else {
            Arrays.fill(skip, true);
            for (String id : candidates) skip[itemIndex(id)] = false;
        }
        if (exclude != null) for (String id : exclude) { int i = artifact.itemIds().indexOf(id); if (i >= 0) skip[i] = true; }
        if (u >= 0 && excludeSeen) markSeen(u, skip);
        float[] scores;
        if (u < 0) scores = popularityScores();
        else {
            kernel().scoreRows(new int[]{u}, 0, 1, (w, j, user, r) -> System.arraycopy(r, 0, row, 0, numItems));
            scores = row;
        }
        int kk = Math.min(k, numItems);
        int[] items = new int[kk];
        float[] top = new float[kk];
        int n = TopK.select(scores, numItems, skip, kk, heap, items, top, 0);
        return items(items, top, 0, n);
    }

    /** Scores of the given items for the user (logits; popularity counts for an unknown user under POPULARITY). */
    public synchronized float[] score(String userId, List<String> itemIds) {
        open();
        int u = resolve(userId);
        int n = itemIds.size();
        int[] items = new int[n];
        for (int j = 0; j < n; j++) items[j] = itemIndex(itemIds.get(j));
        float[] out = new float[n];
        if (u < 0) {
            for (int j = 0; j < n; j++) out[j] = artifact.popularity()[items[j]];
            return out;
        }
        int[] users = new int[n];
        Arrays.fill(users, u);
        kernel().score(users, items, n, out);
        return out;
    }

    /**
     * Top {@code k} unseen items for each user, handed to {@code sink} in input order. Users are ranked in blocks of
     * {@link #DEFAULT_BLOCK_USERS} by the {@link #ranker()}, each user's row scored and selected on one thread, so
     * memory is a row per thread and k entries per user of a block, whatever the user count.
     */
    public synchronized void recommendBatch(List<String> userIds, int k, BatchSink sink) throws IOException {
        open();
        if (k <= 0) throw new IllegalArgumentException("k must be positive, got " + k);
        int block = DEFAULT_BLOCK_USERS, kk = Math.min(k, numItems);
        int[] dense = new int[block], known = new int[block], found = new int[block], items = new int[block * kk];
        float[] scores = new float[block * kk];
        List<Item> popular = null;
        for (int b0 = 0; b0 < userIds.size(); b0 += block) {
            int rows = Math.min(block, userIds.size() - b0), nk = 0;
            for (int r = 0; r < rows; r++) {
                int u = resolve(userIds.get(b0 + r));
                dense[r] = u;
                if (u >= 0) known[nk++] = u;
            }
            if (nk > 0) ranker().topK(known, 0, nk, kk, artifact.seen(), items, scores, found);
            for (int r = 0, j = 0; r < rows; r++) {
                List<Item> top;
                if (dense[r] >= 0) { top = items(items, scores, j * kk, found[j]); j++; }
                else {
                    if (popular == null) {
                        int[] pi = new int[kk];
                        float[] ps = new float[kk];
                        int n = TopK.select(popularityScores(), numItems, null, kk, new int[kk], pi, ps, 0);
                        popular = items(pi, ps, 0, n);
                    }
                    top = popular;
                }
                sink.accept(userIds.get(b0 + r), top);
            }
        }
    }

    /** Every user the model knows, in dense-index order (for "recommend for all users"). */
    public List<String> allUsers() { return artifact.userIds().ids(); }

    private List<Item> items(int[] items, float[] scores, int off, int n) {
        List<Item> out = new ArrayList<>(n);
        for (int j = 0; j < n; j++) out.add(new Item(artifact.itemIds().id(items[off + j]), items[off + j], scores[off + j], j + 1));
        return out;
    }

    private int resolve(String userId) {
        int u = artifact.userIds().indexOf(userId);
        if (u < 0 && policy == UnknownUserPolicy.ERROR) throw new UnknownUserException(userId);
        return u;
    }

    private int itemIndex(String id) {
        int i = artifact.itemIds().indexOf(id);
        if (i < 0) throw new IllegalArgumentException("unknown item '" + id + "': the model was not trained on it");
        return i;
    }

    private void markSeen(int u, boolean[] mask) {
        UserItemIndex s = artifact.seen();
        int[] items = s.itemsArray();
        for (int k = s.start(u); k < s.end(u); k++) mask[items[k]] = true;
    }

    private float[] popularityScores() {
        int[] p = artifact.popularity();
        float[] s = new float[numItems];
        for (int i = 0; i < numItems; i++) s[i] = p[i];
        return s;
    }

    /** Frees the kernel's native buffers and threads and the ranker; idempotent. Every later call throws {@link IllegalStateException}. */
    @Override public synchronized void close() {
        if (closed) return;
        closed = true;
        if (ranker != null) ranker.close();
        if (kernel != null) kernel.close();
    }
}
