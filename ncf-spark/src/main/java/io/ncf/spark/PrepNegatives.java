package io.ncf.spark;

import io.ncf.data.Preprocessor;

import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

import scala.collection.immutable.ArraySeq;

import java.util.Arrays;
import java.util.List;

/**
 * On the executors: {@code (user, seen items)} → {@code (user, evaluation negatives)}, drawn by ncf prepare's own
 * {@link Preprocessor#sampleNegatives} from the user's {@code (seed, user)} stream, so that the candidates equal
 * ncf prepare's whatever the partitioning.
 */
final class PrepNegatives implements MapFunction<Row, Row> {
    private static final long serialVersionUID = 1L;

    private final long seed;
    private final int numItems;
    private final int count;

    PrepNegatives(long seed, int numItems, int count) {
        this.seed = seed;
        this.numItems = numItems;
        this.count = count;
    }

    @Override public Row call(Row r) {
        int user = r.getInt(0);
        List<Integer> seenList = r.getList(1);
        int[] seen = new int[seenList.size()];
        for (int k = 0; k < seen.length; k++) seen[k] = seenList.get(k);
        Arrays.sort(seen); // the draw looks items up by binary search
        int[] out = new int[count];
        Preprocessor.sampleNegatives(seed, user, seen, 0, seen.length, numItems, out, 0, count);
        return RowFactory.create(user, out.clone());
    }
}
