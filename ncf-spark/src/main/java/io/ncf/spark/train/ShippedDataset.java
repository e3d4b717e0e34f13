package io.ncf.spark.train;

import io.ncf.core.IdVocabulary;
import io.ncf.core.UserItemIndex;
import io.ncf.data.EvalCandidates;
import io.ncf.data.NcfDataset;

import java.io.Serializable;
import java.util.ArrayList;

/**
 * A prepared dataset as it travels to the executors (a broadcast, once per fit): every field of {@link NcfDataset} in
 * serializable form, so each executor's replica opens the same training engine over the same data as the driver's.
 * The replica needs the training pairs (its sampler draws every epoch's samples from them, as {@code ncf train} does);
 * the rest keeps the engine's construction the one the driver runs.
 */
final class ShippedDataset implements Serializable {

    private static final long serialVersionUID = 1L;

    private final int numUsers, numItems, negativesPerUser;
    private final int[] trainUsers, trainItems, testItems, candidateUsers, candidateItems, seenOffsets, seenItems;
    private final ArrayList<String> userIds, itemIds;
    private final String source;
    private final int minRatings, validNegative, droppedUsers;
    private final long seed, rawRows, duplicatePairs;
    private transient NcfDataset dataset;

    private ShippedDataset(NcfDataset d) {
        numUsers = d.numUsers();
        numItems = d.numItems();
        trainUsers = d.trainUsers();
        trainItems = d.trainItems();
        testItems = d.testItems();
        candidateUsers = d.candidates().users();
        candidateItems = d.candidates().items();
        negativesPerUser = d.candidates().negativesPerUser();
        seenOffsets = d.seen().offsetsArray();
        seenItems = d.seen().itemsArray();
        userIds = new ArrayList<>(d.userIds().ids());
        itemIds = new ArrayList<>(d.itemIds().ids());
        NcfDataset.DatasetInfo i = d.info();
        source = i.source();
        minRatings = i.minRatings();
        validNegative = i.validNegative();
        seed = i.seed();
        rawRows = i.rawRows();
        droppedUsers = i.droppedUsers();
        duplicatePairs = i.duplicatePairs();
        dataset = d;
    }

    static ShippedDataset of(NcfDataset d) { return new ShippedDataset(d); }

    /** The dataset (built once per JVM from the shipped fields). */
    synchronized NcfDataset dataset() {
        if (dataset == null)
            dataset = new NcfDataset(numUsers, numItems, trainUsers, trainItems, testItems,
                    new EvalCandidates(candidateUsers, candidateItems, negativesPerUser), new UserItemIndex(seenOffsets, seenItems),
                    IdVocabulary.of(userIds), IdVocabulary.of(itemIds),
                    new NcfDataset.DatasetInfo(source, minRatings, validNegative, seed, rawRows, droppedUsers, duplicatePairs));
        return dataset;
    }
}
