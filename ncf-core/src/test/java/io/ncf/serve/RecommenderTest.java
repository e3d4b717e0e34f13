package io.ncf.serve;

import io.ncf.core.ParamShapes;
import io.ncf.core.UserItemIndex;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

class RecommenderTest {

    private ModelArtifact artifact;
    private Recommender rec;

    @BeforeEach void setUp() {
        artifact = Fixtures.small(11);
        rec = new Recommender(artifact, Recommender.UnknownUserPolicy.ERROR, 2);
    }

    @AfterEach void tearDown() { rec.close(); }

    @Test void recommendIsTheBruteForceTopKOfUnseenItems() {
        UserItemIndex seen = artifact.seen();
        List<String> all = artifact.itemIds().ids();
        for (int u = 0; u < Fixtures.USERS; u++) {
            String user = artifact.userIds().id(u);
            float[] s = rec.score(user, all);
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < all.size(); i++) if (!seen.contains(u, i)) order.add(i);
            order.sort(Comparator.<Integer>comparingDouble(i -> -s[i]).thenComparingInt(i -> i));
            Recommendations top = rec.recommend(user, 5);
            assertEquals(user, top.userId());
            assertEquals(Recommendations.Source.MODEL, top.source());
            assertEquals(Math.min(5, order.size()), top.size());
            for (int j = 0; j < top.size(); j++) {
                ScoredItem it = top.get(j);
                int i = artifact.itemIds().indexOf(it.itemId());
                assertFalse(seen.contains(u, i), "recommended a seen item to " + user);
                assertEquals(order.get(j), i, "rank " + (j + 1) + " of " + user);
                assertEquals(j + 1, it.rank());
                assertEquals(Float.floatToRawIntBits(s[i]), Float.floatToRawIntBits(it.score()));
            }
        }
    }

    @Test void aPairScoresTheSameAloneInAMixedBatchAndInARow() {
        List<String> all = artifact.itemIds().ids();
        List<String> us = new ArrayList<>(), is = new ArrayList<>();
        for (int u = 0; u < Fixtures.USERS; u++) for (int i = (u * 3) % 5; i < all.size(); i += 5) { us.add(artifact.userIds().id(u)); is.add(all.get(i)); }
        Collections.shuffle(us, new java.util.Random(1));
        Collections.shuffle(is, new java.util.Random(2));
        float[] mixed = rec.scoreBatch(us.toArray(String[]::new), is.toArray(String[]::new));
        int[] du = us.stream().mapToInt(rec::userIndex).toArray(), di = is.stream().mapToInt(rec::itemIndex).toArray();
        float[] dense = rec.scoreBatch(du, di);
        for (int k = 0; k < mixed.length; k++) {
            float alone = rec.score(us.get(k), List.of(is.get(k)))[0];
            float inRow = rec.score(us.get(k), all)[di[k]];
            assertEquals(Float.floatToRawIntBits(alone), Float.floatToRawIntBits(mixed[k]), "pair " + k);
            assertEquals(Float.floatToRawIntBits(alone), Float.floatToRawIntBits(inRow), "pair " + k);
            assertEquals(Float.floatToRawIntBits(alone), Float.floatToRawIntBits(dense[k]), "pair " + k);
        }
        assertThrows(IllegalArgumentException.class, () -> rec.scoreBatch(new String[]{"user-1000"}, new String[0]));
        Recommender.UnknownItemException e = assertThrows(Recommender.UnknownItemException.class,
                () -> rec.scoreBatch(new String[]{"user-1000"}, new String[]{"nope"}));
        assertEquals("nope", e.itemId());
    }

    @Test void manyThreadsGetWhatOneThreadGetsSplitOrNot() throws Exception {
        ModelArtifact big = Fixtures.model(5, 64, Recommender.SPLIT_MIN_ITEMS + 100);   // several kernel chunks per row
        for (boolean split : new boolean[]{true, false})
            manyThreadsGetWhatOneThreadGets(big, Recommender.Options.defaults().withThreads(2)
                    .withUnknownUsers(Recommender.UnknownUserPolicy.POPULARITY).withSplitRequests(split));
    }

    /** BF16 scoring: refused by name where it cannot run; where it can, thread-safe and deterministic, and FP32's lists up to near-ties. */
    @Test void bf16ScoringIsRefusedByNameOrAgreesWithFp32UpToNearTies() throws Exception {
        var ex = assertThrows(IllegalStateException.class, () -> new Recommender(artifact, Recommender.Options.defaults().withBf16(true)));
        assertTrue(ex.getMessage().contains("BF16 scoring"), ex.getMessage());
        org.junit.jupiter.api.Assumptions.assumeTrue(io.ncf.core.blas.NativeKernels.available() && io.ncf.core.blas.NativeKernels.amxAvailable(),
                "skipped beyond the refusal: no AMX-BF16 here");
        ModelArtifact big = Fixtures.model(8, 64, Recommender.SPLIT_MIN_ITEMS + 100, new int[]{64, 64, 32});
        Recommender.Options bf16 = Recommender.Options.defaults().withThreads(2).withUnknownUsers(Recommender.UnknownUserPolicy.POPULARITY).withBf16(true);
        manyThreadsGetWhatOneThreadGets(big, bf16);
        int same = 0, users = big.userIds().size();
        try (Recommender r32 = new Recommender(big, Recommender.Options.defaults().withThreads(2)); Recommender r16 = new Recommender(big, bf16)) {
            for (String u : big.userIds().ids()) {
                Recommendations a = r32.recommend(u, 10), b = r16.recommend(u, 10);
                if (a.items().stream().map(ScoredItem::itemId).toList().equals(b.items().stream().map(ScoredItem::itemId).toList())) same++;
                for (int j = 0; j < 10; j++) assertEquals(a.items().get(j).score(), b.items().get(j).score(), 0.05 * (1 + Math.abs(a.items().get(j).score())), u);
            }
        }
        assertTrue(same >= users / 2, same + " of " + users + " top-10 lists equal FP32's");
    }

    private void manyThreadsGetWhatOneThreadGets(ModelArtifact big, Recommender.Options options) throws Exception {
        try (Recommender r = new Recommender(big, options)) {
            List<String> users = new ArrayList<>(big.userIds().ids());
            users.add("stranger");
            List<Recommendations> expected = new ArrayList<>();
            for (String u : users) expected.add(r.recommend(u, 10));
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<List<Recommendations>>> got = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    final int shift = t;
                    got.add(pool.submit(() -> {
                        go.await();
                        List<Recommendations> out = new ArrayList<>(Collections.nCopies(users.size(), null));
                        for (int rep = 0; rep < 5; rep++)
                            for (int j = 0; j < users.size(); j++) {
                                int x = (j + shift * 17) % users.size();
                                out.set(x, r.recommend(users.get(x), 10));
                            }
                        return out;
                    }));
                }
                go.countDown();
                for (Future<List<Recommendations>> f : got) assertEquals(expected, f.get(60, TimeUnit.SECONDS), options.toString());
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test void closeWaitsForCallsInFlightThenEveryCallThrows() throws Exception {
        ModelArtifact big = Fixtures.model(6, 200, 2000);
        Recommender r = new Recommender(big, Recommender.UnknownUserPolicy.ERROR, 2);
        List<String> users = big.userIds().ids();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            CountDownLatch started = new CountDownLatch(1);
            Future<Integer> batch = pool.submit(() -> {
                int[] n = {0};
                r.recommendBatch(users, 10, x -> { started.countDown(); n[0]++; });
                return n[0];
            });
            assertTrue(started.await(30, TimeUnit.SECONDS));
            r.close();   // waits for the batch
            assertEquals(users.size(), batch.get(30, TimeUnit.SECONDS), "the batch in flight finished whole");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test void everyCallAfterCloseThrowsAndCloseIsIdempotent() {
        Recommender r = new Recommender(artifact, Recommender.UnknownUserPolicy.POPULARITY, 2, 5);
        String user = artifact.userIds().id(1), item = artifact.itemIds().id(0);
        assertEquals(3, r.recommend(user, 3).size());
        r.close();
        r.close();
        assertThrows(IllegalStateException.class, () -> r.recommend(user, 3));
        assertThrows(IllegalStateException.class, () -> r.recommend("stranger", 3));
        assertThrows(IllegalStateException.class, () -> r.recommend(user, 3, null, null, true));
        assertThrows(IllegalStateException.class, () -> r.score(user, List.of(item)));
        assertThrows(IllegalStateException.class, () -> r.scoreBatch(new String[]{user}, new String[]{item}));
        assertThrows(IllegalStateException.class, () -> r.scoreBatch(new int[]{0}, new int[]{0}));
        assertThrows(IllegalStateException.class, () -> r.similarItems(item, 3));
        assertThrows(IllegalStateException.class, () -> r.recommendBatch(List.of(user), 3, x -> {}));
        assertThrows(IllegalStateException.class, () -> r.scorer().score(new int[]{0}, new int[]{0}, 1, new float[1]));
        assertThrows(IllegalStateException.class, r::ranker);
    }

    @Test void candidatesAndExclusionsAndSeenSwitch() {
        String user = artifact.userIds().id(5);
        List<String> seenIds = rec.seenItems(user);
        assertFalse(seenIds.isEmpty());
        List<String> cands = new ArrayList<>(artifact.itemIds().ids().subList(0, 10));
        Recommendations r = rec.recommend(user, 100, cands, Set.of(cands.get(0), "no-such-item"), true);
        for (ScoredItem it : r.items()) {
            assertTrue(cands.contains(it.itemId()));
            assertNotEquals(cands.get(0), it.itemId());
            assertFalse(seenIds.contains(it.itemId()));
        }
        long expected = cands.stream().skip(1).filter(c -> !seenIds.contains(c)).count();
        assertEquals(expected, r.size());
        assertEquals(Fixtures.ITEMS, rec.recommend(user, 100, null, null, false).size());
        assertThrows(Recommender.UnknownItemException.class, () -> rec.recommend(user, 3, List.of("bogus"), null, true));
    }

    @Test void unknownUserFollowsThePolicyAndSaysSo() {
        Recommender.UnknownUserException e = assertThrows(Recommender.UnknownUserException.class, () -> rec.recommend("stranger", 3));
        assertEquals("stranger", e.userId());
        try (Recommender pop = new Recommender(artifact, Recommender.UnknownUserPolicy.POPULARITY, 1)) {
            Recommendations top = pop.recommend("stranger", 4);
            assertEquals(Recommendations.Source.POPULARITY, top.source());
            assertFalse(top.fromModel());
            int[] p = artifact.popularity();
            int max = 0;
            for (int c : p) max = Math.max(max, c);
            assertEquals(max, top.get(0).score());
            for (int j = 0; j < top.size(); j++) {
                int i = artifact.itemIds().indexOf(top.get(j).itemId());
                assertEquals(p[i], top.get(j).score(), "the fallback's score is the interaction count");
                if (j > 0) assertTrue(top.get(j - 1).score() >= top.get(j).score());
            }
            // candidates apply to the fallback too
            List<String> cands = artifact.itemIds().ids().subList(3, 6);
            assertTrue(cands.containsAll(pop.recommend("stranger", 10, cands, null, true).itemIds()));
            // a known user still gets model scores; scores never fall back
            assertEquals(rec.recommend(artifact.userIds().id(2), 3), pop.recommend(artifact.userIds().id(2), 3));
            assertThrows(Recommender.UnknownUserException.class, () -> pop.score("stranger", List.of(artifact.itemIds().id(0))));
        }
    }

    @Test void batchEqualsOneByOneInInputOrder() throws IOException {
        List<String> users = new ArrayList<>(artifact.userIds().ids());
        Collections.reverse(users);
        List<Recommendations> lists = new ArrayList<>();
        rec.recommendBatch(users, 4, lists::add);
        assertEquals(users.size(), lists.size());
        for (int j = 0; j < users.size(); j++) assertEquals(rec.recommend(users.get(j), 4), lists.get(j), users.get(j));
    }

    @Test void similarItemsAreTheBruteForceCosineOfTheItemEmbeddings() {
        int f = artifact.config().factors(), e = artifact.config().mlpEmbeddingDim();
        float[] flat = artifact.flatParams();
        int mf = (int) ParamShapes.offset(artifact.config(), ParamShapes.MF_ITEM), mlp = (int) ParamShapes.offset(artifact.config(), ParamShapes.MLP_ITEM);
        double[][] v = new double[Fixtures.ITEMS][];
        for (int i = 0; i < Fixtures.ITEMS; i++) {
            double[] a = unit(flat, mf + i * f, f), b = unit(flat, mlp + i * e, e);
            v[i] = new double[f + e];
            for (int j = 0; j < f; j++) v[i][j] = a[j] / Math.sqrt(2);
            for (int j = 0; j < e; j++) v[i][f + j] = b[j] / Math.sqrt(2);
        }
        for (int q = 0; q < Fixtures.ITEMS; q++) {
            final int qq = q;
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < Fixtures.ITEMS; i++) if (i != q) order.add(i);
            order.sort(Comparator.<Integer>comparingDouble(i -> -dot(v[i], v[qq])));
            List<ScoredItem> sim = rec.similarItems(artifact.itemIds().id(q), 5);
            assertEquals(5, sim.size());
            for (int j = 0; j < 5; j++) {
                int i = artifact.itemIds().indexOf(sim.get(j).itemId());
                assertNotEquals(q, i, "an item is not its own neighbour");
                assertEquals(dot(v[order.get(j)], v[q]), sim.get(j).score(), 1e-5, "rank " + (j + 1) + " of item " + q);
                assertTrue(sim.get(j).score() <= 1.0001f && sim.get(j).score() >= -1.0001f);
            }
        }
        assertThrows(Recommender.UnknownItemException.class, () -> rec.similarItems("nope", 3));
    }

    private static double[] unit(float[] a, int from, int n) {
        double s = 0;
        for (int j = 0; j < n; j++) s += (double) a[from + j] * a[from + j];
        double[] out = new double[n];
        for (int j = 0; j < n; j++) out[j] = a[from + j] / Math.sqrt(s);
        return out;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int j = 0; j < a.length; j++) s += a[j] * b[j];
        return s;
    }

    @Test void infoIsTypedMetadata() {
        ModelInfo info = rec.info();
        assertEquals(ModelArtifact.VERSION, info.formatVersion());
        assertEquals("neumf", info.modelKind());
        assertEquals(Fixtures.USERS, info.numUsers());
        assertEquals(Fixtures.ITEMS, info.numItems());
        assertEquals(4, info.factors());
        assertEquals(List.of(8, 6, 4), info.layers());
        assertEquals("fixture", info.dataset());
        assertEquals(4, info.trainedEpochs(), "best epoch 3 (0-based): trained for 4");
        assertEquals(0.5, info.hitRate());
        assertEquals(0.25, info.ndcg());
        assertEquals(10, info.topK());
        assertEquals(7, info.seed());
        assertEquals(Instant.parse("2026-12-06T18:00:00Z"), info.createdAt());
        assertEquals("fixture ü", info.properties().get("note"));
    }

    @Test void savedAndLoadedRecommenderGivesIdenticalScores(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("m.zip");
        artifact.write(f);
        try (Recommender loaded = Recommender.load(f)) {
            for (String u : artifact.userIds().ids()) {
                float[] a = rec.score(u, artifact.itemIds().ids()), b = loaded.score(u, artifact.itemIds().ids());
                for (int i = 0; i < a.length; i++) assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]));
            }
            assertEquals(rec.info(), loaded.info());
        }
    }

    @Test void optionsAreCheckedAndNamed() {
        assertThrows(IllegalArgumentException.class, () -> Recommender.Options.defaults().withThreads(0));
        assertThrows(IllegalArgumentException.class, () -> Recommender.Options.defaults().withCandidates(-1));
        assertThrows(NullPointerException.class, () -> Recommender.Options.defaults().withUnknownUsers(null));
        try (Recommender r = new Recommender(artifact, Recommender.Options.defaults().withCandidates(5).withThreads(1))) {
            assertEquals(Recommender.UnknownUserPolicy.ERROR, r.unknownUserPolicy());
            assertEquals(3, r.recommend(artifact.userIds().id(0), 3).size());
        }
    }

    @Test void noNd4jOnThisClassPath() {
        assertThrows(ClassNotFoundException.class, () -> Class.forName("org.nd4j.linalg.factory.Nd4j"),
                "ncf-core serves without ND4J: its tests run with none on the class path");
    }
}
