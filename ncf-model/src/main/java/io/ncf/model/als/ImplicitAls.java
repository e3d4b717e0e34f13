package io.ncf.model.als;

import io.ncf.data.Progress;
import io.ncf.core.UserItemIndex;
import io.ncf.core.blas.Blas;
import io.ncf.core.blas.Workers;
import org.bytedeco.javacpp.FloatPointer;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Implicit-feedback alternating least squares (Hu, Koren &amp; Volinsky 2008) with exact (Cholesky) solves, as Spark
 * MLlib's {@code ALS} with {@code implicitPrefs = true} computes it, so the two can be compared at the same settings:
 * every observed (user, item) has preference 1 and confidence {@code 1 + alpha}, every other pair preference 0 and
 * confidence 1; user {@code u}'s factors solve {@code (YᵀY + alpha·Σ_{i∈I_u} y_i y_iᵀ + regParam·|I_u|·I) x_u
 * = (1 + alpha)·Σ_{i∈I_u} y_i} (MLlib scales the regularization by the row's count), then items alike from the users.
 * Factors start as random unit vectors, users are solved first. {@code YᵀY} and each row's {@code Σ y_i y_iᵀ} are
 * sgemm calls on the fused engine's BLAS binding ({@link Blas}); the k×k solves are Cholesky in double precision;
 * rows are split over a {@link Workers} pool.
 */
public final class ImplicitAls {

    /**
     * @param rank       factors per user and item
     * @param regParam   L2 strength, scaled by each row's number of interactions (MLlib's convention)
     * @param alpha      confidence of an observed pair is {@code 1 + alpha}
     * @param iterations alternations (one user pass and one item pass each)
     */
    public record Params(int rank, float regParam, float alpha, int iterations, long seed) {
        public Params {
            if (rank <= 0) throw new IllegalArgumentException("rank must be positive, got " + rank);
            if (!(regParam >= 0) || !Float.isFinite(regParam)) throw new IllegalArgumentException("regParam must be ≥ 0, got " + regParam);
            if (!(alpha >= 0) || !Float.isFinite(alpha)) throw new IllegalArgumentException("alpha must be ≥ 0, got " + alpha);
            if (iterations <= 0) throw new IllegalArgumentException("iterations must be positive, got " + iterations);
        }

        /** The best MLlib setting on ml-latest-small in our grid: rank 128, regParam 1, alpha 10, 15 iterations. */
        public static Params defaults(long seed) { return new Params(128, 1f, 10f, 15, seed); }
    }

    /** The {@link Progress} task name of the iterations. */
    public static final String PROGRESS_TASK = "als";

    private ImplicitAls() {}

    /**
     * Fits factors to the positives {@code (users[k], items[k])} for k in [0, users.length); a pair listed twice counts
     * once.
     */
    public static AlsModel train(int numUsers, int numItems, int[] users, int[] items, Params p, int threads, Progress progress) {
        Progress prog = Progress.orNone(progress);
        if (users.length != items.length) throw new IllegalArgumentException("users and items differ in length");
        for (int k = 0; k < users.length; k++)
            if (users[k] < 0 || users[k] >= numUsers || items[k] < 0 || items[k] >= numItems)
                throw new IllegalArgumentException("pair " + k + " (" + users[k] + ", " + items[k] + ") is outside " + numUsers + " users × " + numItems + " items");
        // rows' distinct columns, sorted: the interactions by user, and by item
        UserItemIndex byUser = UserItemIndex.build(numUsers, users, items, users.length), byItem = UserItemIndex.build(numItems, items, users, users.length);
        int k = p.rank();
        float[] x = randomUnitRows(numUsers, k, p.seed(), 1), y = randomUnitRows(numItems, k, p.seed(), 2);
        try (Workers workers = new Workers(Math.max(1, threads))) {
            for (int it = 1; it <= p.iterations(); it++) {
                solve(workers, byUser, y, numItems, x, p);
                solve(workers, byItem, x, numUsers, y, p);
                prog.update(PROGRESS_TASK, it, p.iterations());
            }
        }
        return new AlsModel(k, numUsers, numItems, x, y);
    }

    /** Solves every row of {@code out} against the fixed factors {@code fixed} ({@code fixedRows} rows). */
    private static void solve(Workers workers, UserItemIndex rows, float[] fixed, int fixedRows, float[] out, Params p) {
        int k = p.rank();
        float[] gram = gram(fixed, fixedRows, k);
        int longest = maxRowLength(rows);
        workers.run(rows.numUsers(), (w, from, to) -> {
            try (Scratch s = new Scratch(k, longest)) {
                for (int r = from; r < to; r++) solveRow(r, rows, fixed, gram, out, p, s);
            }
        });
    }

    /** YᵀY, k×k, by one sgemm. */
    private static float[] gram(float[] y, int n, int k) {
        float[] g = new float[k * k];
        try (FloatPointer a = new FloatPointer(y); FloatPointer c = new FloatPointer((long) k * k)) {
            Blas.sgemm(true, false, k, k, n, 1f, a, k, a, k, 0f, c, k);
            c.get(g);
        }
        return g;
    }

    private static void solveRow(int r, UserItemIndex rows, float[] fixed, float[] gram, float[] out, Params p, Scratch s) {
        int k = p.rank(), start = rows.start(r), n = rows.end(r) - start;
        if (n == 0) { // no interactions: the regularized solution of "prefers nothing" is the zero vector
            Arrays.fill(out, r * k, (r + 1) * k, 0f);
            return;
        }
        int[] cols = rows.itemsArray();
        double[] b = s.b;
        Arrays.fill(b, 0);
        for (int j = 0; j < n; j++) { // Y_r gathered straight into the native buffer sgemm reads
            int other = cols[start + j] * k;
            s.y.position((long) j * k).put(fixed, other, k);
            for (int f = 0; f < k; f++) b[f] += fixed[other + f];
        }
        s.y.position(0); // sgemm reads from the pointer's position
        for (int f = 0; f < k; f++) b[f] *= 1 + p.alpha();
        // A = alpha · Y_rᵀ Y_r + YᵀY, on the BLAS binding
        s.a.put(gram, 0, k * k);
        Blas.sgemm(true, false, k, k, n, p.alpha(), s.y, k, s.y, k, 1f, s.a, k);
        s.a.get(s.af, 0, k * k);
        double[] a = s.ad;
        double lambda = (double) p.regParam() * n;
        for (int i = 0; i < k * k; i++) a[i] = s.af[i];
        for (int i = 0; i < k; i++) a[i * k + i] += lambda;
        choleskySolve(a, b, k);
        for (int f = 0; f < k; f++) out[r * k + f] = (float) b[f];
    }

    /**
     * Solves {@code A x = b} in place ({@code b} becomes x) for symmetric positive definite A (row-major, k×k; its
     * lower triangle is overwritten by the Cholesky factor). A tiny diagonal boost keeps a semi-definite A (regParam 0,
     * rank above the data) solvable.
     */
    static void choleskySolve(double[] a, double[] b, int k) {
        for (int j = 0; j < k; j++) {
            int rj = j * k;
            double d = a[rj + j];
            for (int m = 0; m < j; m++) d -= a[rj + m] * a[rj + m];
            if (!(d > 1e-12)) d = 1e-12;
            double l = Math.sqrt(d);
            a[rj + j] = l;
            double inv = 1 / l;
            for (int i = j + 1; i < k; i++) {
                int ri = i * k;
                double v = a[ri + j];
                for (int m = 0; m < j; m++) v -= a[ri + m] * a[rj + m];
                a[ri + j] = v * inv;
            }
        }
        for (int i = 0; i < k; i++) { // L z = b
            int ri = i * k;
            double v = b[i];
            for (int m = 0; m < i; m++) v -= a[ri + m] * b[m];
            b[i] = v / a[ri + i];
        }
        for (int i = k - 1; i >= 0; i--) { // Lᵀ x = z
            double v = b[i];
            for (int m = i + 1; m < k; m++) v -= a[m * k + i] * b[m];
            b[i] = v / a[i * k + i];
        }
    }

    private static float[] randomUnitRows(int n, int k, long seed, long stream) {
        float[] m = new float[n * k];
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + stream);
        for (int i = 0; i < n; i++) {
            double norm = 0;
            for (int f = 0; f < k; f++) {
                double g = gaussian(r);
                m[i * k + f] = (float) g;
                norm += g * g;
            }
            float inv = (float) (1 / Math.sqrt(norm));
            for (int f = 0; f < k; f++) m[i * k + f] *= inv;
        }
        return m;
    }

    private static double gaussian(SplittableRandom r) { // Box-Muller
        double u = r.nextDouble(), v = r.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
    }

    /** Per-thread buffers for one row's solve. */
    private static final class Scratch implements AutoCloseable {
        final float[] af;
        final double[] ad, b;
        final FloatPointer y, a;

        Scratch(int k, int maxRows) {
            af = new float[k * k];
            ad = new double[k * k];
            b = new double[k];
            y = new FloatPointer((long) Math.max(1, maxRows) * k);
            a = new FloatPointer((long) k * k);
        }

        @Override public void close() {
            y.close();
            a.close();
        }
    }

    private static int maxRowLength(UserItemIndex rows) {
        int m = 0;
        for (int r = 0; r < rows.numUsers(); r++) m = Math.max(m, rows.count(r));
        return m;
    }
}
