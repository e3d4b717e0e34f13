package io.ncf.cli;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.ncf.cli.CliTestSupport.run;
import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@code ncf benchmark recommend} on a small random model: every row measured, in child JVMs, with its fields. */
class RecommendBenchmarkTest {

    private static List<Map<String, Object>> jsonRows(String out) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String line : out.split("\n")) if (line.startsWith("{")) rows.add(BenchmarkCommand.parseFlatJson(line));
        return rows;
    }

    @Test void measuresExactFullEvalAndTwoStageAgainstTheSgemmLimit() {
        CliTestSupport.Result r = run("benchmark", "recommend", "--users", "300", "--items", "700", "--rank-users", "8", "--candidates", "64", "--json");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("CPU: "), r.out());
        assertTrue(r.out().contains("FLOP limit: sgemm"), r.out());
        List<Map<String, Object>> rows = jsonRows(r.out());
        assertEquals(List.of("exact", "full-eval", "two-stage", "serve"), rows.stream().map(x -> x.get("mode")).toList());
        for (Map<String, Object> row : rows) {
            assertEquals("recommend", row.get("what"));
            assertTrue(((Number) row.get("pairs_per_s")).doubleValue() > 0, row.toString());
            assertTrue(((Number) row.get("users_per_s")).doubleValue() > 0, row.toString());
            assertTrue(((Number) row.get("peak_rss_mb")).longValue() > 0, row.toString());
        }
        // the default layers 256-256-128-64 and 64 factors: 2 x (256*128 + 128*64 + 64 + 64) FLOP after the factored first layer
        assertEquals(82_176L, ((Number) rows.get(0).get("flops_per_pair")).longValue());
        double pct = ((Number) rows.get(0).get("pct_of_limit")).doubleValue();
        assertTrue(pct > 0 && pct < 150, "percent of the sgemm limit " + pct);
        double recall = ((Number) rows.get(2).get("recall_at_10")).doubleValue();
        assertTrue(recall > 0 && recall <= 1, "recall " + recall);
        assertTrue(((Number) rows.get(2).get("single_user_ms")).doubleValue() > 0);
        Map<String, Object> serve = rows.get(3);
        assertTrue(((Number) serve.get("single_user_ms")).doubleValue() > 0, serve.toString());
        assertTrue(((Number) serve.get("single_user_ms_calling_thread")).doubleValue() > 0, serve.toString());
        assertTrue(((Number) serve.get("requests_per_s_1_thread")).doubleValue() > 0, serve.toString());
        assertTrue(String.valueOf(serve.get("note")).contains("requests/s on calling threads"), serve.toString());
    }

    @Test void peerRowsWhenPythonHasTorch() throws Exception {
        Path python = Path.of(BenchmarkCommand.PEER_PYTHON);
        assumeTrue(Files.isExecutable(python), "SKIPPED: no " + python + " for the PyTorch peer");
        Process probe = new ProcessBuilder(python.toString(), "-c", "import torch").redirectErrorStream(true).start();
        assumeTrue(probe.waitFor() == 0, "SKIPPED: " + python + " has no torch (apt-get install python3-torch libopenblas0-pthread)");
        CliTestSupport.Result r = run("benchmark", "recommend", "--users", "300", "--items", "700", "--rank-users", "8", "--candidates", "64",
                "--peer", "--peer-users", "4", "--json");
        assertEquals(0, r.exitCode(), r.err());
        List<Map<String, Object>> rows = jsonRows(r.out());
        List<Map<String, Object>> peers = rows.stream().filter(x -> "peer".equals(x.get("mode"))).toList();
        assertEquals(List.of("fp32", "bf16"), peers.stream().map(x -> x.get("precision")).toList());
        for (Map<String, Object> p : peers) assertTrue(((Number) p.get("pairs_per_s")).doubleValue() > 0, p.toString());
        assertTrue(rows.get(0).get("vs_best_peer") instanceof Number, rows.get(0).toString());
        List<Map<String, Object>> servePeers = rows.stream().filter(x -> "peer-serve".equals(x.get("mode"))).toList();
        assertEquals(2, servePeers.size());
        for (Map<String, Object> p : servePeers) assertTrue(((Number) p.get("single_user_ms")).doubleValue() > 0, p.toString());
        Map<String, Object> serve = rows.stream().filter(x -> "serve".equals(x.get("mode"))).findFirst().orElseThrow();
        assertTrue(serve.get("vs_best_peer") instanceof Number, serve.toString());
    }
}
