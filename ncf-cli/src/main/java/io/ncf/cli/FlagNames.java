package io.ncf.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The command line's words for the libraries' parameter names: ncf-train and ncf-model name what they check
 * ({@code batchSize must be positive}), and only the CLI knows that the user typed {@code -b}. Camel-case names are
 * unambiguous and replaced wherever they stand; plain words ("epochs", "workers") only where a message names the
 * parameter ("workers must be ...", "seed: saved 7, given 8").
 */
final class FlagNames {

    private FlagNames() {}

    private static final Map<String, String> CAMEL = new LinkedHashMap<>();
    private static final Map<String, String> PLAIN = new LinkedHashMap<>();

    static {
        CAMEL.put("batchSize", "--batch-size");
        CAMEL.put("learningRate", "--learning-rate");
        CAMEL.put("lossScaleFloor", "--loss-scale-floor");
        CAMEL.put("lossScaleWindow", "--loss-scale-window");
        CAMEL.put("lossScaleInit", "--loss-scale-init");
        CAMEL.put("lossScale", "--loss-scale");
        CAMEL.put("microBatch", "--micro-batch");
        CAMEL.put("validUsersPerBatch", "--valid-users-per-batch");
        CAMEL.put("evalAfter", "--eval-after");
        CAMEL.put("topK", "--topk");
        CAMEL.put("verifyNegatives", "--no-neg-trick");
        PLAIN.put("epochs", "--epochs");
        PLAIN.put("negatives", "--negative-samples");
        PLAIN.put("beta1", "--beta1");
        PLAIN.put("beta2", "--beta2");
        PLAIN.put("eps", "--eps");
        PLAIN.put("target", "--target");
        PLAIN.put("workers", "--workers");
        PLAIN.put("seed", "--seed");
        PLAIN.put("factors", "--factors");
        PLAIN.put("layers", "--layers");
        PLAIN.put("dropout", "--dropout");
        PLAIN.put("fp16", "--fp16");
        PLAIN.put("engine", "--engine");
        PLAIN.put("model", "--model");
    }

    private static final Pattern CAMEL_WORDS = Pattern.compile("(?<![\\w-])(" + String.join("|", CAMEL.keySet()) + ")(?![\\w-])");
    private static final Pattern PLAIN_WORDS = Pattern.compile("(?<![\\w-])(" + String.join("|", PLAIN.keySet()) + ")(?=( must|: saved| is not divisible))");

    static String translate(String message) {
        if (message == null) return null;
        String s = replace(CAMEL_WORDS, message, CAMEL);
        return replace(PLAIN_WORDS, s, PLAIN);
    }

    private static String replace(Pattern p, String s, Map<String, String> words) {
        Matcher m = p.matcher(s);
        StringBuilder sb = new StringBuilder();
        while (m.find()) m.appendReplacement(sb, Matcher.quoteReplacement(words.get(m.group(1))));
        m.appendTail(sb);
        return sb.toString();
    }
}
