package io.ncf.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The GPU harness ({@link CudaMain}) runs on the device bundle's class path, which has no ND4J jar: in a child JVM
 * whose class path has no nd4j-api, nd4j-native or OpenBLAS jar, {@code gen-ratings} (no GPU needed) must work and
 * {@code probe} must end with the probe's message (no GPU here: exit 1), never with a NoClassDefFoundError.
 */
class ThinClassPathHarnessTest {

    @TempDir Path tmp;

    private static String thinClassPath() {
        return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> !(e.contains("nd4j-api") || e.contains("nd4j-native") || e.contains("openblas") || e.contains("nd4j-cuda")))
                .collect(Collectors.joining(File.pathSeparator));
    }

    private static String[] runHarness(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-cp", thinClassPath(),
                CudaMain.class.getName()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child JVM did not finish");
        return new String[]{Integer.toString(p.exitValue()), out};
    }

    @Test void harnessRunsWithoutNd4j() throws Exception {
        assertFalse(thinClassPath().contains("nd4j-api"));
        Path csv = tmp.resolve("ratings.csv");
        String[] gen = runHarness("gen-ratings", csv.toString(), "--users", "50", "--items", "400", "--rows", "5000");
        assertEquals("0", gen[0], gen[1]);
        assertTrue(gen[1].contains("RESULT gen-ratings"), gen[1]);
        List<String> lines = Files.readAllLines(csv);
        assertEquals("userId,movieId,rating,timestamp", lines.get(0));
        assertTrue(lines.size() > 1000, "rows: " + lines.size()); // users with < 20 distinct items are dropped

        String[] probe = runHarness("probe");
        assertFalse(probe[1].contains("NoClassDefFoundError") || probe[1].contains("ClassNotFoundException"), probe[1]);
        if (!probe[0].equals("0")) { // no GPU here (CI): the probe's one message, exit 1
            assertEquals("1", probe[0], probe[1]);
            assertTrue(probe[1].contains("CUDA is not available") || probe[1].contains("no CUDA GPU"), probe[1]);
        }
    }
}
