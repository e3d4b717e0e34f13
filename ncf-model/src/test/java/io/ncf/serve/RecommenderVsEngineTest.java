package io.ncf.serve;

import io.ncf.core.UserItemIndex;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** The serving kernel against the training engine (ncf-core's own tests cover the API without ND4J). */
class RecommenderVsEngineTest {

    private ModelArtifact artifact;
    private Recommender rec;

    @BeforeEach void setUp() {
        artifact = ArtifactFixtures.small(11);
        rec = new Recommender(artifact, Recommender.UnknownUserPolicy.ERROR, 2);
    }

    @AfterEach void tearDown() { rec.close(); }

    /**
     * The recommender scores with the inference kernel; it must agree with the training engine's per-pair forward
     * pass, and a pair alone must score exactly as within a whole row (recommend) or an all-items call.
     */
    @Test void kernelScoresMatchThePerPairForwardPassAndAgreeWithRecommend() {
        io.ncf.model.fused.FusedCpuEngine perPair = new io.ncf.model.fused.FusedCpuEngine(io.ncf.model.Artifacts.params(artifact), 64, 1);
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
                for (ScoredItem it : rec.recommend(artifact.userIds().id(u), 3).items()) {
                    int i = artifact.itemIds().indexOf(it.itemId());
                    assertEquals(Float.floatToRawIntBits(s[i]), Float.floatToRawIntBits(it.score()), "recommend's score of item " + i);
                }
            }
        }
    }
}
