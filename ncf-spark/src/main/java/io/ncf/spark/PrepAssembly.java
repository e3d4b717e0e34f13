package io.ncf.spark;

import io.ncf.core.IdVocabulary;
import io.ncf.core.UserItemIndex;
import io.ncf.data.EvalCandidates;
import io.ncf.data.NcfDataset;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

import static org.apache.spark.sql.functions.col;

/**
 * {@link SparkPreparation.Prepared#toNcfDataset}: the distributed result placed into the driver's arrays. Rows
 * arrive in any order and go to the slot their dense ids name, so no global sort is needed; every slot must be
 * filled exactly once, which also checks that the distributed result is complete.
 */
final class PrepAssembly {

    private PrepAssembly() {}

    static NcfDataset collect(SparkPreparation.Prepared p, String source) {
        int users = p.numUsers();
        IdVocabulary userIds = vocabulary(p.users(), "user", users);
        IdVocabulary itemIds = vocabulary(p.items(), "item", p.numItems());
        int[][] train = trainPairs(p.train(), users);
        int[] testItems = testItems(p.test(), users);
        EvalCandidates candidates = candidates(p.negatives(), testItems, p.options().validNegative());
        UserItemIndex seen = seen(users, train[0], train[1], testItems);
        var o = p.options();
        NcfDataset.DatasetInfo info = new NcfDataset.DatasetInfo(source, o.minRatings(), o.validNegative(), o.seed(),
                p.rawRows(), Math.toIntExact(p.droppedUsers()), p.duplicates());
        return new NcfDataset(users, p.numItems(), train[0], train[1], testItems, candidates, seen, userIds, itemIds, info);
    }

    /** {@code (id, dense)} rows → the vocabulary, ids as Spark casts them to strings (for MovieLens: the file's text). */
    private static IdVocabulary vocabulary(Dataset<Row> ids, String dense, int size) {
        String[] out = new String[size];
        for (Row r : ids.select(col("id").cast("string"), col(dense)).collectAsList()) {
            int d = r.getInt(1);
            if (out[d] != null) throw incomplete(dense + " " + d + " has two ids");
            out[d] = r.getString(0);
        }
        for (int d = 0; d < size; d++) if (out[d] == null) throw incomplete(dense + " " + d + " has no id");
        return IdVocabulary.of(Arrays.asList(out));
    }

    /** {trainUsers, trainItems}: grouped by user (ascending), in time order within a user, as ncf prepare lays them out. */
    private static int[][] trainPairs(Dataset<Row> train, int users) {
        List<int[]> parts = packed(train.select("user", "item", "pos"));
        int n = 0;
        for (int[] part : parts) n = Math.addExact(n, part.length / 3);
        int[] offsets = new int[users + 1];
        for (int[] part : parts) for (int k = 0; k < part.length; k += 3) offsets[part[k] + 1]++;
        for (int u = 0; u < users; u++) offsets[u + 1] += offsets[u];
        int[] trainUsers = new int[n], trainItems = new int[n];
        Arrays.fill(trainItems, -1);
        for (int[] part : parts) {
            for (int k = 0; k < part.length; k += 3) {
                int u = part[k], pos = part[k + 2], at = offsets[u] + pos;
                if (pos < 0 || at >= offsets[u + 1] || trainItems[at] >= 0)
                    throw incomplete("user " + u + "'s training ranks are not 0.." + (offsets[u + 1] - offsets[u] - 1));
                trainItems[at] = part[k + 1];
            }
        }
        for (int u = 0; u < users; u++) Arrays.fill(trainUsers, offsets[u], offsets[u + 1], u);
        return new int[][]{trainUsers, trainItems};
    }

    private static int[] testItems(Dataset<Row> test, int users) {
        int[] out = new int[users];
        Arrays.fill(out, -1);
        for (int[] part : packed(test.select("user", "item"))) {
            for (int k = 0; k < part.length; k += 2) {
                int u = part[k];
                if (out[u] >= 0) throw incomplete("user " + u + " has two test items");
                out[u] = part[k + 1];
            }
        }
        for (int u = 0; u < users; u++) if (out[u] < 0) throw incomplete("user " + u + " has no test item");
        return out;
    }

    /** Row u: the test item, then the user's negatives in draw order (ncf prepare's {@link EvalCandidates} layout). */
    private static EvalCandidates candidates(Dataset<Row> negatives, int[] testItems, int perUser) {
        int users = testItems.length, width = 1 + perUser;
        int[] rowUsers = new int[users];
        int[] items = new int[Math.multiplyExact(users, width)];
        boolean[] filled = new boolean[users];
        // (user, negatives…) packs into exactly `width` ints per user, the row's layout in the candidates
        for (int[] part : packed(negatives.select("user", "items"))) {
            if (part.length % width != 0) throw incomplete("negatives of the wrong count");
            for (int k = 0; k < part.length; k += width) {
                int u = part[k];
                if (filled[u]) throw incomplete("user " + u + " has two rows of negatives");
                filled[u] = true;
                System.arraycopy(part, k + 1, items, u * width + 1, perUser);
            }
        }
        for (int u = 0; u < users; u++) {
            if (!filled[u]) throw incomplete("user " + u + " has no negatives");
            rowUsers[u] = u;
            items[u * width] = testItems[u];
        }
        return new EvalCandidates(rowUsers, items, perUser);
    }

    /**
     * The rows' int columns (array columns flattened in place), one int array per partition: one job, and compact
     * arrays rather than a Row object per training pair cross to the driver.
     */
    private static List<int[]> packed(Dataset<Row> rows) {
        return rows.javaRDD().mapPartitions(PrepAssembly::pack).collect();
    }

    private static Iterator<int[]> pack(Iterator<Row> rows) {
        IntBuffer out = new IntBuffer();
        while (rows.hasNext()) {
            Row r = rows.next();
            for (int f = 0; f < r.size(); f++) {
                if (r.get(f) instanceof Integer v) out.add(v);
                else for (int v : r.<Integer>getList(f)) out.add(v);
            }
        }
        return List.of(out.toArray()).iterator();
    }

    /** A growable int array. */
    private static final class IntBuffer {
        private int[] values = new int[1024];
        private int size;

        void add(int v) {
            if (size == values.length) values = Arrays.copyOf(values, Math.multiplyExact(size, 2));
            values[size++] = v;
        }

        int[] toArray() { return Arrays.copyOf(values, size); }
    }

    /** Everything each user interacted with: the training items and the test item. */
    private static UserItemIndex seen(int users, int[] trainUsers, int[] trainItems, int[] testItems) {
        int n = trainUsers.length;
        int[] u = Arrays.copyOf(trainUsers, n + users), i = Arrays.copyOf(trainItems, n + users);
        for (int k = 0; k < users; k++) {
            u[n + k] = k;
            i[n + k] = testItems[k];
        }
        return UserItemIndex.build(users, u, i, n + users);
    }

    /** The distributed result contradicts itself: a bug, or datasets changed after {@code prepare}. */
    private static IllegalStateException incomplete(String what) {
        return new IllegalStateException("prepared datasets are inconsistent: " + what);
    }
}
