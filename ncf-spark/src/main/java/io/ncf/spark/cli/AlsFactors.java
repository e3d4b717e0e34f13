package io.ncf.spark.cli;

import io.ncf.core.Scorer;
import org.apache.spark.ml.recommendation.ALSModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

import java.util.Iterator;
import java.util.List;

/**
 * An MLlib {@link ALSModel}'s factors on the driver as an ncf {@link Scorer}: {@code score(u, i) = <x_u, y_i>}, the
 * prediction {@code ALSModel.transform} makes, so ALS goes through the very evaluators that rank NeuMF.
 *
 * <p>ALS knows only the ids it was trained on; a user or item of the split without a training pair (an item seen only
 * as a held-out item, say) gets zero factors and so scores 0 against everything, which is what ncf's own implicit
 * ALS solves for a row without interactions. Under the evaluators' pessimistic ties such a score never wins a tie.
 */
public final class AlsFactors implements Scorer {

    private final int rank;
    private final float[] users, items;

    private AlsFactors(int rank, float[] users, float[] items) {
        this.rank = rank;
        this.users = users;
        this.items = items;
    }

    /** Collects the factors of a model fitted on dense ids ({@code [0, numUsers)}, {@code [0, numItems)}). */
    public static AlsFactors collect(ALSModel model, int numUsers, int numItems) {
        int rank = model.rank();
        return new AlsFactors(rank, dense(model.userFactors(), numUsers, rank, "user"), dense(model.itemFactors(), numItems, rank, "item"));
    }

    /** {@code (id int, features array<float>)} rows into a row-major table; streamed, a partition at a time. */
    private static float[] dense(Dataset<Row> factors, int rows, int rank, String what) {
        float[] table = new float[Math.multiplyExact(rows, rank)];
        for (Iterator<Row> it = factors.toLocalIterator(); it.hasNext(); ) {
            Row r = it.next();
            int id = r.getInt(0);
            if (id < 0 || id >= rows) throw new IllegalStateException("ALS returned " + what + " id " + id + " outside [0, " + rows + ")");
            List<Float> f = r.getList(1);
            for (int k = 0; k < rank; k++) table[id * rank + k] = f.get(k);
        }
        return table;
    }

    public int rank() { return rank; }

    @Override public void score(int[] u, int[] i, int count, float[] out) {
        for (int p = 0; p < count; p++) {
            int a = u[p] * rank, b = i[p] * rank;
            float s = 0;
            for (int k = 0; k < rank; k++) s += users[a + k] * items[b + k];
            out[p] = s;
        }
    }
}
