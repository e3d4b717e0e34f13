package io.ncf.core.rank;

import io.ncf.core.UserItemIndex;

/**
 * Ranks every item for many users at once: the top K per user, or the rank of one item per user (full-ranking
 * evaluation). Users and items are dense indices. The CPU's {@link RowRanker} selects from rows scored on the host;
 * a device engine may select on the device and return only the winners.
 *
 * <p>Order: higher score first, NaN last, equal scores to the lower item index, so results do not depend on how
 * the work was split.
 */
public interface BatchRanker extends AutoCloseable {

    int numItems();

    /**
     * The best {@code k} items of each of {@code users[from .. from+count)}, skipping the user's items in
     * {@code exclude} (null: none). User j's list goes to {@code items[j*k ..]} and {@code scores[j*k ..]}, best
     * first, and its length (fewer than k only when fewer items remain) to {@code found[j]}.
     */
    void topK(int[] users, int from, int count, int k, UserItemIndex exclude, int[] items, float[] scores, int[] found);

    /**
     * Full-ranking rank of {@code targets[j]} for user {@code users[from + j]}: how many other items not in
     * {@code exclude} score at least as high (ties and NaN count against the target; a NaN target ranks last).
     * A negative target gives -1.
     */
    void ranks(int[] users, int from, int count, int[] targets, UserItemIndex exclude, int[] out);

    /** Multiply-adds times two per scored pair (0 if unknown). */
    default long flopsPerPair() { return 0; }

    @Override default void close() {}
}
