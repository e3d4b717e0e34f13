package io.ncf.model.serve;

import io.ncf.data.UserItemIndex;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class RecommenderTest {

    private ModelArtifact artifact;
    private Recommender rec;

    @BeforeEach void setUp() {
        artifact = ArtifactFixtures.small(11);
        rec = new Recommender(artifact, Recommender.UnknownUserPolicy.ERROR, 2);
    }

    @AfterEach void tearDown() { rec.close(); }

    @Test void recommendIsTheBruteForceTopKOfUnseenItems() {
        UserItemIndex seen = artifact.seen();
        for (int u = 0; u < ArtifactFixtures.USERS; u++) {
            String user = artifact.userIds().id(u);
            List<String> all = artifact.itemIds().ids();
            float[] s = rec.score(user, all);
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < all.size(); i++) if (!seen.contains(u, i)) order.add(i);
            order.sort(Comparator.<Integer>comparingDouble(i -> -s[i]).thenComparingInt(i -> i));
            List<Recommender.Item> top = rec.recommend(user, 5);
            assertEquals(Math.min(5, order.size()), top.size());
            for (int j = 0; j < top.size(); j++) {
                Recommender.Item it = top.get(j);
                assertFalse(seen.contains(u, it.item()), "recommended a seen item to " + user);
                assertEquals(order.get(j), it.item(), "rank " + (j + 1) + " of " + user);
                assertEquals(all.get(it.item()), it.itemId());
                assertEquals(j + 1, it.rank());
                assertEquals(Float.floatToRawIntBits(s[it.item()]), Float.floatToRawIntBits(it.score()));
            }
        }
    }

    /**
     * The recommender scores with the inference kernel; it must agree with the training engine's per-pair forward
     * pass, and a pair alone must score exactly as within a whole row (recommend) or an all-items call.
     */
    @Test void kernelScoresMatchThePerPairForwardPassAndAgreeWithRecommend() {
        io.ncf.model.fused.FusedCpuEngine perPair = new io.ncf.model.fused.FusedCpuEngine(artifact.params(), 64, 1);
        perPair.setFirstLayer(io.ncf.model.fused.FusedCpuEngine.FirstLayer.PER_SAMPLE);
        try (perPair) {
            List<String> all = artifact.itemIds().ids();
            int[] users = new int[all.size()], items = new int[all.size()];
            for (int i = 0; i < items.length; i++) items[i] = i;
            float[] ref = new float[all.size()];
            for (int u = 0; u < ArtifactFixtures.USERS; u++) {
                java.util.Arrays.fill(users, u);
                perPair.score(users, items, items.length, ref);
                float[] s = rec.score(artifact.userIds().id(u), all);
                for (int i = 0; i < ref.length; i++) {
                    assertEquals(ref[i], s[i], 1e-5f * Math.max(1f, Math.abs(ref[i])), "user " + u + " item " + i);
                    // one pair alone scores exactly as within the all-items call (same path whatever the call size)
                    float one = rec.score(artifact.userIds().id(u), List.of(all.get(i)))[0];
                    assertEquals(Float.floatToRawIntBits(s[i]), Float.floatToRawIntBits(one), "user " + u + " item " + i);
                }
                for (Recommender.Item it : rec.recommend(artifact.userIds().id(u), 3))
                    assertEquals(Float.floatToRawIntBits(s[it.item()]), Float.floatToRawIntBits(it.score()), "recommend's score of item " + it.item());
            }
        }
    }

    @Test void everyCallAfterCloseThrowsAndCloseIsIdempotent() throws IOException {
        Recommender r = new Recommender(artifact, Recommender.UnknownUserPolicy.POPULARITY, 2, 5);
        String user = artifact.userIds().id(1);
        assertEquals(3, r.recommend(user, 3).size());
        r.close();
        r.close();
        assertThrows(IllegalStateException.class, () -> r.recommend(user, 3));
        assertThrows(IllegalStateException.class, () -> r.recommend("stranger", 3));
        assertThrows(IllegalStateException.class, () -> r.recommend(user, 3, null, null, true));
        assertThrows(IllegalStateException.class, () -> r.score(user, List.of(artifact.itemIds().id(0))));
        assertThrows(IllegalStateException.class, () -> r.recommendBatch(List.of(user), 3, (u, items) -> {}));
        assertThrows(IllegalStateException.class, () -> r.scorer().score(new int[]{0}, new int[]{0}, 1, new float[1]));
        assertThrows(IllegalStateException.class, r::ranker);
    }

    @Test void candidatesAndExclusionsAndSeenSwitch() {
        String user = artifact.userIds().id(5);
        List<String> seenIds = rec.seenItems(user);
        assertFalse(seenIds.isEmpty());
        List<String> cands = new ArrayList<>(artifact.itemIds().ids().subList(0, 10));
        List<Recommender.Item> r = rec.recommend(user, 100, cands, Set.of(cands.get(0), "no-such-item"), true);
        for (Recommender.Item it : r) {
            assertTrue(cands.contains(it.itemId()));
            assertNotEquals(cands.get(0), it.itemId());
            assertFalse(seenIds.contains(it.itemId()));
        }
        long expected = cands.stream().skip(1).filter(c -> !seenIds.contains(c)).count();
        assertEquals(expected, r.size());
        List<Recommender.Item> withSeen = rec.recommend(user, 100, null, null, false);
        assertEquals(ArtifactFixtures.ITEMS, withSeen.size());
        assertThrows(IllegalArgumentException.class, () -> rec.recommend(user, 3, List.of("bogus"), null, true));
    }

    @Test void unknownUserFollowsThePolicy() {
        Recommender.UnknownUserException e = assertThrows(Recommender.UnknownUserException.class, () -> rec.recommend("stranger", 3));
        assertTrue(e.getMessage().contains("stranger"));
        try (Recommender pop = new Recommender(artifact, Recommender.UnknownUserPolicy.POPULARITY, 1)) {
            List<Recommender.Item> top = pop.recommend("stranger", 4);
            int[] p = artifact.popularity();
            for (int j = 0; j + 1 < top.size(); j++) {
                assertTrue(p[top.get(j).item()] >= p[top.get(j + 1).item()]);
                assertEquals(p[top.get(j).item()], top.get(j).score());
            }
            int max = 0;
            for (int c : p) max = Math.max(max, c);
            assertEquals(max, p[top.get(0).item()]);
            // a known user still gets model scores
            assertEquals(rec.recommend(artifact.userIds().id(2), 3), pop.recommend(artifact.userIds().id(2), 3));
        }
    }

    @Test void batchEqualsOneByOneInInputOrder() throws IOException {
        List<String> users = new ArrayList<>(artifact.userIds().ids());
        java.util.Collections.reverse(users);
        List<String> got = new ArrayList<>();
        List<List<Recommender.Item>> lists = new ArrayList<>();
        rec.recommendBatch(users, 4, (u, items) -> { got.add(u); lists.add(items); });
        assertEquals(users, got);
        for (int j = 0; j < users.size(); j++) assertEquals(rec.recommend(users.get(j), 4), lists.get(j), users.get(j));
    }

    @Test void savedAndLoadedRecommenderGivesIdenticalScores(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws IOException {
        java.nio.file.Path f = dir.resolve("m.zip");
        artifact.write(f);
        try (Recommender loaded = Recommender.load(f)) {
            for (String u : artifact.userIds().ids()) {
                float[] a = rec.score(u, artifact.itemIds().ids()), b = loaded.score(u, artifact.itemIds().ids());
                for (int i = 0; i < a.length; i++) assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]));
            }
        }
    }
}
