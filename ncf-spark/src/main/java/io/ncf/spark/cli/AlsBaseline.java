package io.ncf.spark.cli;

import io.ncf.spark.SparkPreparation;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.recommendation.ALS;
import org.apache.spark.ml.recommendation.ALSModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

/**
 * Spark MLlib's implicit ALS ({@code ALS(implicitPrefs = true)}, Hu, Koren &amp; Volinsky 2008) fitted on training pairs
 * with dense ids, in compare those of the {@link SparkPreparation} split NeuMF trains on: every pair has rating 1, so
 * the confidence of an observed pair is {@code 1 + alpha}, as in the grid. Each fit's factors come to the
 * driver ({@link AlsFactors}) to be ranked by ncf-eval, the code that ranks NeuMF.
 */
public final class AlsBaseline {

    /** One point of the grid: MLlib's {@code rank}, {@code regParam} and {@code alpha}. */
    public record Point(int rank, double regParam, double alpha) {
        /** {@code rank 64, regParam 1, alpha 10}: numbers as typed, without trailing zeros. */
        public String describe() { return "rank " + rank + ", regParam " + plain(regParam) + ", alpha " + plain(alpha); }

        /** Every combination, ranks outermost, in the order given. */
        public static List<Point> grid(List<Integer> ranks, List<Double> regParams, List<Double> alphas) {
            List<Point> g = new ArrayList<>();
            for (int r : ranks) for (double l : regParams) for (double a : alphas) g.add(new Point(r, l, a));
            return g;
        }
    }

    private final Dataset<Row> ratings;
    private final int numUsers, numItems, iterations;
    private final long seed;

    /**
     * @param pairs      the training pairs, dense ids: {@code user int} in {@code [0, numUsers)}, {@code item int} in
     *                   {@code [0, numItems)} (other columns are ignored)
     * @param iterations MLlib's {@code maxIter}
     * @param seed       MLlib's {@code seed} (initial factors)
     */
    public AlsBaseline(Dataset<Row> pairs, int numUsers, int numItems, int iterations, long seed) {
        this.ratings = pairs.select(col("user"), col("item"), lit(1.0f).as("rating"));
        this.numUsers = numUsers;
        this.numItems = numItems;
        this.iterations = iterations;
        this.seed = seed;
    }

    /** On a prepared split's training pairs (which stay cached while this is used). */
    public static AlsBaseline on(SparkPreparation.Prepared prepared, int iterations, long seed) {
        return new AlsBaseline(prepared.train(), prepared.numUsers(), prepared.numItems(), iterations, seed);
    }

    /** MLlib's estimator at {@code p}. */
    public ALS estimator(Point p) {
        return new ALS().setImplicitPrefs(true).setRank(p.rank()).setRegParam(p.regParam()).setAlpha(p.alpha())
                .setMaxIter(iterations).setSeed(seed).setUserCol("user").setItemCol("item").setRatingCol("rating");
    }

    /** Fits {@code p} and collects its factors; close the result to release what ALS left cached. */
    public Fitted fit(Point p) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(ratings.sparkSession().sparkContext());
        Set<Integer> cachedBefore = new HashSet<>(jsc.getPersistentRDDs().keySet());
        long t0 = System.nanoTime();
        ALSModel model = estimator(p).fit(ratings); // MLlib materializes both factor RDDs before it returns
        double seconds = (System.nanoTime() - t0) / 1e9;
        Set<Integer> cachedByFit = new HashSet<>(jsc.getPersistentRDDs().keySet());
        cachedByFit.removeAll(cachedBefore);
        return new Fitted(p, model, AlsFactors.collect(model, numUsers, numItems), seconds, jsc, cachedByFit);
    }

    /**
     * A fitted grid point: MLlib's model, its factors on the driver and the fit's wall time. Closing it unpersists
     * the RDDs the fit cached (the final factors; MLlib's model keeps them cached for its lifetime), so a grid does
     * not pile up cached factors; the model must not be used after that.
     */
    public static final class Fitted implements AutoCloseable {
        private final Point point;
        private final ALSModel model;
        private final AlsFactors factors;
        private final double seconds;
        private final JavaSparkContext jsc;
        private final Set<Integer> cachedByFit;

        Fitted(Point point, ALSModel model, AlsFactors factors, double seconds, JavaSparkContext jsc, Set<Integer> cachedByFit) {
            this.point = point;
            this.model = model;
            this.factors = factors;
            this.seconds = seconds;
            this.jsc = jsc;
            this.cachedByFit = cachedByFit;
        }

        public Point point() { return point; }

        public ALSModel model() { return model; }

        public AlsFactors factors() { return factors; }

        /** Wall time of MLlib's {@code fit}. */
        public double seconds() { return seconds; }

        @Override public void close() {
            var persistent = jsc.getPersistentRDDs();
            for (int id : cachedByFit) {
                var rdd = persistent.get(id);
                if (rdd != null) rdd.unpersist(false);
            }
        }
    }

    /** A number without trailing zeros or exponent: 1, 0.1, 40. */
    static String plain(double v) { return new BigDecimal(Double.toString(v)).stripTrailingZeros().toPlainString(); }
}
