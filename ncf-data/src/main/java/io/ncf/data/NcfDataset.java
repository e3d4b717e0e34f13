package io.ncf.data;

import io.ncf.core.IdVocabulary;
import io.ncf.core.UserItemIndex;

/**
 * A preprocessed implicit-feedback dataset: dense ids, the training positives, each user's held-out test
 * item and the evaluation candidates, plus the vocabularies that map dense ids back to original ids.
 *
 * @param trainUsers   training positives, user of each (grouped by user, in time order within a user)
 * @param trainItems   training positives, item of each
 * @param testItems    held-out item of each user ({@code testItems[u]}), every user has one
 * @param candidates   evaluation candidates (held-out item + sampled negatives) per user
 * @param seen         every (user, item) the user interacted with: training positives and the test item
 * @param info         where it came from and how it was made
 */
public record NcfDataset(int numUsers, int numItems, int[] trainUsers, int[] trainItems, int[] testItems,
                         EvalCandidates candidates, UserItemIndex seen, IdVocabulary userIds, IdVocabulary itemIds,
                         DatasetInfo info) {

    public NcfDataset {
        if (trainUsers.length != trainItems.length) throw new IllegalArgumentException("train arrays differ in length");
        if (testItems.length != numUsers) throw new IllegalArgumentException("need one test item per user");
        if (userIds.size() != numUsers || itemIds.size() != numItems) throw new IllegalArgumentException("vocabulary sizes do not match counts");
    }

    public int trainSize() { return trainUsers.length; }

    /**
     * @param source        human-readable origin (file path, "demo", …)
     * @param minRatings    users with fewer interactions were dropped
     * @param validNegative negatives per user in the candidates
     * @param seed          seed of the candidate sampling
     * @param droppedUsers  users removed by the min-ratings filter
     * @param duplicatePairs duplicate (user, item) rows removed
     */
    public record DatasetInfo(String source, int minRatings, int validNegative, long seed, long rawRows,
                              int droppedUsers, long duplicatePairs) {}
}
