package io.ncf.train;

import io.ncf.core.NeuMFConfig;
import io.ncf.model.ParamInit;
import io.ncf.train.engine.EngineState;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Cost of the per-epoch training state (params + Adam m and v) at ml-20m size. Prints a table; no assertions. */
public final class StateWriteBench {
    public static void main(String[] args) throws Exception {
        int users = args.length > 0 ? Integer.parseInt(args[0]) : 138_493, items = args.length > 1 ? Integer.parseInt(args[1]) : 26_744;
        NeuMFConfig c = NeuMFConfig.defaults(users, items);
        float[] p = ParamInit.nvidia(c, 1), m = ParamInit.nvidia(c, 2), v = ParamInit.nvidia(c, 3);
        TrainingState s = new TrainingState(1, 100, 0.5, 0.3, 0, -1, Double.NaN, 1, 10, new EngineState(c, p, m, v, 100, Float.NaN, 0));
        Path dir = Files.createTempDirectory("state-bench");
        System.out.printf("%-10s %10s %10s %10s%n", "run", "MiB", "write s", "read s");
        for (int r = 0; r < 3; r++) {
            long t0 = System.nanoTime();
            TrainingStateFile.write(dir, s, TrainingOptions.defaults(), Map.of());
            long t1 = System.nanoTime();
            TrainingStateFile.read(dir);
            long t2 = System.nanoTime();
            System.out.printf("%-10d %10.1f %10.3f %10.3f%n", r, Files.size(TrainingStateFile.in(dir)) / 1048576.0, (t1 - t0) / 1e9, (t2 - t1) / 1e9);
        }
        Files.delete(TrainingStateFile.in(dir));
        Files.delete(dir);
    }
}
