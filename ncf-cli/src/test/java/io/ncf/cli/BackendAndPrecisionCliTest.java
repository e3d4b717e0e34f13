package io.ncf.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

import static io.ncf.cli.CliTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

/** The start-up backend report, --fp16 / --loss-scale / --workers flags and their JSON-log fields. */
class BackendAndPrecisionCliTest {

    @TempDir Path tmp;

    private static final String[] TINY = {"-f", "4", "--layers", "8", "4", "-e", "1", "--eval-after", "0", "--seed", "2", "-n", "1"};

    private static String[] args(String... extra) {
        String[] a = new String[1 + TINY.length + extra.length];
        a[0] = "train";
        System.arraycopy(TINY, 0, a, 1, TINY.length);
        System.arraycopy(extra, 0, a, 1 + TINY.length, extra.length);
        return a;
    }

    @Test void trainReportsTheLoadedBackendAtStartUp() throws Exception {
        Path log = tmp.resolve("log.jsonl");
        Result r = run(args("--workers", "2", "--log-path", log.toString()));
        assertEquals(0, r.exitCode(), r.err() + r.out());
        String first = r.out().lines().findFirst().orElse("");
        assertTrue(Pattern.compile("^Backend: CpuBackend, 1 device, BLAS \\S+ \\(\\S+ threads\\); compute FLOAT, master weights FLOAT$").matcher(first).find(),
                "first line reports the backend: " + first);
        assertTrue(r.out().contains("Workers: 2"), r.out());
        assertTrue(Pattern.compile("(?m)^Fused engine gemm: (Intel MKL|OpenBLAS) ").matcher(r.out()).find(), "second line names the gemm library: " + r.out());
        String params = Files.readAllLines(log).get(0);
        for (String f : List.of("\"backend\":\"CpuBackend\"", "\"devices\":1", "\"compute_type\":\"FLOAT\"", "\"workers\":2", "\"fp16\":false", "\"blas_vendor\"", "\"fused_gemm\""))
            assertTrue(params.contains(f), f + " in " + params);
    }

    @Test void fp16OnSameDiffLogsTheScaleAndSkippedSteps() throws Exception {
        Path log = tmp.resolve("fp16.jsonl");
        Result r = run(args("--fp16", "--engine", "samediff", "-b", "16384", "--micro-batch", "16384", "--verbose", "--log-path", log.toString()));
        assertEquals(0, r.exitCode(), r.err() + r.out());
        assertTrue(r.out().contains("compute HALF, master weights FLOAT"), r.out());
        assertTrue(r.out().contains("engine samediff"), r.out());
        assertTrue(Pattern.compile("Epoch: 00, Loss Scale: 32768, Skipped Steps: 0 of \\d+").matcher(r.out()).find(), r.out());
        String epoch = Files.readAllLines(log).stream().filter(l -> l.contains("\"type\":\"epoch\"")).findFirst().orElseThrow();
        assertTrue(epoch.contains("\"loss_scale\":32768.0") && epoch.contains("\"skipped_steps\":0"), epoch);
    }

