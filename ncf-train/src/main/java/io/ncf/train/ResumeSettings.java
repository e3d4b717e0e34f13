package io.ncf.train;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * What may change when a run is resumed.
 *
 * <p>A resumed run must continue the saved one, not start a different experiment that happens to reuse its
 * weights: a changed batch size, learning rate, seed or model would make the result neither the saved run nor
 * a fresh one, and nothing in the output would show it. So a setting given on resume is accepted only when it
 * equals the saved one, or when it is one of {@link #mayChange()}: settings that do not change the arithmetic of
 * training — how long to go on ({@code epochs}, not below the epochs already done), how evaluation is blocked
 * ({@code validUsersPerBatch}), where the data lives ({@code data}: a moved copy of the same dataset; the caller
 * checks it is the same, e.g. by its user, item and positive counts), and logging and progress output.
 *
 * <p>Settings are maps from the library's parameter names ({@code batchSize}, {@code learningRate}, {@code seed},
 * {@code layers}, …; a front end maps its flags onto them) to string values. The comparison knows the
 * parameters' types, so a value equal in meaning is equal: {@code "0.0045"} and {@code "0.004500"} as floats,
 * {@code "256 256 128 64"} and {@code "[256, 256, 128, 64]"} as integer lists, {@code "TRUE"} and {@code "true"}.
 * A parameter it does not know is compared as a number, boolean or integer list when both values read as one,
 * else as text. Values saved as raw float bits (as {@code state.ncf} stores them) go through
 * {@link #floatFromBits} first.
 *
 * <p>Depends on the JDK only: it runs on GPU machines whose class path has no ND4J.
 */
public final class ResumeSettings {

    /** Shown as the saved value of a parameter the saved run did not record (older state files). */
    public static final String NOT_RECORDED = "(not recorded)";

    /**
     * A setting given on resume that the saved run contradicts.
     *
     * @param saved  the saved value, or {@link #NOT_RECORDED}
     * @param reason why a value of a {@link #mayChange() may-change} parameter is still refused, else null
     */
    public record Conflict(String parameter, String saved, String given, String reason) {
        public Conflict {
            Objects.requireNonNull(parameter, "parameter");
            Objects.requireNonNull(saved, "saved");
            Objects.requireNonNull(given, "given");
        }

        public Conflict(String parameter, String saved, String given) { this(parameter, saved, given, null); }

        /** {@code "batchSize: saved 4096, given 8192"}, the parameter renamed by {@code nameOf} (e.g. to "-b"). */
        public String describe(Function<String, String> nameOf) {
            return nameOf.apply(parameter) + ": saved " + saved + ", given " + given + (reason == null ? "" : " (" + reason + ")");
        }

        @Override
        public String toString() { return describe(Function.identity()); }
    }

    private enum Kind { INT, FLOAT, DOUBLE, BOOLEAN, INT_LIST, WORD, ANY }

    private static final Map<String, Kind> KINDS = new LinkedHashMap<>();

    static {
        for (String p : List.of("batchSize", "negatives", "factors", "topK", "evalAfter", "validUsersPerBatch", "workers", "epochs",
                "microBatch", "lossScaleWindow", "validNegative", "seed"))
            KINDS.put(p, Kind.INT); // exact integers of any size (seed is a long)
        for (String p : List.of("learningRate", "dropout", "beta1", "beta2", "eps", "lossScale", "lossScaleInit", "lossScaleFloor", "embeddingL2", "weightL2"))
            KINDS.put(p, Kind.FLOAT);
        KINDS.put("target", Kind.DOUBLE);
        KINDS.put("fp16", Kind.BOOLEAN);
        KINDS.put("verifyNegatives", Kind.BOOLEAN);
        KINDS.put("layers", Kind.INT_LIST);
        for (String p : List.of("model", "engine", "blas", "optimizer", "precision")) KINDS.put(p, Kind.WORD);
    }

    /** Parameters whose notes say more than their name in {@link #describe}'s list. */
    private static final Map<String, String> NOTES = Map.of(
            "epochs", "not below the epochs already done",
            "data", "a moved copy of the same dataset");

    private static final Set<String> MAY_CHANGE = Collections.unmodifiableSet(new LinkedHashSet<>(List.of(
            "epochs", "validUsersPerBatch", "data",
            // logging and progress: they do not touch the numbers
            "logPath", "verbose", "progress", "quiet", "chart")));

    private static final Pattern LIST_SEPARATORS = Pattern.compile("[\\s,]+");

    private ResumeSettings() {}

    /**
     * The parameters that may take any value on resume (in a fixed order, for README and help text):
     * {@code epochs} (but not below the epochs already done: see {@link #conflicts(Map, Map, int)}),
     * {@code validUsersPerBatch}, {@code data}, and the logging and progress settings {@code logPath},
     * {@code verbose}, {@code progress}, {@code quiet}, {@code chart}.
     */
    public static Set<String> mayChange() { return MAY_CHANGE; }

    /**
     * The settings given on resume that contradict the saved run, in {@code given}'s order; empty when the run
     * may go on. {@code epochs} is accepted whatever its value: use {@link #conflicts(Map, Map, int)} when the
     * number of completed epochs is known.
     *
     * @param saved the saved run's settings, all it recorded
     * @param given only the settings given explicitly now (a default must not count as a request to change)
     */
    public static List<Conflict> conflicts(Map<String, String> saved, Map<String, String> given) {
        return conflicts(saved, given, -1);
    }

    /**
     * As {@link #conflicts(Map, Map)}, and a given {@code epochs} below {@code completedEpochs} is a conflict:
     * those epochs are done, a run cannot end before them.
     *
     * @param completedEpochs epochs the saved run completed (its next 0-based epoch); negative when unknown
     */
    public static List<Conflict> conflicts(Map<String, String> saved, Map<String, String> given, int completedEpochs) {
        Objects.requireNonNull(saved, "saved");
        Objects.requireNonNull(given, "given");
        List<Conflict> out = new ArrayList<>();
        for (Map.Entry<String, String> e : given.entrySet()) {
            String p = Objects.requireNonNull(e.getKey(), "a given parameter name is null");
            String g = Objects.requireNonNull(e.getValue(), () -> "the given value of " + p + " is null");
            String s = saved.get(p);
            if ("epochs".equals(p) && completedEpochs >= 0) {
                Conflict c = epochsConflict(s, g, completedEpochs);
                if (c != null) out.add(c);
                continue;
            }
            if (MAY_CHANGE.contains(p)) continue;
            if (s == null) out.add(new Conflict(p, NOT_RECORDED, g.strip()));
            else if (!sameValue(p, s, g)) out.add(new Conflict(p, s.strip(), g.strip()));
        }
        return out;
    }

    private static Conflict epochsConflict(String saved, String given, int completed) {
        String s = saved == null ? NOT_RECORDED : saved.strip();
        BigDecimal g = number(given);
        if (g == null || g.signum() < 0 || g.stripTrailingZeros().scale() > 0)
            return new Conflict("epochs", s, given.strip(), "not a whole number of epochs");
        if (g.compareTo(BigDecimal.valueOf(completed)) < 0)
            return new Conflict("epochs", s, given.strip(), completed + " epochs are already done; give at least " + completed);
        return null;
    }

    /** {@link #require(Map, Map, int)} without the completed-epochs check. */
    public static void require(Map<String, String> saved, Map<String, String> given) { require(saved, given, -1); }

    /**
     * @throws ResumeConflictException naming every conflict, e.g. {@code "cannot resume with different settings:
     *                                 batchSize: saved 4096, given 8192; seed: saved 7, given 8. Only epochs (…), … may
     *                                 change on resume"}
     */
    public static void require(Map<String, String> saved, Map<String, String> given, int completedEpochs) {
        List<Conflict> c = conflicts(saved, given, completedEpochs);
        if (!c.isEmpty()) throw new ResumeConflictException(c);
    }

    /** The message of a {@link ResumeConflictException}, parameters renamed by {@code nameOf}. */
    public static String describe(List<Conflict> conflicts, Function<String, String> nameOf) {
        StringBuilder s = new StringBuilder("cannot resume with different settings: ");
        for (int i = 0; i < conflicts.size(); i++) s.append(i == 0 ? "" : "; ").append(conflicts.get(i).describe(nameOf));
        return s.append(". ").append(mayChangeSentence(nameOf)).toString();
    }

    /**
     * {@code "Only epochs (not below the epochs already done), validUsersPerBatch, data (a moved copy of the same
     * dataset), logPath, verbose, progress, quiet and chart may change on resume; other settings must equal the
     * saved run's or be left out"}, names rendered by {@code nameOf} (for help text and the README).
     */
    public static String mayChangeSentence(Function<String, String> nameOf) {
        List<String> items = new ArrayList<>();
        for (String p : MAY_CHANGE) items.add(nameOf.apply(p) + (NOTES.containsKey(p) ? " (" + NOTES.get(p) + ")" : ""));
        String list = String.join(", ", items.subList(0, items.size() - 1)) + " and " + items.get(items.size() - 1);
        return "Only " + list + " may change on resume; other settings must equal the saved run's or be left out";
    }

    /**
     * Whether two values of {@code parameter} mean the same: by the parameter's type when it is known (floats as
     * {@code float}, {@code target} as {@code double}, integers exactly, booleans and names ignoring case, integer
     * lists element by element); an unknown parameter, or a value its type cannot read, compares as a number,
     * boolean or integer list when both values read as one, else as text.
     */
    public static boolean sameValue(String parameter, String a, String b) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(b, "b");
        a = a.strip();
        b = b.strip();
        if (a.equals(b)) return true;
        Boolean typed = switch (KINDS.getOrDefault(parameter, Kind.ANY)) {
            case INT -> sameNumber(a, b);
            case FLOAT -> sameFloat(a, b);
            case DOUBLE -> sameDouble(a, b);
            case BOOLEAN -> sameBoolean(a, b);
            case INT_LIST -> sameIntList(a, b);
            case WORD -> a.equalsIgnoreCase(b);
            case ANY -> null;
        };
        if (typed != null) return typed;
        for (Boolean r : new Boolean[]{sameBoolean(a, b), sameNumber(a, b), sameIntList(a, b)}) if (r != null) return r;
        return false;
    }

    /**
     * A value in the form this class and {@code state.ncf} readers agree on: floats as {@link Float#toString},
     * integer lists space-separated, booleans lower case; other values stripped. For building the saved map.
     */
    public static String canonical(String parameter, String value) {
        String v = Objects.requireNonNull(value, "value").strip();
        Kind k = KINDS.getOrDefault(parameter, Kind.ANY);
        try {
            return switch (k) {
                case INT -> new BigDecimal(v).stripTrailingZeros().toPlainString();
                case FLOAT -> canonical(Float.parseFloat(v));
                case DOUBLE -> canonical(Double.parseDouble(v));
                case BOOLEAN -> bool(v) == null ? v : bool(v).toString();
                case INT_LIST -> intList(v) == null ? v : joinLongs(intList(v));
                case WORD, ANY -> v;
            };
        } catch (NumberFormatException e) {
            return v;
        }
    }

    public static String canonical(float v) { return Float.toString(v); }

    public static String canonical(double v) { return Double.toString(v); }

    public static String canonical(long v) { return Long.toString(v); }

    public static String canonical(boolean v) { return Boolean.toString(v); }

    /** {@code [256, 256, 128, 64]} as {@code "256 256 128 64"}. */
    public static String canonical(int[] v) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < v.length; i++) s.append(i == 0 ? "" : " ").append(v[i]);
        return s.toString();
    }

    /** A float saved as its raw bits ({@code Float.floatToRawIntBits}, decimal), as {@link #canonical(float)}. */
    public static String floatFromBits(String rawIntBits) {
        return canonical(Float.intBitsToFloat(Integer.parseInt(rawIntBits.strip())));
    }

    /** A double saved as its raw bits ({@code Double.doubleToRawLongBits}, decimal), as {@link #canonical(double)}. */
    public static String doubleFromBits(String rawLongBits) {
        return canonical(Double.longBitsToDouble(Long.parseLong(rawLongBits.strip())));
    }

    private static Boolean sameNumber(String a, String b) {
        BigDecimal x = number(a), y = number(b);
        return x == null || y == null ? null : x.compareTo(y) == 0;
    }

    private static Boolean sameFloat(String a, String b) {
        try {
            float x = Float.parseFloat(a), y = Float.parseFloat(b);
            return x == y || (Float.isNaN(x) && Float.isNaN(y));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static Boolean sameDouble(String a, String b) {
        try {
            double x = Double.parseDouble(a), y = Double.parseDouble(b);
            return x == y || (Double.isNaN(x) && Double.isNaN(y));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static Boolean sameBoolean(String a, String b) {
        Boolean x = bool(a), y = bool(b);
        return x == null || y == null ? null : x.equals(y);
    }

    private static Boolean sameIntList(String a, String b) {
        long[] x = intList(a), y = intList(b);
        return x == null || y == null ? null : Arrays.equals(x, y);
    }

    private static BigDecimal number(String v) {
        try {
            return new BigDecimal(v.strip());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static Boolean bool(String v) {
        if (v.equalsIgnoreCase("true")) return Boolean.TRUE;
        if (v.equalsIgnoreCase("false")) return Boolean.FALSE;
        return null;
    }

    /** "256 256 128 64", "256,256", "[256, 256, 128, 64]" (also parenthesised); null when not such a list. */
    private static long[] intList(String v) {
        String s = v.strip();
        if ((s.startsWith("[") && s.endsWith("]")) || (s.startsWith("(") && s.endsWith(")"))) s = s.substring(1, s.length() - 1).strip();
        if (s.isEmpty()) return new long[0];
        String[] parts = LIST_SEPARATORS.split(s);
        long[] out = new long[parts.length];
        try {
            for (int i = 0; i < parts.length; i++) out[i] = Long.parseLong(parts[i]);
        } catch (NumberFormatException e) {
            return null;
        }
        return out;
    }

    private static String joinLongs(long[] v) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < v.length; i++) s.append(i == 0 ? "" : " ").append(v[i]);
        return s.toString();
    }
}
