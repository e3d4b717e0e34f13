package io.ncf.spark;

import io.ncf.core.Scorer;
import io.ncf.core.UserItemIndex;
import io.ncf.core.rank.RowRanker;
import io.ncf.data.EvalCandidates;
import io.ncf.data.Progress;
import io.ncf.eval.EvalResult;
import io.ncf.eval.Evaluator;
import io.ncf.eval.FullRankingEvaluator;
import io.ncf.eval.RankingReport;
import io.ncf.serve.Recommender;
import org.apache.spark.sql.Row;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/**
 * One partition's share of {@link NcfModel#evaluate}: its held-out rows ranked with ncf-eval's evaluators over the
 * executor's {@link Recommender} (the kernel of {@code ncf recommend}), returned as sums the driver adds up.
 * Layout of the sums: users, skipped, sampled users, sampled hits, sampled NDCG sum, full hits, full NDCG sum.
 */
final class ExecutorRanking {

    static final int SUMS = 7;

    private ExecutorRanking() {}

    static double[] rank(Recommender rec, Iterator<Row> rows, boolean sampled, int k) {
        int numUsers = rec.artifact().config().numUsers(), numItems = rec.artifact().config().numItems();
        List<int[]> kept = new ArrayList<>(); // {user, held-out item, negatives...}
        long skipped = 0;
        int width = -1;
        while (rows.hasNext()) {
            Row r = rows.next();
            int u = r.isNullAt(0) ? -1 : rec.userIndex(NcfSchemas.idString(r.get(0)));
            int t = r.isNullAt(1) ? -1 : rec.itemIndex(NcfSchemas.idString(r.get(1)));
            if (u < 0 || t < 0) {
                skipped++;
                continue;
            }
            int[] row;
            if (sampled) {
                List<Object> negs = r.isNullAt(2) ? List.of() : r.getList(2);
                if (width < 0) width = negs.size();
                if (negs.size() != width)
                    throw new IllegalArgumentException("user " + r.get(0) + " has " + negs.size() + " evaluation negatives, another user " + width
                            + ": the sampled protocol ranks every held-out item among as many negatives");
                row = new int[2 + width];
                for (int j = 0; j < width; j++) {
                    int item = negs.get(j) == null ? -1 : rec.itemIndex(NcfSchemas.idString(negs.get(j)));
                    if (item < 0) throw new IllegalArgumentException("user " + r.get(0) + ": evaluation negative " + negs.get(j) + " is not an item of the model");
                    row[2 + j] = item;
                }
            } else {
                row = new int[2];
            }
            row[0] = u;
            row[1] = t;
            kept.add(row);
        }
        double[] sums = new double[SUMS];
        sums[0] = kept.size();
        sums[1] = skipped;
        if (kept.isEmpty()) return sums;

        if (sampled) {
            int w = 1 + width;
            int[] users = new int[kept.size()], items = new int[kept.size() * w];
            for (int i = 0; i < kept.size(); i++) {
                int[] row = kept.get(i);
                users[i] = row[0];
                System.arraycopy(row, 1, items, i * w, w); // the held-out item first, then its negatives
            }
            EvalResult e = new Evaluator(new EvalCandidates(users, items, width), numItems, k, 1 << 20).evaluate(scorer(rec), Progress.NONE);
            sums[2] = e.users();
            sums[3] = Math.rint(e.hitRate() * e.users());
            sums[4] = e.ndcg() * e.users();
        }

        // full: every item the user has not interacted with, except that the held-out item itself is ranked
        int[] testItems = new int[numUsers];
        Arrays.fill(testItems, -1);
        for (int[] row : kept) {
            if (testItems[row[0]] >= 0) throw new IllegalArgumentException("user " + rec.allUsers().get(row[0]) + " has more than one held-out row");
            testItems[row[0]] = row[1];
        }
        UserItemIndex seen = rec.artifact().seen();
        int total = 0;
        for (int[] row : kept) total += seen.count(row[0]);
        int[] offsets = new int[numUsers + 1], excluded = new int[total];
        int w = 0;
        for (int u = 0; u < numUsers; u++) {
            offsets[u] = w;
            if (testItems[u] < 0) continue;
            for (int p = seen.start(u); p < seen.end(u); p++) if (seen.itemsArray()[p] != testItems[u]) excluded[w++] = seen.itemsArray()[p];
        }
        offsets[numUsers] = w;
        UserItemIndex train = new UserItemIndex(offsets, Arrays.copyOf(excluded, w));
        RankingReport full = new FullRankingEvaluator(numItems, train, testItems, new int[]{k}, 256)
                .evaluate(new RowRanker(rec.scorer()), Progress.NONE);
        for (int rank : full.ranks()) {
            if (rank < k) {
                sums[5] += 1;
                sums[6] += 1.0 / (Math.log(rank + 2) / Math.log(2));
            }
        }
        return sums;
    }

    /** The Recommender as an int-indexed {@link Scorer} (the sampled evaluator's input). */
    private static Scorer scorer(Recommender rec) {
        return (users, items, count, out) -> {
            float[] s = rec.scoreBatch(count == users.length ? users : Arrays.copyOf(users, count),
                    count == items.length ? items : Arrays.copyOf(items, count));
            System.arraycopy(s, 0, out, 0, count);
        };
    }
}
