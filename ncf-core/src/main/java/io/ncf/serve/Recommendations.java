package io.ncf.serve;

import java.util.ArrayList;
import java.util.List;

/**
 * A user's top-K list and where it came from.
 *
 * @param userId the user asked for
 * @param source {@link Source#MODEL} when the model ranked the items (scores are logits), {@link Source#POPULARITY}
 *               when the user is unknown and the {@link Recommender.UnknownUserPolicy#POPULARITY} fallback ranked them
 *               (scores are interaction counts)
 * @param items  best first; fewer than k when fewer items are eligible
 */
public record Recommendations(String userId, Source source, List<ScoredItem> items) {

    /** Who ranked the items. */
    public enum Source {
        /** The trained model: scores are its logits. */
        MODEL,
        /** The popularity fallback for a user the model does not know: scores are interaction counts. */
        POPULARITY
    }

    public Recommendations {
        items = List.copyOf(items);
    }

    /** Whether the model ranked these items (not the fallback). */
    public boolean fromModel() { return source == Source.MODEL; }

    public int size() { return items.size(); }

    public ScoredItem get(int index) { return items.get(index); }

    /** The item ids, best first. */
    public List<String> itemIds() {
        List<String> ids = new ArrayList<>(items.size());
        for (ScoredItem it : items) ids.add(it.itemId());
        return ids;
    }
}
