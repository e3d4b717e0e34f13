package io.ncf.core.blas;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What this machine's processor offers the kernels, read at run time (machines differ from run to run): the model
 * name, the cores the JVM may use, and the vector extensions that decide FP32 speed (AVX2, AVX-512) and 16-bit
 * speed (AVX512-BF16, AVX512-FP16, AMX-BF16). Printed beside every benchmark figure.
 */
public record CpuFeatures(String model, int cores, Set<String> flags) {

    /** The extensions worth naming, in the order printed. */
    public static final List<String> NOTABLE = List.of("avx2", "fma", "avx512f", "avx512_bf16", "avx512_fp16", "amx_bf16", "amx_fp16", "amx_tile");

    /** This machine (flags empty where /proc/cpuinfo cannot be read). */
    public static CpuFeatures detect() {
        String model = System.getProperty("os.arch");
        Set<String> flags = new LinkedHashSet<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                int colon = line.indexOf(':');
                if (colon < 0) continue;
                String key = line.substring(0, colon).trim(), value = line.substring(colon + 1).trim();
                if (key.equals("model name") && model.equals(System.getProperty("os.arch"))) model = value;
                if (key.equals("flags") && flags.isEmpty()) for (String f : value.split("\\s+")) flags.add(f);
            }
        } catch (Exception ignored) {
            // not Linux: the model is the architecture and no flags are known
        }
        return new CpuFeatures(model, Runtime.getRuntime().availableProcessors(), flags);
    }

    public boolean has(String flag) { return flags.contains(flag); }

    /** One line: model, cores, the notable extensions present and those missing. */
    public String line() {
        List<String> have = new ArrayList<>(), lack = new ArrayList<>();
        for (String f : NOTABLE) (has(f) ? have : lack).add(f);
        return String.format("CPU: %s, %d cores; %s%s", model, cores, have.isEmpty() ? "no notable vector extensions" : String.join(" ", have),
                lack.isEmpty() || flags.isEmpty() ? "" : " (no " + String.join(", ", lack) + ")");
    }
}
