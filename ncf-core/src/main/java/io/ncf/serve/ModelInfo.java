package io.ncf.serve;

import io.ncf.core.NeuMFConfig;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;

/**
 * What a model artifact says about itself, typed. Values the artifact does not record (artifacts written before a
 * key existed) are {@code null}, {@code -1} or {@code NaN} as documented per component.
 *
 * @param formatVersion  the artifact format's version ({@link ModelArtifact#VERSION})
 * @param modelKind      "neumf", "gmf" or "mlp"
 * @param numUsers       users the model knows
 * @param numItems       items it ranks
 * @param factors        GMF embedding size
 * @param layers         MLP layer widths, input first (the MLP embedding is half the first)
 * @param dataset        where the training data came from (a path or a data set name); null if not recorded
 * @param trainedEpochs  epochs the saved parameters were trained for; -1 if not recorded
 * @param hitRate        HR@{@code topK} measured when the parameters were saved (the best epoch's); NaN if not recorded
 * @param ndcg           NDCG@{@code topK} at the same time; NaN if not recorded
 * @param topK           the K of those metrics; -1 if not recorded
 * @param seed           the training seed; -1 if not recorded
 * @param createdAt      when the artifact was written; null if not recorded
 * @param properties     every metadata entry as written, for keys this type does not know
 */
public record ModelInfo(int formatVersion, String modelKind, int numUsers, int numItems, int factors, List<Integer> layers,
                        String dataset, int trainedEpochs, double hitRate, double ndcg, int topK, long seed, Instant createdAt,
                        Map<String, String> properties) {

    /** The metadata key of {@link #createdAt} (an ISO-8601 instant). */
    public static final String CREATED = "created";

    public ModelInfo {
        layers = List.copyOf(layers);
        properties = Map.copyOf(properties);
    }

    /** The typed view of an artifact's config and metadata. */
    public static ModelInfo of(ModelArtifact a) {
        NeuMFConfig c = a.config();
        Map<String, String> m = a.metadata();
        int epoch = integer(m, "epoch", -2);
        Instant created = null;
        if (m.containsKey(CREATED)) {
            try {
                created = Instant.parse(m.get(CREATED));
            } catch (DateTimeParseException ignored) { // a hand-edited value: keep it only in properties
            }
        }
        return new ModelInfo(ModelArtifact.VERSION, m.getOrDefault("model", "neumf"), c.numUsers(), c.numItems(), c.factors(),
                java.util.Arrays.stream(c.layers()).boxed().toList(), m.get("data"), epoch + 1, real(m, "hr"), real(m, "ndcg"),
                integer(m, "topk", -1), seed(m), created, m);
    }

    private static int integer(Map<String, String> m, String key, int absent) {
        try {
            return m.containsKey(key) ? Integer.parseInt(m.get(key).trim()) : absent;
        } catch (NumberFormatException e) {
            return absent;
        }
    }

    private static long seed(Map<String, String> m) {
        try {
            return m.containsKey("seed") ? Long.parseLong(m.get("seed").trim()) : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static double real(Map<String, String> m, String key) {
        try {
            return m.containsKey(key) ? Double.parseDouble(m.get(key).trim()) : Double.NaN;
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }
}