    @Test void sixteenBitPrecisionsAreRefusedWithTheReasonWhereTheyWouldBeNoFasterThanFp32() {
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getenv(io.ncf.model.fused.HalfPrecision.ENV) == null, "NCF_HALF_FALLBACK is set");
        // OpenBLAS has no 16-bit GEMM: on any CPU, a 16-bit run there would be no faster than FP32, never silently slower
        for (String[] flag : new String[][]{{"--fp16"}, {"--precision", "fp16"}, {"--precision", "BF16"}}) {
            Result r = run(args(concat(flag, "--blas", "openblas")));
            assertEquals(2, r.exitCode(), r.err() + r.out());
            String feature = flag.length == 1 || flag[1].equalsIgnoreCase("fp16") ? "--precision fp16 (--fp16)" : "--precision bf16";
            assertTrue(r.err().contains(feature + " is not available with --engine fused: ") && r.err().contains("NCF_HALF_FALLBACK=allow"), r.err());
            assertFalse(r.out().contains("Epoch"), "refused before any work: " + r.out());
        }
        Result r = run(args("--precision", "bf16", "--fp16"));
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("--fp16 means --precision fp16, which contradicts --precision bf16"), r.err());
        r = run(args("--precision", "fp8"));
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("--precision: unknown precision 'fp8': expected fp32, bf16 or fp16"), r.err());

        r = run(args("--fp16", "--engine", "samediff", "--loss-scale-window", "0"));
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("--loss-scale-window must be positive"), r.err());

        r = run(args("--workers", "0"));
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("--workers must be positive"), r.err());
    }

    /** Where the CPU runs BF16 products (AMX-BF16 or AVX512-BF16, MKL), a BF16 run trains and says how; elsewhere it is refused. */
    @Test void bf16TrainsWhereTheCpuHasItAndSaysHow() throws Exception {
        java.util.Optional<String> why = io.ncf.model.fused.HalfPrecision.unavailable(io.ncf.core.Precision.BF16);
        Path log = tmp.resolve("bf16.jsonl");
        Result r = run(args("--precision", "bf16", "--layers", "64", "32", "16", "-b", "4096", "--log-path", log.toString()));
        if (why.isPresent()) {
            assertEquals(2, r.exitCode(), r.err() + r.out());
            assertTrue(r.err().contains(why.get()), r.err());
            return;
        }
        assertEquals(0, r.exitCode(), r.err() + r.out());
        assertTrue(r.out().contains("compute BF16 products, master weights FLOAT"), r.out());
        assertTrue(Pattern.compile("(?m)^CPU: .*(amx_bf16|avx512_bf16)").matcher(r.out()).find(), r.out());
        assertTrue(r.out().contains("Engine: fused (BF16 products, FP32 accumulation and master weights"), r.out());
        assertTrue(r.out().contains("Best HR:"), r.out());
        assertFalse(r.out().contains("Loss Scale"), "BF16 needs no loss scaling: " + r.out());
        assertTrue(Files.readAllLines(log).get(0).contains("\"precision\":\"bf16\""), Files.readAllLines(log).get(0));
    }

    /** Ranking in BF16: the CPU kernel's layers on AMX where the CPU has it, refused by name elsewhere; FP16 is the GPU's. */
    @Test void recommendAndEvaluateTakeBf16WhereTheCpuHasIt() throws Exception {
        Path ck = tmp.resolve("ck");
        Result t = run(args("--layers", "64", "32", "16", "-b", "4096", "--checkpoint-dir", ck.toString()));
        assertEquals(0, t.exitCode(), t.err() + t.out());
        Path model = ck.resolve("model.zip");
        String user = io.ncf.serve.ModelArtifact.read(model).userIds().ids().get(0);
        Result fp16 = run("recommend", "--model", model.toString(), "--user", user, "--precision", "fp16");
        assertEquals(2, fp16.exitCode());
        assertTrue(fp16.err().contains("--precision fp16 (--fp16) is not available with --engine fused: the CPU kernel ranks in FP32 or BF16"), fp16.err());
        var config = io.ncf.serve.ModelArtifact.read(model).config();
        java.util.Optional<String> why = io.ncf.core.rank.ScoringKernel.bf16Unavailable(config);
        Result fp32 = run("recommend", "--model", model.toString(), "--users", "all", "-k", "5");
        Result bf16 = run("recommend", "--model", model.toString(), "--users", "all", "-k", "5", "--precision", "bf16");
        if (why.isPresent()) {
            assertEquals(2, bf16.exitCode(), bf16.err());
            assertTrue(bf16.err().contains("--precision bf16 is not available with --engine fused: " + why.get()), bf16.err());
            return;
        }
        assertEquals(0, bf16.exitCode(), bf16.err());
        List<String> a = fp32.out().lines().toList(), b = bf16.out().lines().toList();
        assertEquals(a.size(), b.size());
        long sameItems = java.util.stream.IntStream.range(1, a.size()).filter(i -> a.get(i).split(",")[1].equals(b.get(i).split(",")[1])).count();
        assertTrue(sameItems >= (a.size() - 1) * 0.8, sameItems + " of " + (a.size() - 1) + " ranked items equal FP32's");
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test void helpSaysWhereSixteenBitRuns() {
        Result r = run("help", "train");
        String help = r.out().replaceAll("\\s+", " "); // picocli wraps long descriptions
        assertTrue(help.contains("--precision") && help.contains("AMX-BF16 or AVX512-BF16") && help.contains("NCF_HALF_FALLBACK=allow")
                && help.contains("The seed's spelling of --precision fp16"), r.out());
        assertTrue(help.contains("--workers") && help.contains("--loss-scale-window"), r.out());
    }

    @Test void benchmarkComparesWorkerCounts() {
        Result r = run("benchmark", "train", "--engine", "fused", "-b", "2048", "--workers", "1,2", "--steps", "1", "--warmup", "0",
                "--users", "300", "--items", "200");
        assertEquals(0, r.exitCode(), r.err() + r.out());
        assertTrue(r.out().startsWith("Backend: "), r.out());
        assertTrue(r.out().contains("fused x2"), r.out());
    }

    @Test void benchmarkRoundsReportMediansAndRatiosToThePeer() throws Exception {
        Result r = run("benchmark", "train", "--engine", "fused", "-b", "2048", "--rounds", "2", "--steps", "1", "--warmup", "0",
                "--users", "300", "--items", "200");
        assertEquals(0, r.exitCode(), r.err() + r.out());
        assertTrue(Pattern.compile("(?m)^train +fused +2048 .*median of 2: [0-9,]+ / [0-9,]+$").matcher(r.out()).find(), r.out());

        // a stand-in peer that prints the real script's summary line: 1,000 samples/s at every batch
        Path fake = tmp.resolve("peer.py");
        Files.writeString(fake, "print('median step 2.048s -> 1,000 samples/s')\n");
        if (Files.isExecutable(Path.of("/usr/bin/python3"))) {
            r = run("benchmark", "train", "--engine", "fused", "-b", "2048", "--steps", "1", "--warmup", "0",
                    "--users", "300", "--items", "200", "--peer", "--peer-script", fake.toString());
            assertEquals(0, r.exitCode(), r.err() + r.out());
            var m = Pattern.compile("(?m)^train +fused +2048 +([0-9,]+) .* ([0-9.]+)x ").matcher(r.out());
            assertTrue(m.find(), r.out());
            double fused = Double.parseDouble(m.group(1).replace(",", ""));
            assertEquals(fused / 1000, Double.parseDouble(m.group(2)), 0.006 + 1e-4 * fused / 1000, r.out());
            assertTrue(Pattern.compile("(?m)^train +pytorch-peer +2048 +1,000 ").matcher(r.out()).find(), r.out());
        } else {
            System.err.println("no /usr/bin/python3: the benchmark's peer-ratio column is not checked");
        }

        r = run("benchmark", "train", "--rounds", "0");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("--rounds must be at least 1, got 0"), r.err());
    }

    @Test void benchmarkMediansKeepFirstSeenOrderAndTheLargestRss() {
        List<java.util.Map<String, Object>> runs = new java.util.ArrayList<>();
        double[][] v = {{100, 1.0, 10}, {50, 9.0, 30}, {300, 3.0, 20}, {10, 5, 5}};
        for (int k = 0; k < v.length; k++) {
            java.util.Map<String, Object> r = new java.util.LinkedHashMap<>();
            r.put("what", "train");
            r.put("engine", k == 3 ? "pytorch-peer" : "fused");
            r.put("batch", 8);
            r.put("samples_per_s", v[k][0]);
            r.put("seconds", v[k][1]);
            if (k < 3) r.put("peak_rss_mb", (long) v[k][2]);
            runs.add(r);
        }
        var rows = BenchmarkCommand.medians(runs);
        assertEquals(2, rows.size());
        assertEquals("fused", rows.get(0).get("engine"));
        assertEquals(100.0, rows.get(0).get("samples_per_s"));
        assertEquals(3.0, rows.get(0).get("seconds"));
        assertEquals(30L, rows.get(0).get("peak_rss_mb"));
        assertEquals("median of 3: 100 / 50 / 300", rows.get(0).get("note"));
        assertNull(rows.get(1).get("note"), "one run: no median note");
        BenchmarkCommand.addPeerRatios(rows);
        assertEquals(10.0, (double) rows.get(0).get("vs_peer"), 1e-12);
        assertFalse(rows.get(1).containsKey("vs_peer"));
    }

    @org.junit.jupiter.api.AfterEach void defaultBlas() { io.ncf.core.blas.Blas.select("auto"); } // --blas is JVM-wide

    @Test void blasChoosesTheFusedEnginesGemmLibrary() {
        Result r = run(args("--blas", "openblas"));
        assertEquals(0, r.exitCode(), r.err() + r.out());
        assertTrue(r.out().contains("Fused engine gemm: OpenBLAS"), r.out());

        r = run(args("--blas", "atlas"));
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("--blas: unknown BLAS 'atlas': expected auto, mkl or openblas"), r.err());

        r = run("benchmark", "eval", "--engine", "fused", "--blas", "openblas,mkl", "--steps", "1", "--warmup", "0",
                "--users", "300", "--items", "200", "--eval-users", "300");
        if (io.ncf.core.blas.Blas.mklAvailable()) {
            assertEquals(0, r.exitCode(), r.err() + r.out());
            assertTrue(r.out().contains("fused openblas") && r.out().contains("gemm: OpenBLAS"), r.out());
            assertTrue(r.out().contains("fused mkl") && r.out().contains("gemm: Intel MKL"), r.out());
        } else {
            System.err.println("Intel MKL cannot be loaded here: the --blas mkl benchmark row is not checked");
        }
    }
}
