package io.ncf.data;

/**
 * The validation view of a prepared dataset, for choosing a recipe without looking at the test items: each user's
 * latest training positive (the second-to-last interaction overall, since the latest is the test item) is held out
 * as that user's validation item, with its own evaluation negatives drawn as {@code ncf prepare} draws the test's
 * (uniform, redrawn while the user interacted with the item — test item included); training keeps the rest.
 * The test items appear nowhere in the view's training data or candidates; they stay in {@code seen}, so no
 * negative is ever a test item and full-ranking evaluation masks them as known interactions.
 */
public final class ValidationSplit {

    private ValidationSplit() {}

    /** Mixed into the dataset's seed so validation negatives differ from the test's. */
    private static final long SALT = 0x76616c6964L; // "valid"

    /**
     * @param ds   a prepared dataset (training positives grouped by user, in time order within a user)
     * @param seed seed of the validation negatives
     * @throws DatasetException when a user has fewer than two training positives (nothing would be left to train on)
     */
    public static NcfDataset of(NcfDataset ds, long seed) {
        int users = ds.numUsers();
        int[] tu = ds.trainUsers(), ti = ds.trainItems();
        int[] last = new int[users];
        int[] count = new int[users];
        java.util.Arrays.fill(last, -1);
        for (int k = 0; k < tu.length; k++) {
            int u = tu[k];
            if (last[u] >= 0 && last[u] != k - 1)
                throw new DatasetException("training positives are not grouped by user (user " + u + " appears again at row " + k + ")");
            last[u] = k;
            count[u]++;
        }
        int[] validItems = new int[users];
        for (int u = 0; u < users; u++) {
            if (count[u] < 2)
                throw new DatasetException("user " + ds.userIds().id(u) + " has " + count[u]
                        + " training positive(s): a validation split needs at least 2 (one held out, one to train on)");
            validItems[u] = ti[last[u]];
        }
        int n = tu.length - users;
        int[] u2 = new int[n], i2 = new int[n];
        int w = 0;
        for (int k = 0; k < tu.length; k++) {
            if (last[tu[k]] == k) continue;
            u2[w] = tu[k];
            i2[w++] = ti[k];
        }
        EvalCandidates cand = Preprocessor.sampleCandidates(validItems, ds.seen(), ds.numItems(), ds.candidates().negativesPerUser(),
                Seeds.mix(seed, SALT));
        NcfDataset.DatasetInfo in = ds.info();
        NcfDataset.DatasetInfo info = new NcfDataset.DatasetInfo(in.source() + " (validation split)", in.minRatings(), in.validNegative(), seed,
                in.rawRows(), in.droppedUsers(), in.duplicatePairs());
        return new NcfDataset(ds.numUsers(), ds.numItems(), u2, i2, validItems, cand, ds.seen(), ds.userIds(), ds.itemIds(), info);
    }
}
