package io.ncf.train;

/**
 * The seed's training flags, with its defaults (tuned for ml-20m).
 *
 * @param evalAfter  evaluate only from this 0-based epoch on (the seed's {@code --eval-after})
 * @param target     HR@K to reach; the first epoch reaching it is recorded
 * @param verifyNegatives  {@code --no-neg-trick}: redraw training negatives that are in fact positives
 * @param microBatch samples per forward/backward call; gradients of a global batch are accumulated over them
 * @param embeddingL2 L2 regularization of the user and item embedding rows a step trains, as decoupled weight decay
 *                    (AdamW): each step shrinks those rows by {@code 1 − learningRate·embeddingL2} (0: none)
 * @param weightL2    the same for the dense layers' and the final layer's weights, every step (biases are not decayed)
 * @param optimizer   Adam (the seed's) or plain SGD (the paper's fine-tuning of a pre-trained NeuMF)
 *
 * <p>Serializable because a distributed trainer ships the options to the machines that run its steps.
 */
public record TrainingOptions(int epochs, int batchSize, int negatives, float learningRate, float beta1, float beta2,
                              float eps, int topK, int validUsersPerBatch, int evalAfter, double target,
                              boolean verifyNegatives, long seed, int microBatch, float embeddingL2, float weightL2,
                              Optimizer optimizer) implements java.io.Serializable {

    /** Options without regularization (the seed's recipe has none). */
    public TrainingOptions(int epochs, int batchSize, int negatives, float learningRate, float beta1, float beta2,
                           float eps, int topK, int validUsersPerBatch, int evalAfter, double target,
                           boolean verifyNegatives, long seed, int microBatch) {
        this(epochs, batchSize, negatives, learningRate, beta1, beta2, eps, topK, validUsersPerBatch, evalAfter, target,
                verifyNegatives, seed, microBatch, 0f, 0f, Optimizer.ADAM);
    }

    /** Options with Adam. */
    public TrainingOptions(int epochs, int batchSize, int negatives, float learningRate, float beta1, float beta2,
                           float eps, int topK, int validUsersPerBatch, int evalAfter, double target,
                           boolean verifyNegatives, long seed, int microBatch, float embeddingL2, float weightL2) {
        this(epochs, batchSize, negatives, learningRate, beta1, beta2, eps, topK, validUsersPerBatch, evalAfter, target,
                verifyNegatives, seed, microBatch, embeddingL2, weightL2, Optimizer.ADAM);
    }

    public static final int DEFAULT_EPOCHS = 30;
    public static final int DEFAULT_BATCH = 1_048_576;

    public static TrainingOptions defaults() {
        return new TrainingOptions(DEFAULT_EPOCHS, DEFAULT_BATCH, 4, 0.0045f, 0.25f, 0.5f, 1e-8f, 10, 1_048_576, 8, 0.9562,
                false, 0, 65_536);
    }

    public TrainingOptions {
        if (epochs <= 0) throw new IllegalArgumentException("epochs must be positive, got " + epochs);
        if (batchSize <= 0) throw new IllegalArgumentException("batchSize must be positive, got " + batchSize);
        if (negatives <= 0) throw new IllegalArgumentException("negatives must be positive, got " + negatives);
        if (!(learningRate > 0) || !Float.isFinite(learningRate)) throw new IllegalArgumentException("learningRate must be positive, got " + learningRate);
        if (!(beta1 >= 0 && beta1 < 1)) throw new IllegalArgumentException("beta1 must be in [0, 1), got " + beta1);
        if (!(beta2 >= 0 && beta2 < 1)) throw new IllegalArgumentException("beta2 must be in [0, 1), got " + beta2);
        if (!(eps > 0)) throw new IllegalArgumentException("eps must be positive, got " + eps);
        if (topK <= 0) throw new IllegalArgumentException("topK must be positive, got " + topK);
        if (validUsersPerBatch <= 0) throw new IllegalArgumentException("validUsersPerBatch must be positive, got " + validUsersPerBatch);
        if (evalAfter < 0) throw new IllegalArgumentException("evalAfter must be ≥ 0, got " + evalAfter);
        if (!(target >= 0 && target <= 1)) throw new IllegalArgumentException("target must be in [0, 1], got " + target);
        if (microBatch <= 0) throw new IllegalArgumentException("microBatch must be positive, got " + microBatch);
        if (!(embeddingL2 >= 0) || !Float.isFinite(embeddingL2)) throw new IllegalArgumentException("embeddingL2 must be ≥ 0, got " + embeddingL2);
        if (!(weightL2 >= 0) || !Float.isFinite(weightL2)) throw new IllegalArgumentException("weightL2 must be ≥ 0, got " + weightL2);
        java.util.Objects.requireNonNull(optimizer, "optimizer");
    }

    /** Whether either L2 term is on. */
    public boolean regularized() { return embeddingL2 > 0 || weightL2 > 0; }

    public TrainingOptions withOptimizer(Optimizer o) {
        return new TrainingOptions(epochs, batchSize, negatives, learningRate, beta1, beta2, eps, topK, validUsersPerBatch, evalAfter,
                target, verifyNegatives, seed, microBatch, embeddingL2, weightL2, o);
    }

    public TrainingOptions withL2(float embedding, float weights) {
        return new TrainingOptions(epochs, batchSize, negatives, learningRate, beta1, beta2, eps, topK, validUsersPerBatch, evalAfter,
                target, verifyNegatives, seed, microBatch, embedding, weights, optimizer);
    }

    /** Adam's hyper-parameters of these options (the one Adam configuration every engine reads). */
    public AdamConfig adam() { return new AdamConfig(learningRate, beta1, beta2, eps); }

    public TrainingOptions withEpochs(int e) {
        return new TrainingOptions(e, batchSize, negatives, learningRate, beta1, beta2, eps, topK, validUsersPerBatch, evalAfter,
                target, verifyNegatives, seed, microBatch, embeddingL2, weightL2, optimizer);
    }

    public TrainingOptions withBatch(int b) {
        return new TrainingOptions(epochs, b, negatives, learningRate, beta1, beta2, eps, topK, validUsersPerBatch, evalAfter,
                target, verifyNegatives, seed, microBatch, embeddingL2, weightL2, optimizer);
    }

    public TrainingOptions withEvalAfter(int e) {
        return new TrainingOptions(epochs, batchSize, negatives, learningRate, beta1, beta2, eps, topK, validUsersPerBatch, e,
                target, verifyNegatives, seed, microBatch, embeddingL2, weightL2, optimizer);
    }

    public TrainingOptions withSeed(long s) {
        return new TrainingOptions(epochs, batchSize, negatives, learningRate, beta1, beta2, eps, topK, validUsersPerBatch, evalAfter,
                target, verifyNegatives, s, microBatch, embeddingL2, weightL2, optimizer);
    }
}
