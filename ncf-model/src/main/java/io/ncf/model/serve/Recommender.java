package io.ncf.model.serve;

import io.ncf.data.IdVocabulary;
import io.ncf.data.UserItemIndex;
import io.ncf.model.NeuMFConfig;
import io.ncf.model.Scorer;
import io.ncf.model.fused.FusedCpuEngine;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

/**
 * Recommendations from a {@link ModelArtifact}, by original ids. Scores come from the {@link FusedCpuEngine}
 * (inference mode, no dropout): a score is the model's logit. Items the user has already seen are excluded
 * unless asked otherwise. Methods are synchronized: the engine's buffers serve one call at a time.
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

    public static final int DEFAULT_MICRO_BATCH = 8192;
    /** Pairs scored per block in batch recommendation: bounds memory to a few arrays of this length. */
    public static final int DEFAULT_BLOCK_PAIRS = 1 << 20;

    private final ModelArtifact artifact;
    private final NeuMFConfig config;
    private final FusedCpuEngine engine;
    private final UnknownUserPolicy policy;
    private final int numItems;
    private final int blockUsers;
    private final int[] userBuf, itemBuf;
    private final float[] scoreBuf;

    public Recommender(ModelArtifact artifact, UnknownUserPolicy policy, int threads) {
        this.artifact = artifact;
        this.config = artifact.config();
        this.policy = policy;
        this.numItems = config.numItems();
        this.engine = new FusedCpuEngine(artifact.params(), Math.min(DEFAULT_MICRO_BATCH, Math.max(numItems, 64)), threads);
        // The parameters are fixed from here on: announcing them once lets the engine project both MLP tables
        // through the first dense layer a single time (on the first call) and gather projected rows per pair
        // afterwards, instead of a per-pair first-layer gemm on every call. FACTORED rather than AUTO so that small
        // calls (score of a few items) take the same path as the blocks of recommendBatch: a score then does not
        // depend on which call computed it, bit for bit.
        engine.setFirstLayer(FusedCpuEngine.FirstLayer.FACTORED);
        engine.parametersChanged();
        this.blockUsers = Math.max(1, DEFAULT_BLOCK_PAIRS / numItems);
        int cap = blockUsers * numItems;
        this.userBuf = new int[cap];
        this.itemBuf = new int[cap];
        this.scoreBuf = new float[cap];
        for (int b = 0; b < blockUsers; b++) for (int i = 0; i < numItems; i++) itemBuf[b * numItems + i] = i;
    }

    /** Loads an artifact with the ERROR policy for unknown users, using every available core. */
    public static Recommender load(Path file) throws IOException { return load(file, UnknownUserPolicy.ERROR); }

    public static Recommender load(Path file, UnknownUserPolicy policy) throws IOException {
        return new Recommender(ModelArtifact.read(file), policy, Runtime.getRuntime().availableProcessors());
    }

    public ModelArtifact artifact() { return artifact; }

    /** For tests: the scoring engine. */
    FusedCpuEngine engine() { return engine; }

    public UnknownUserPolicy unknownUserPolicy() { return policy; }

    /** The model as a {@link Scorer} over dense ids (for evaluation); shares this recommender's engine. */
    public Scorer scorer() {
        return (users, items, count, out) -> { synchronized (this) { engine.score(users, items, count, out); } };
    }

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

    /** Top {@code k} items for the user, seen items excluded. */
    public List<Item> recommend(String userId, int k) { return recommend(userId, k, null, null, true); }

    /**
     * Top {@code k} items for the user.
     *
     * @param candidates  only these items may be recommended (original ids; null: every item); unknown ids are an error
     * @param exclude     items never to recommend (original ids; null: none); unknown ids are ignored
     * @param excludeSeen also exclude the user's seen items
     */
    public synchronized List<Item> recommend(String userId, int k, Collection<String> candidates, Collection<String> exclude, boolean excludeSeen) {
        if (k <= 0) throw new IllegalArgumentException("k must be positive, got " + k);
        int u = resolve(userId);
        boolean[] allowed = new boolean[numItems];
        if (candidates == null) Arrays.fill(allowed, true);
        else for (String id : candidates) allowed[itemIndex(id)] = true;
        if (exclude != null) for (String id : exclude) { int i = artifact.itemIds().indexOf(id); if (i >= 0) allowed[i] = false; }
        if (u >= 0 && excludeSeen) excludeSeen(u, allowed);
        float[] scores;
        if (u < 0) scores = popularityScores();
        else {
            Arrays.fill(userBuf, 0, numItems, u);
            engine.score(userBuf, itemBuf, numItems, scoreBuf);
            scores = scoreBuf;
        }
        return topK(scores, 0, allowed, k);
    }

    /** Scores of the given items for the user (logits; popularity counts for an unknown user under POPULARITY). */
    public synchronized float[] score(String userId, List<String> itemIds) {
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
        engine.score(users, items, n, out);
        return out;
    }

    /**
     * Top {@code k} unseen items for each user, handed to {@code sink} in input order. Users are scored in
     * blocks of {@code max(1, 2^20 / numItems)} against every item, so memory does not grow with the user count.
     */
    public synchronized void recommendBatch(List<String> userIds, int k, BatchSink sink) throws IOException {
        if (k <= 0) throw new IllegalArgumentException("k must be positive, got " + k);
        boolean[] allowed = new boolean[numItems];
        int[] dense = new int[blockUsers];
        for (int b0 = 0; b0 < userIds.size(); b0 += blockUsers) {
            int rows = Math.min(blockUsers, userIds.size() - b0);
            int known = 0;
            for (int r = 0; r < rows; r++) {
                int u = resolve(userIds.get(b0 + r));
                dense[r] = u;
                if (u >= 0) { Arrays.fill(userBuf, known * numItems, (known + 1) * numItems, u); known++; }
            }
            if (known > 0) engine.score(userBuf, itemBuf, known * numItems, scoreBuf);
            float[] pop = null;
            for (int r = 0, row = 0; r < rows; r++) {
                int u = dense[r];
                Arrays.fill(allowed, true);
                List<Item> top;
                if (u >= 0) {
                    excludeSeen(u, allowed);
                    top = topK(scoreBuf, (row++) * numItems, allowed, k);
                } else {
                    if (pop == null) pop = popularityScores();
                    top = topK(pop, 0, allowed, k);
                }
                sink.accept(userIds.get(b0 + r), top);
            }
        }
    }

    /** Every user the model knows, in dense-index order (for "recommend for all users"). */
    public List<String> allUsers() { return artifact.userIds().ids(); }

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

    private void excludeSeen(int u, boolean[] allowed) {
        UserItemIndex s = artifact.seen();
        int[] items = s.itemsArray();
        for (int k = s.start(u); k < s.end(u); k++) allowed[items[k]] = false;
    }

    private float[] popularityScores() {
        int[] p = artifact.popularity();
        float[] s = new float[numItems];
        for (int i = 0; i < numItems; i++) s[i] = p[i];
        return s;
    }

    /**
     * The k best allowed items of {@code scores[off .. off+numItems)}, best first; equal scores go to the lower item
     * index so results are deterministic. A bounded min-heap: O(n log k).
     */
    private List<Item> topK(float[] scores, int off, boolean[] allowed, int k) {
        int[] heap = new int[Math.min(k, numItems)];
        int size = 0;
        for (int i = 0; i < numItems; i++) {
            if (!allowed[i]) continue;
            if (size < heap.length) {
                heap[size] = i;
                siftUp(heap, size++, scores, off);
            } else if (better(i, heap[0], scores, off)) {
                heap[0] = i;
                siftDown(heap, size, scores, off);
            }
        }
        int[] sorted = Arrays.copyOf(heap, size);
        Integer[] boxed = new Integer[size];
        for (int j = 0; j < size; j++) boxed[j] = sorted[j];
        Arrays.sort(boxed, (a, b) -> better(a, b, scores, off) ? -1 : better(b, a, scores, off) ? 1 : 0);
        List<Item> out = new ArrayList<>(size);
        for (int j = 0; j < size; j++) out.add(new Item(artifact.itemIds().id(boxed[j]), boxed[j], scores[off + boxed[j]], j + 1));
        return out;
    }

    /** a ranks before b: higher score (NaN lowest), then lower index. */
    private static boolean better(int a, int b, float[] s, int off) {
        float x = s[off + a], y = s[off + b];
        if (Float.isNaN(x) != Float.isNaN(y)) return Float.isNaN(y);
        if (x != y && !Float.isNaN(x)) return x > y;
        return a < b;
    }

    private static void siftUp(int[] h, int i, float[] s, int off) {
        while (i > 0) {
            int p = (i - 1) / 2;
            if (!better(h[p], h[i], s, off)) break; // min-heap: parent must be the worse one
            int t = h[p]; h[p] = h[i]; h[i] = t;
            i = p;
        }
    }

    private static void siftDown(int[] h, int n, float[] s, int off) {
        int i = 0;
        while (true) {
            int l = 2 * i + 1, r = l + 1, w = i;
            if (l < n && better(h[w], h[l], s, off)) w = l;
            if (r < n && better(h[w], h[r], s, off)) w = r;
            if (w == i) return;
            int t = h[w]; h[w] = h[i]; h[i] = t;
            i = w;
        }
    }

    @Override public void close() { engine.close(); }
}
