package io.ncf.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static io.ncf.cli.CliTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code ncf benchmark train --peer} checks that the PyTorch peer is a fair peer: it measures the peer's sgemm rate once
 * per invocation and withholds the "vs peer" ratio, with a WARNING naming libopenblas0-pthread, when the rate is below
 * --peer-min-gflops (Debian's python3-torch on the reference BLAS). The CLI runs for real (child JVMs, python3); the
 * peer and the probe are stand-in python scripts printing the real ones' summary lines, so a slow BLAS can be faked.
 */
class PeerFairnessTest {

    private static final Path PYTHON = Path.of("/usr/bin/python3");

    @TempDir Path tmp;

    /** A stand-in peer printing the real script's summary line: 1,000 samples/s at every batch. */
    private Path fakePeer() throws Exception {
        Path p = tmp.resolve("peer.py");
        Files.writeString(p, "print('torch fake threads=2 B=2048 median step 2.048s -> 1,000 samples/s (loss 0.6931)')\n");
        return p;
    }

    /** A stand-in sgemm probe reporting {@code gflops}; it appends its arguments to calls.txt, once per run. */
    private Path fakeProbe(String gflops) throws Exception {
        Path calls = tmp.resolve("calls.txt");
        Path p = tmp.resolve("probe-" + gflops + ".py");
        Files.writeString(p, "import sys\n"
                + "open(" + pyString(calls.toString()) + ", 'a').write(' '.join(sys.argv[1:]) + '\\n')\n"
                + "print('sgemm " + gflops + " GFLOP/s torch 1.13.0-fake threads ' + sys.argv[1])\n");
        return p;
    }

    private static String pyString(String s) { return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"; }

    private static void needPython() {
        assumeTrue(Files.isExecutable(PYTHON), "SKIPPED: no " + PYTHON + ": the benchmark's peer and its sgemm probe run on it");
    }

    private Result benchmark(Path peer, String... extra) {
        List<String> a = new ArrayList<>(List.of("benchmark", "train", "--engine", "fused", "-b", "2048", "--steps", "1", "--warmup", "0",
                "--users", "300", "--items", "200", "--peer", "--peer-script", peer.toString(), "--json"));
        a.addAll(List.of(extra));
        return run(a.toArray(String[]::new));
    }

    private static final Pattern FUSED_WITH_RATIO = Pattern.compile("(?m)^train +fused +2048 +([0-9,]+) .* ([0-9.]+)x ");
    private static final Pattern HEADER_WITH_RATIO = Pattern.compile("(?m)^what +engine .* vs peer  note$");
    private static final Pattern PEER_ROW = Pattern.compile("(?m)^train +pytorch-peer +2048 +1,000 .*$");

    private static String peerRow(String out) {
        var m = PEER_ROW.matcher(out);
        assertTrue(m.find(), "a peer row at 1,000 samples/s in:\n" + out);
        return m.group();
    }

    private static void assertNoRatio(Result r) {
        assertFalse(HEADER_WITH_RATIO.matcher(r.out()).find(), "no 'vs peer' column:\n" + r.out());
        assertFalse(FUSED_WITH_RATIO.matcher(r.out()).find(), "no ratio on the fused row:\n" + r.out());
        assertFalse(r.out().contains("\"vs_peer\""), "no vs_peer in the JSON:\n" + r.out());
    }

    private static void assertRatio(Result r) {
        assertTrue(HEADER_WITH_RATIO.matcher(r.out()).find(), r.out());
        var m = FUSED_WITH_RATIO.matcher(r.out());
        assertTrue(m.find(), r.out());
        double fused = Double.parseDouble(m.group(1).replace(",", ""));
        assertEquals(fused / 1000, Double.parseDouble(m.group(2)), 0.006 + 1e-4 * fused / 1000, r.out());
        assertTrue(r.out().contains("\"vs_peer\":"), r.out());
        assertFalse(r.out().contains("WARNING"), r.out());
    }

    @Test void slowPeerBlasGetsNoRatioAndAWarningNamingTheFix() throws Exception {
        needPython();
        Result r = benchmark(fakePeer(), "--peer-sgemm-script", fakeProbe("3.1").toString());
        assertEquals(0, r.exitCode(), "the engine rows are still valid: exit 0\n" + r.err() + r.out());
        assertNoRatio(r);
        assertTrue(peerRow(r.out()).contains("peer runs on a slow BLAS (3.1 GFLOP/s sgemm < 20): install libopenblas0-pthread"
                + " (see ../shared/bench/README.md); no ratio reported"), r.out());
        assertTrue(Pattern.compile("(?m)^PyTorch peer sgemm: 3\\.1 GFLOP/s \\(2048x2048 float32 matmul, torch 1\\.13\\.0-fake, 2 threads\\)$")
                .matcher(r.out()).find(), r.out());
        var warning = Pattern.compile("(?m)^WARNING: the PyTorch peer runs on a slow BLAS: 3\\.1 GFLOP/s sgemm, below --peer-min-gflops 20.*$").matcher(r.out());
        assertTrue(warning.find(), r.out());
        assertTrue(warning.group().contains("apt-get install -y libopenblas0-pthread"), warning.group());
        assertTrue(Pattern.compile("(?m)^\\{.*\"engine\":\"pytorch-peer\".*\"peer_sgemm_gflops\":3\\.1[,}]").matcher(r.out()).find(), r.out());
        assertTrue(Pattern.compile("(?m)^train +fused +2048 +[0-9,]+ ").matcher(r.out()).find(), "the fused row is still reported:\n" + r.out());
        assertEquals(List.of("2"), Files.readAllLines(tmp.resolve("calls.txt")), "the probe ran once, with the peer's 2 threads");
    }

    @Test void fastPeerBlasGetsTheRatioAndTheProbeRunsOncePerInvocation() throws Exception {
        needPython();
        Result r = benchmark(fakePeer(), "--rounds", "2", "--peer-sgemm-script", fakeProbe("143.2").toString());
        assertEquals(0, r.exitCode(), r.err() + r.out());
        assertRatio(r);
        assertTrue(r.out().contains("\nPyTorch peer sgemm: 143.2 GFLOP/s (2048x2048 float32 matmul, torch 1.13.0-fake, 2 threads)\n"), r.out());
        assertFalse(peerRow(r.out()).contains("BLAS"), r.out());
        assertTrue(Pattern.compile("(?m)^\\{.*\"engine\":\"pytorch-peer\".*\"peer_sgemm_gflops\":143\\.2[,}]").matcher(r.out()).find(), r.out());
        assertEquals(List.of("2"), Files.readAllLines(tmp.resolve("calls.txt")), "one probe for 2 rounds");
    }

    @Test void peerMinGflopsSetsTheFloorAndZeroTurnsTheCheckOff() throws Exception {
        needPython();
        Result r = benchmark(fakePeer(), "--peer-min-gflops", "3", "--peer-sgemm-script", fakeProbe("3.1").toString());
        assertEquals(0, r.exitCode(), r.err() + r.out());
        assertRatio(r);

        r = benchmark(fakePeer(), "--peer-min-gflops", "150.5", "--peer-sgemm-script", fakeProbe("143.2").toString());
        assertEquals(0, r.exitCode(), r.err() + r.out());
        assertNoRatio(r);
        assertTrue(peerRow(r.out()).contains("(143.2 GFLOP/s sgemm < 150.5)"), r.out());

        Path broken = tmp.resolve("broken.py");
        Files.writeString(broken, "import no_such_module_for_ncf\n");
        r = benchmark(fakePeer(), "--peer-min-gflops", "0", "--peer-sgemm-script", broken.toString());
        assertEquals(0, r.exitCode(), r.err() + r.out());
        assertRatio(r);
        assertTrue(r.out().contains("PyTorch peer sgemm: not measured (sgemm probe printed no rate: "), r.out());
    }

    @Test void anUnmeasurablePeerGetsNoRatio() throws Exception {
        needPython();
        Path broken = tmp.resolve("broken.py");
        Files.writeString(broken, "import no_such_module_for_ncf\n");
        Result r = benchmark(fakePeer(), "--peer-sgemm-script", broken.toString());
        assertEquals(0, r.exitCode(), r.err() + r.out());
        assertNoRatio(r);
        assertTrue(peerRow(r.out()).contains("peer's BLAS speed unknown (sgemm probe printed no rate: ModuleNotFoundError: No module named 'no_such_module_for_ncf'); no ratio reported"),
                r.out());
        assertTrue(Pattern.compile("(?m)^WARNING: could not measure the PyTorch peer's sgemm speed .*libopenblas0-pthread.*--peer-min-gflops 0.*$")
                .matcher(r.out()).find(), r.out());
        assertFalse(r.out().contains("peer_sgemm_gflops"), r.out());
    }

    /** The built-in probe against this machine's torch: it prints a rate, and the ratio follows the floor. */
    @Test void theBuiltInProbeMeasuresThisMachinesTorch() throws Exception {
        needPython();
        Process p = new ProcessBuilder(PYTHON.toString(), "-c", "import torch").redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assumeTrue(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0, "SKIPPED: " + PYTHON + " cannot import torch (python3-torch): the real sgemm probe is not checked");
        Result r = benchmark(fakePeer());
        assertEquals(0, r.exitCode(), r.err() + r.out());
        var m = Pattern.compile("(?m)^PyTorch peer sgemm: ([0-9.]+) GFLOP/s \\(2048x2048 float32 matmul, torch \\S+, 2 threads\\)$").matcher(r.out());
        assertTrue(m.find(), r.out());
        double gflops = Double.parseDouble(m.group(1));
        assertTrue(gflops > 0, r.out());
        if (gflops >= 20) assertRatio(r);
        else {
            assertNoRatio(r);
            assertTrue(r.out().contains("libopenblas0-pthread"), r.out());
        }
        System.err.printf("this machine's torch sgemm (2 threads): %.1f GFLOP/s%n", gflops);
    }

    @Test void peerMinGflopsMustBeANonNegativeNumber() {
        Result r = run("benchmark", "train", "--peer", "--peer-min-gflops", "-1");
        assertEquals(2, r.exitCode(), r.err() + r.out());
        assertTrue(r.err().contains("--peer-min-gflops must be a finite number >= 0, got -1.0"), r.err());
        r = run("benchmark", "train", "--peer", "--peer-min-gflops", "NaN");
        assertEquals(2, r.exitCode(), r.err() + r.out());
    }

    @Test void parseSgemmReadsTheProbesLineOrReportsTheLastLine() {
        var s = BenchmarkCommand.parseSgemm("noise\nsgemm 143.2 GFLOP/s torch 1.13.1 threads 2\n");
        assertTrue(s.measured());
        assertEquals(143.2, s.gflops(), 0);
        assertEquals("143.2 GFLOP/s (2048x2048 float32 matmul, torch 1.13.1, 2 threads)", s.describe());
        var e = BenchmarkCommand.parseSgemm("Traceback (most recent call last):\n  ...\nModuleNotFoundError: No module named 'torch'\n\n");
        assertFalse(e.measured());
        assertTrue(Double.isNaN(e.gflops()));
        assertEquals("sgemm probe printed no rate: ModuleNotFoundError: No module named 'torch'", e.error());
        assertFalse(BenchmarkCommand.parseSgemm("").measured());
    }

    @Test void judgePeerNotesOnlyPeerRowsThatRan() {
        List<Map<String, Object>> rows = new ArrayList<>();
        rows.add(row("fused", 8, 100.0, null));
        rows.add(row("pytorch-peer", 8, 10.0, "median of 2: 10 / 10"));
        rows.add(row("pytorch-peer", 16, null, "peer did not run (is python3-torch installed?): x"));
        var slow = BenchmarkCommand.parseSgemm("sgemm 2.5 GFLOP/s torch 1.13.1 threads 2");
        String w = BenchmarkCommand.judgePeer(rows, slow, 20);
        assertNotNull(w);
        assertTrue(w.startsWith("WARNING: ") && w.contains("libopenblas0-pthread"), w);
        assertEquals("peer runs on a slow BLAS (2.5 GFLOP/s sgemm < 20): install libopenblas0-pthread (see ../shared/bench/README.md);"
                + " no ratio reported; median of 2: 10 / 10", rows.get(1).get("note"));
        assertEquals("peer did not run (is python3-torch installed?): x", rows.get(2).get("note"));
        assertEquals(2.5, rows.get(1).get("peer_sgemm_gflops"));
        assertEquals(2.5, rows.get(2).get("peer_sgemm_gflops"));
        assertFalse(rows.get(0).containsKey("peer_sgemm_gflops"));
        assertNull(rows.get(0).get("note"));

        // a peer that never ran: nothing to withhold, its row says why
        List<Map<String, Object>> none = new ArrayList<>(List.of(row("fused", 8, 100.0, null), row("pytorch-peer", 8, null, "peer script x not found")));
        assertNull(BenchmarkCommand.judgePeer(none, null, 20));
        // a fast peer: no note
        List<Map<String, Object>> fast = new ArrayList<>(List.of(row("fused", 8, 100.0, null), row("pytorch-peer", 8, 10.0, null)));
        assertNull(BenchmarkCommand.judgePeer(fast, BenchmarkCommand.parseSgemm("sgemm 20.0 GFLOP/s torch t threads 2"), 20), "the floor itself is fair");
        assertNull(fast.get(1).get("note"));
        BenchmarkCommand.addPeerRatios(fast);
        assertEquals(10.0, (double) fast.get(0).get("vs_peer"), 1e-12);
    }

    private static Map<String, Object> row(String engine, int batch, Double samples, String note) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("what", "train");
        r.put("engine", engine);
        r.put("batch", batch);
        if (samples != null) r.put("samples_per_s", samples);
        if (note != null) r.put("note", note);
        return r;
    }
}
