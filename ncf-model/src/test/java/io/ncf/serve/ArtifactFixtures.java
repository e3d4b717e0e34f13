package io.ncf.serve;

import io.ncf.core.IdVocabulary;
import io.ncf.core.UserItemIndex;
import io.ncf.core.NeuMFConfig;
import io.ncf.model.ParamSet;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** A small random model with string ids that differ from the dense indices (so mix-ups show). */
final class ArtifactFixtures {
    static final int USERS = 30, ITEMS = 25;

    static ModelArtifact small(long seed) {
        NeuMFConfig c = new NeuMFConfig(USERS, ITEMS, 4, new int[]{8, 6, 4}, 0.5f);
        ParamSet p = ParamSet.initialize(c, seed);
        // bigger embeddings than the default N(0, 0.01) so scores differ clearly between items
        for (String n : List.of(ParamSet.MF_USER, ParamSet.MF_ITEM, ParamSet.MLP_USER, ParamSet.MLP_ITEM)) p.get(n).muli(50);
        List<String> users = new ArrayList<>(), items = new ArrayList<>();
        for (int u = 0; u < USERS; u++) users.add("user-" + (1000 - u));
        for (int i = 0; i < ITEMS; i++) items.add("item:" + (i * 7 % ITEMS) + "/" + i);
        SplittableRandom r = new SplittableRandom(seed);
        int[] us = new int[USERS * 6], is = new int[USERS * 6];
        int n = 0;
        for (int u = 0; u < USERS; u++) for (int j = 0; j < 1 + u % 6; j++) { us[n] = u; is[n++] = r.nextInt(ITEMS); }
        UserItemIndex seen = UserItemIndex.build(USERS, us, is, n);
        return new ModelArtifact(p.config(), p.toFlat(), IdVocabulary.of(users), IdVocabulary.of(items), seen, ModelArtifact.popularity(seen, ITEMS),
                Map.of("epoch", "3", "note", "fixture ü"));
    }

    private ArtifactFixtures() {}
}
