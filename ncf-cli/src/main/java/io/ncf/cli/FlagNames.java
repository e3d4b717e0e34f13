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

    /** Every library parameter name and the flag a user types for it: the one table of the command line. */
    private static final Map<String, String> FLAGS = new LinkedHashMap<>();

    static {
        FLAGS.put("epochs", "--epochs");
        FLAGS.put("batchSize", "--batch-size");
        FLAGS.put("learningRate", "--learning-rate");
        FLAGS.put("seed", "--seed");
        FLAGS.put("negatives", "--negative-samples");
        FLAGS.put("dropout", "--dropout");
        FLAGS.put("embeddingL2", "--l2-embedding");
        FLAGS.put("weightL2", "--l2-weights");
        FLAGS.put("optimizer", "--optimizer");
        FLAGS.put("model", "--model");
        FLAGS.put("factors", "--factors");
        FLAGS.put("layers", "--layers");
        FLAGS.put("fp16", "--fp16");
        FLAGS.put("lossScaleFloor", "--loss-scale-floor");
        FLAGS.put("lossScaleWindow", "--loss-scale-window");
        FLAGS.put("lossScaleInit", "--loss-scale-init");
        FLAGS.put("lossScale", "--loss-scale");
        FLAGS.put("beta1", "--beta1");
        FLAGS.put("beta2", "--beta2");
        FLAGS.put("eps", "--eps");
        FLAGS.put("topK", "--topk");
        FLAGS.put("evalAfter", "--eval-after");
        FLAGS.put("target", "--target");
        FLAGS.put("verifyNegatives", "--no-neg-trick");
        FLAGS.put("microBatch", "--micro-batch");
        FLAGS.put("validUsersPerBatch", "--valid-users-per-batch");
        FLAGS.put("engine", "--engine");
        FLAGS.put("workers", "--workers");
        FLAGS.put("pretrainGmf", "--pretrain-gmf");
        FLAGS.put("pretrainMlp", "--pretrain-mlp");
        FLAGS.put("loadCheckpoint", "--load-checkpoint-path");
        FLAGS.put("validNegative", "--valid-negative");
        FLAGS.put("data", "--data");
        FLAGS.put("logPath", "--log-path");
        FLAGS.put("verbose", "--verbose");
        FLAGS.put("chart", "--no-chart");
    }

    /**
     * A message of {@code ImplicitAls.Params} ("regParam must be ≥ 0, ...") with its parameter as the {@code --als-*}
     * flag that set it ({@code ncf compare}, and {@code ncf train --start als}). Not in the one table above: "rank",
     * "alpha" and "iterations" name other things elsewhere (train's rank is --factors).
     */
    static String als(String message) {
        return message.replaceFirst("^rank", "--als-rank").replaceFirst("^regParam", "--als-reg").replaceFirst("^alpha", "--als-alpha")
                .replaceFirst("^iterations", "--als-iterations");
    }

    /** The flag of a library parameter name (the name itself where the command line has none). */
    static String flagOf(String parameter) { return FLAGS.getOrDefault(parameter, parameter); }

    private static final Map<String, String> CAMEL = new LinkedHashMap<>();
    private static final Map<String, String> PLAIN = new LinkedHashMap<>();

    static {
        // camel-case names cannot be ordinary words; longest first, so lossScaleFloor wins over lossScale
        FLAGS.keySet().stream().sorted((a, b) -> b.length() - a.length())
                .forEach(k -> (k.chars().anyMatch(Character::isUpperCase) ? CAMEL : PLAIN).put(k, FLAGS.get(k)));
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
