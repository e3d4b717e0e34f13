package io.ncf.cli;

import io.ncf.data.DatasetStore;
import io.ncf.data.DemoData;
import io.ncf.data.Preprocessor;
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
 * The GPU machine gets no ND4J (its natives alone are 90 MB): this runs, in a child JVM whose class path has no
 * nd4j-api, nd4j-native or OpenBLAS jar, what {@code --engine cuda} does on the host (dataset, log lines, JSON log,
 * flat checkpoint writers: {@link ThinClassPathSmoke}) and {@code ncf train --engine cuda} itself, which must stop
 * at the GPU probe (no GPU here) with its one-line message, not with a NoClassDefFoundError.
 */
class ThinClassPathTest {

    @TempDir Path tmp;

    /** This JVM's class path without ND4J's API and native jars and OpenBLAS (nd4j-common, plain utilities, stays). */
    private static String thinClassPath() {
        return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> !(e.contains("nd4j-api") || e.contains("nd4j-native") || e.contains("openblas") || e.contains("nd4j-cuda")))
                .collect(Collectors.joining(File.pathSeparator));
    }

    private static String[] runJava(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-cp", thinClassPath()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child JVM did not finish");
        return new String[]{Integer.toString(p.exitValue()), out};
    }

    @Test void cudaPathLoadsNoNd4jClass() throws Exception {
        assertFalse(thinClassPath().contains("nd4j-api"));
        Path data = tmp.resolve("demo");
        DatasetStore.save(new Preprocessor(new Preprocessor.Options(20, 20, 3)).run(DemoData.raw(3)), data);

        String[] smoke = runJava(ThinClassPathSmoke.class.getName(), data.toString(), tmp.resolve("ckpt").toString());
        assertEquals("0", smoke[0], smoke[1]);
        assertTrue(smoke[1].contains("thin class path OK") && smoke[1].contains("no ND4J on the class path"), smoke[1]);
        assertTrue(smoke[1].contains("New Best Epoch: 00"), smoke[1]);
        assertTrue(Files.size(tmp.resolve("ckpt").resolve("model.ncf")) > 0 && Files.size(tmp.resolve("ckpt").resolve("model.zip")) > 0);

        String[] train = runJava(NcfCli.class.getName(), "train", "--engine", "cuda", "--data", data.toString(), "-e", "1");
        assertFalse(train[1].contains("NoClassDefFoundError") || train[1].contains("ClassNotFoundException"), train[1]);
        if (!train[0].equals("0")) { // no GPU here (CI): the probe's one line
            assertEquals("1", train[0], train[1]);
            assertTrue(train[1].contains("ncf: CUDA is not available") || train[1].contains("ncf: no CUDA GPU"), train[1]);
        }
    }
}
