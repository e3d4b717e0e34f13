package io.ncf.model;

import io.ncf.core.NeuMFConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Times a full ml-20m-shaped checkpoint (params + Adam m and v, 382 MB) through {@link ModelIO}.
 * <pre>java ... io.ncf.model.ModelIOBench [directory=/tmp] [rounds=3]</pre>
 */
public final class ModelIOBench {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : System.getProperty("java.io.tmpdir"));
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        NeuMFConfig cfg = NeuMFConfig.defaults(138_493, 26_744);
        Map<String, ParamSet> sections = new LinkedHashMap<>();
        sections.put("params", ParamSet.initialize(cfg, 1));
        sections.put("adam_m", ParamSet.initialize(cfg, 2));
        sections.put("adam_v", ParamSet.initialize(cfg, 3));
        Path f = dir.resolve("modelio-bench-" + ProcessHandle.current().pid() + ".ncf");
        try {
            System.out.printf("%-6s %10s %10s %12s %12s%n", "round", "MB", "write s", "write MB/s", "read MB/s");
            for (int r = 1; r <= rounds; r++) {
                long t0 = System.nanoTime();
                ModelIO.write(f, cfg, Map.of("round", Integer.toString(r)), sections);
                long t1 = System.nanoTime();
                ModelIO.Loaded l = ModelIO.read(f);
                long t2 = System.nanoTime();
                if (!l.section("adam_v").get(ParamSet.MF_USER).equals(sections.get("adam_v").get(ParamSet.MF_USER)))
                    throw new AssertionError("round trip differs");
                double mb = Files.size(f) / 1e6;
                System.out.printf("%-6d %10.1f %10.2f %12.0f %12.0f%n", r, mb, (t1 - t0) / 1e9, mb / ((t1 - t0) / 1e9), mb / ((t2 - t1) / 1e9));
            }
        } finally {
            Files.deleteIfExists(f);
        }
    }
}
