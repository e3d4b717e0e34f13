package io.ncf.serve;

import io.ncf.core.IdVocabulary;
import io.ncf.core.NeuMFConfig;
import io.ncf.core.ParamShapes;
import io.ncf.core.UserItemIndex;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A small random model with string ids that differ from the dense indices (so mix-ups show), made from flat floats:
 * ncf-core's tests run with no ND4J on the class path, as a serving application does.
 */
final class Fixtures {
    static final int USERS = 30, ITEMS = 25;

    static ModelArtifact small(long seed) { return model(seed, USERS, ITEMS); }

    static ModelArtifact model(long seed, int numUsers, int numItems) { return model(seed, numUsers, numItems, new int[]{8, 6, 4}); }

    static ModelArtifact model(long seed, int numUsers, int numItems, int[] layers) {
        NeuMFConfig c = new NeuMFConfig(numUsers, numItems, 4, layers, 0.5f);
        SplittableRandom r = new SplittableRandom(seed);
        float[] flat = new float[(int) ParamShapes.totalLength(c)];
        int at = 0;
        for (var t : ParamShapes.of(c).entrySet()) {
            long n = ParamShapes.length(t.getValue());
            // embeddings large enough that scores differ clearly between items
            double scale = t.getKey().startsWith("mf_") || t.getKey().equals(ParamShapes.MLP_USER) || t.getKey().equals(ParamShapes.MLP_ITEM) ? 0.5 : 0.4;
            for (long j = 0; j < n; j++) flat[at++] = (float) (r.nextGaussian() * scale);
        }
        List<String> users = new ArrayList<>(), items = new ArrayList<>();
        for (int u = 0; u < numUsers; u++) users.add("user-" + (1000 - u));
        for (int i = 0; i < numItems; i++) items.add("item:" + (i * 7 % numItems) + "/" + i);
        int[] us = new int[numUsers * 6], is = new int[numUsers * 6];
        int n = 0;
        for (int u = 0; u < numUsers; u++) for (int j = 0; j < 1 + u % 6; j++) { us[n] = u; is[n++] = r.nextInt(numItems); }
        UserItemIndex seen = UserItemIndex.build(numUsers, us, is, n);
        return new ModelArtifact(c, flat, IdVocabulary.of(users), IdVocabulary.of(items), seen, ModelArtifact.popularity(seen, numItems),
                Map.of("epoch", "3", "hr", "0.5", "ndcg", "0.25", "topk", "10", "seed", "7", "data", "fixture",
                        ModelInfo.CREATED, "2026-12-06T18:00:00Z", "note", "fixture ü"));
    }

    private Fixtures() {}
}
