package io.ncf.train;

import io.ncf.model.ModelKind;
import io.ncf.core.NeuMFConfig;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What to train, as one value: model variant and shape, epochs, batch, negatives, Adam and regularization. A tuner
 * writes one ({@link #write}); {@code ncf train --recipe FILE} trains with it. The file is {@code key = value} lines
 * ({@code #} comments), keys as in the JSON training log; a key left out keeps the value of {@link #seed()}.
 *
 * @param epochs how many epochs to train (a tuned recipe: the epoch where validation HR peaked, plus one)
 * @param start  where the parameters start: random, or the GMF branch from implicit ALS ({@link Start})
 */
public record Recipe(ModelKind model, int factors, int[] layers, float dropout, int epochs, int batchSize, int negatives,
                     float learningRate, float beta1, float beta2, float embeddingL2, float weightL2, Optimizer optimizer, Start start) {

    /** Names of the built-in recipes {@link #builtIn} knows. */
    public static final List<String> BUILT_IN = List.of("seed");

    public Recipe {
        layers = layers.clone();
        if (factors <= 0) throw new IllegalArgumentException("factors must be positive, got " + factors);
        if (layers.length < 2) throw new IllegalArgumentException("layers needs the embedding width and at least one dense layer, got " + Arrays.toString(layers));
        if (layers[0] % 2 != 0) throw new IllegalArgumentException("layers[0] (user + item MLP embedding width) must be even, got " + layers[0]);
        for (int l : layers) if (l <= 0) throw new IllegalArgumentException("layer sizes must be positive, got " + Arrays.toString(layers));
        if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
        // the rest is checked where it is used, by TrainingOptions
        java.util.Objects.requireNonNull(optimizer, "optimizer");
        java.util.Objects.requireNonNull(start, "start").requireFits(model);
        new TrainingOptions(epochs, batchSize, negatives, learningRate, beta1, beta2, 1e-8f, 10, 1, 0, 0, false, 0, 1, embeddingL2, weightL2, optimizer);
    }

    /** A recipe stepping with Adam from a random start. */
    public Recipe(ModelKind model, int factors, int[] layers, float dropout, int epochs, int batchSize, int negatives,
                  float learningRate, float beta1, float beta2, float embeddingL2, float weightL2) {
        this(model, factors, layers, dropout, epochs, batchSize, negatives, learningRate, beta1, beta2, embeddingL2, weightL2, Optimizer.ADAM, Start.random());
    }

    /** This recipe from another start. */
    public Recipe withStart(Start s) {
        return new Recipe(model, factors, layers, dropout, epochs, batchSize, negatives, learningRate, beta1, beta2, embeddingL2, weightL2, optimizer, s);
    }

    @Override public int[] layers() { return layers.clone(); }

    /** NVIDIA's NCF recipe for ml-20m (the seed's defaults): batch 1,048,576, Adam 0.0045 with β 0.25/0.5, 30 epochs. */
    public static Recipe seed() {
        TrainingOptions d = TrainingOptions.defaults();
        return new Recipe(ModelKind.NEUMF, 64, new int[]{256, 256, 128, 64}, 0.5f, d.epochs(), d.batchSize(), d.negatives(),
                d.learningRate(), d.beta1(), d.beta2(), 0f, 0f);
    }

    /** A built-in recipe by name ({@link #BUILT_IN}), or empty. */
    public static java.util.Optional<Recipe> builtIn(String name) {
        return "seed".equalsIgnoreCase(name) ? java.util.Optional.of(seed()) : java.util.Optional.empty();
    }

    /** The model shape for a dataset. */
    public NeuMFConfig config(int numUsers, int numItems) { return new NeuMFConfig(numUsers, numItems, factors, layers, dropout); }

    /** {@code base} with this recipe's epochs, batch, negatives, Adam and regularization (the rest is kept). */
    public TrainingOptions apply(TrainingOptions base) {
        return new TrainingOptions(epochs, batchSize, negatives, learningRate, beta1, beta2, base.eps(), base.topK(), base.validUsersPerBatch(),
                base.evalAfter(), base.target(), base.verifyNegatives(), base.seed(), base.microBatch(), embeddingL2, weightL2, optimizer);
    }

    public Recipe withEpochs(int e) {
        return new Recipe(model, factors, layers, dropout, e, batchSize, negatives, learningRate, beta1, beta2, embeddingL2, weightL2, optimizer, start);
    }

    /** The recipe as {@code key → value} in file order (the JSON log's parameter names). */
    public Map<String, String> toMap() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("model", model.id());
        m.put("factors", Integer.toString(factors));
        m.put("layers", String.join(" ", Arrays.stream(layers).mapToObj(Integer::toString).toList()));
        m.put("dropout", num(dropout));
        m.put("epochs", Integer.toString(epochs));
        m.put("batch_size", Integer.toString(batchSize));
        m.put("negative_samples", Integer.toString(negatives));
        m.put("optimizer", optimizer.id());
        m.put("learning_rate", num(learningRate));
        m.put("beta1", num(beta1));
        m.put("beta2", num(beta2));
        m.put("l2_embedding", num(embeddingL2));
        m.put("l2_weights", num(weightL2));
        m.put("start", start.kind().id());
        m.put("als_reg", num(start.alsReg()));
        m.put("als_alpha", num(start.alsAlpha()));
        return m;
    }

    /** One line: {@code key=value key=value ...}. */
    public String describe() {
        StringBuilder b = new StringBuilder();
        toMap().forEach((k, v) -> b.append(b.length() == 0 ? "" : " ").append(k).append('=').append(v.replace(' ', ',')));
        return b.toString();
    }

    /** Writes the recipe file whole or not at all (as model files are), {@code comments} first (each as a {@code #} line). */
    public void write(Path file, List<String> comments) throws IOException {
        StringBuilder b = new StringBuilder();
        for (String c : comments) b.append("# ").append(c).append('\n');
        toMap().forEach((k, v) -> b.append(k).append(" = ").append(v).append('\n'));
        java.nio.ByteBuffer bytes = StandardCharsets.UTF_8.encode(b.toString());
        io.ncf.core.AtomicFiles.write(file, ch -> {
            while (bytes.hasRemaining()) ch.write(bytes);
        });
    }

    /**
     * Reads a recipe file; keys left out keep {@link #seed()}'s values.
     *
     * @throws RecipeException naming the file, line and key of what is wrong
     */
    public static Recipe read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new RecipeException("cannot read recipe " + file + ": " + e.getMessage());
        }
        Map<String, String> m = seed().toMap();
        Map<String, Integer> lineOf = new LinkedHashMap<>();
        for (int n = 0; n < lines.size(); n++) {
            String l = lines.get(n).strip();
            if (l.isEmpty() || l.startsWith("#")) continue;
            int eq = l.indexOf('=');
            if (eq < 0) throw new RecipeException(file + " line " + (n + 1) + ": expected 'key = value', got '" + l + "'");
            String k = l.substring(0, eq).strip().toLowerCase(Locale.ROOT), v = l.substring(eq + 1).strip();
            if (!m.containsKey(k)) throw new RecipeException(file + " line " + (n + 1) + ": unknown key '" + k + "' (expected one of " + String.join(", ", m.keySet()) + ")");
            if (lineOf.containsKey(k)) throw new RecipeException(file + " line " + (n + 1) + ": key '" + k + "' was already given on line " + lineOf.get(k));
            m.put(k, v);
            lineOf.put(k, n + 1);
        }
        java.util.function.Function<String, String> where = k -> file + (lineOf.containsKey(k) ? " line " + lineOf.get(k) : "") + ", key '" + k + "'";
        try {
            ModelKind kind;
            try {
                kind = ModelKind.parse(m.get("model"));
            } catch (IllegalArgumentException e) {
                throw new RecipeException(where.apply("model") + ": " + e.getMessage());
            }
            return new Recipe(kind, integer(m, "factors", where), layers(m, where), floating(m, "dropout", where), integer(m, "epochs", where),
                    integer(m, "batch_size", where), integer(m, "negative_samples", where), floating(m, "learning_rate", where),
                    floating(m, "beta1", where), floating(m, "beta2", where), floating(m, "l2_embedding", where), floating(m, "l2_weights", where),
                    optimizer(m, where), start(m, where));
        } catch (IllegalArgumentException e) {
            if (e instanceof RecipeException) throw e;
            throw new RecipeException(file + ": " + e.getMessage());
        }
    }

    /** A recipe file that cannot be used; the message names the file, line and key. */
    public static final class RecipeException extends IllegalArgumentException {
        public RecipeException(String message) { super(message); }
    }

    private static Start start(Map<String, String> m, java.util.function.Function<String, String> where) {
        Start.Kind k;
        try {
            k = Start.Kind.parse(m.get("start"));
        } catch (IllegalArgumentException e) {
            throw new RecipeException(where.apply("start") + ": " + e.getMessage());
        }
        float reg = floating(m, "als_reg", where), alpha = floating(m, "als_alpha", where);
        try {
            return new Start(k, reg, alpha, Start.DEFAULT_ALS_ITERATIONS);
        } catch (IllegalArgumentException e) {
            throw new RecipeException(where.apply(e.getMessage().startsWith("alpha") ? "als_alpha" : "als_reg") + ": " + e.getMessage());
        }
    }

    private static Optimizer optimizer(Map<String, String> m, java.util.function.Function<String, String> where) {
        try {
            return Optimizer.parse(m.get("optimizer"));
        } catch (IllegalArgumentException e) {
            throw new RecipeException(where.apply("optimizer") + ": " + e.getMessage());
        }
    }

    private static int integer(Map<String, String> m, String k, java.util.function.Function<String, String> where) {
        try {
            return Integer.parseInt(m.get(k));
        } catch (NumberFormatException e) {
            throw new RecipeException(where.apply(k) + ": '" + m.get(k) + "' is not an integer");
        }
    }

    private static float floating(Map<String, String> m, String k, java.util.function.Function<String, String> where) {
        try {
            float f = Float.parseFloat(m.get(k));
            if (!Float.isFinite(f)) throw new NumberFormatException();
            return f;
        } catch (NumberFormatException e) {
            throw new RecipeException(where.apply(k) + ": '" + m.get(k) + "' is not a finite number");
        }
    }

    private static int[] layers(Map<String, String> m, java.util.function.Function<String, String> where) {
        String[] parts = m.get("layers").trim().split("[\\s,]+");
        int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                throw new RecipeException(where.apply("layers") + ": '" + m.get("layers") + "' is not a list of integers");
            }
        }
        return out;
    }

    static String num(float v) {
        // shortest decimal that reads back to the same float
        String s = Float.toString(v);
        return s.endsWith(".0") ? s.substring(0, s.length() - 2) : s;
    }

    @Override public boolean equals(Object o) {
        return o instanceof Recipe r && toMap().equals(r.toMap());
    }

    @Override public int hashCode() { return toMap().hashCode(); }

    @Override public String toString() { return "Recipe[" + describe() + "]"; }
}
