package io.ncf.spark.cli;

import io.ncf.eval.EvalResult;
import io.ncf.eval.RankingReport;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One model of a comparison: its sampled HR@K / NDCG@K (ncf-eval's {@code Evaluator}), the full-ranking ones when asked
 * for, the fit's wall time and the settings that tell it apart, printed as one line and written as one JSON object.
 *
 * @param model    "NCF" or "ALS"
 * @param sampled  the held-out item among its user's sampled candidates
 * @param full     the held-out item against every item the user did not train on, or null
 * @param seconds  wall time of the fit
 * @param settings what distinguishes it (ALS: rank, regParam, alpha), shown in parentheses
 * @param details  further JSON fields (printed nowhere)
 */
record ModelResult(String model, EvalResult sampled, RankingReport full, double seconds, String settings, Map<String, Object> details) {

    double hitRate() { return sampled.hitRate(); }

    /** {@code ALS HR@10 = 0.7401 NDCG@10 = 0.4712 [full HR@10 = … NDCG@10 = …] fit 8.1 s (rank 64, regParam 1, alpha 10)}. */
    String line() {
        int k = sampled.k();
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%s HR@%d = %.4f NDCG@%d = %.4f", model, k, sampled.hitRate(), k, sampled.ndcg()));
        if (full != null) b.append(String.format(Locale.ROOT, " full HR@%d = %.4f NDCG@%d = %.4f", k, full.hitRate(k), k, full.ndcg(k)));
        b.append(String.format(Locale.ROOT, " fit %.1f s", seconds));
        if (settings != null && !settings.isEmpty()) b.append(" (").append(settings).append(')');
        return b.toString();
    }

    /** The line's numbers, unrounded, with the details. */
    Map<String, Object> json() {
        int k = sampled.k();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", model);
        m.put("k", k);
        m.put("hr", sampled.hitRate());
        m.put("ndcg", sampled.ndcg());
        if (full != null) {
            m.put("full_hr", full.hitRate(k));
            m.put("full_ndcg", full.ndcg(k));
        }
        m.put("fit_seconds", seconds);
        m.put("users", sampled.users());
        m.putAll(details);
        return m;
    }
}
