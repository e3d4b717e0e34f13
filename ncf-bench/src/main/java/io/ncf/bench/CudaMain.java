package io.ncf.bench;

import io.ncf.cuda.CudaProbe;
import io.ncf.cuda.Precision;

import io.ncf.model.DropoutMask;
import io.ncf.core.NeuMFConfig;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Command line of the GPU runtime (it runs from a small classpath with no ND4J):
 * <pre>
 *   probe                                   is a GPU usable? (exit 1 with a clear message if not)
 *   check FILE                              GPU vs CPU-engine reference cases (loss, gradients, Adam), sampler, evaluation
 *   bench-train [--precision P] [--steps N] [--batch B] [--epochs E] [--dropout D]   ml-20m-shaped random data
 *   bench-eval  [--precision P]             evaluation of 138,493 users × 101 candidates
 *   multi [--gpus 1,2,4] [--precision P] [--steps N]   NCCL data-parallel: equivalence after N steps, scaling
 *   shards [--gpus 2,4,8] [--precision P] [--check-steps N]   user-sharded ranks against one GPU (ShardsCheck;
 *                                           NCF_CUDA_SHARE_GPU=1 puts them all on GPU 0)
 *   gen-ratings OUT.csv [--rows N]          an ml-20m-shaped ratings.csv for 'ncf prepare' (see SyntheticRatings)
 *   rank REF [--precision P] [--max-pairs N] [--users N]   top-10 for every user of the ml-20m shape, checked against
 *                                           the CPU kernel's answers in REF (RankBench.writeReference), then full-ranking ranks
 * </pre>
 * Exit codes: 0 success, 1 failure (check out of tolerance, no GPU), 2 usage.
 */
public final class CudaMain {

    static final int ML20M_USERS = 138_493, ML20M_ITEMS = 26_744, ML20M_POSITIVES = 19_861_770;

    public static void main(String[] args) {
        Locale.setDefault(Locale.ROOT);
        if (args.length == 0) usage("missing command");
        if (!args[0].equals("gen-ratings")) { // the one command that needs no GPU
            CudaProbe.Result probe = CudaProbe.probe();
            System.out.println(probe.message());
            if (!probe.available()) System.exit(1);
        }
        Options o = new Options(args);
        int rc;
        try {
            rc = switch (args[0]) {
                case "probe" -> 0;
                case "check" -> Check.run(Path.of(o.positional(1, "check needs the reference-case file")));
                case "bench-train" -> Bench.train(o);
                case "bench-eval" -> Bench.eval(o);
                case "multi" -> MultiGpu.run(o);
                case "shards" -> ShardsCheck.run(o);
                case "train" -> TrainFile.run(o);
                case "gen-ratings" -> SyntheticRatings.run(o);
                case "rank" -> RankBench.run(o);
                default -> { usage("unknown command '" + args[0] + "'"); yield 2; }
            };
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            rc = 2;
        } catch (Exception e) {
            System.err.println("error: " + e);
            e.printStackTrace();
            rc = 1;
        }
        System.exit(rc);
    }

    static void usage(String why) {
        System.err.println("ncf-cuda: " + why + "\nusage: probe | check FILE | bench-train [--precision fp32|tf32|fp16|bf16] [--steps N] [--batch B] [--epochs E]"
                + " | bench-eval [--precision P] | multi [--gpus 1,2,4] [--precision P] [--steps N] | shards [--gpus 2,4,8] [--precision P] [--check-steps N]");
        System.exit(2);
    }

    /** --name value options after the command. */
    static final class Options {
        private final String[] args;
        Options(String[] args) { this.args = args; }

        String positional(int i, String missing) {
            if (args.length <= i || args[i].startsWith("--")) throw new IllegalArgumentException(missing);
            return args[i];
        }

        String get(String name, String def) {
            for (int i = 1; i < args.length - 1; i++) if (args[i].equals("--" + name)) return args[i + 1];
            return def;
        }

        int getInt(String name, int def) {
            String v = get(name, null);
            try {
                return v == null ? def : Integer.parseInt(v.replace("_", ""));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--" + name + " needs an integer, got '" + v + "'");
            }
        }

        float getFloat(String name, float def) {
            String v = get(name, null);
            try {
                return v == null ? def : Float.parseFloat(v);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--" + name + " needs a number, got '" + v + "'");
            }
        }

        Precision precision() { return Precision.parse(get("precision", "fp32")); }
    }

    static NeuMFConfig ml20m(float dropout) {
        return new NeuMFConfig(ML20M_USERS, ML20M_ITEMS, NeuMFConfig.DEFAULT_FACTORS, NeuMFConfig.DEFAULT_LAYERS, dropout);
    }

    /** Random positives of the ml-20m shape (users uniform, items skewed like a popularity curve). */
    static int[][] randomPositives(int users, int items, int count, long seed) {
        Random r = new Random(seed);
        int[] u = new int[count], i = new int[count];
        for (int k = 0; k < count; k++) {
            u[k] = r.nextInt(users);
            double x = r.nextDouble();
            i[k] = Math.min(items - 1, (int) (items * x * x));
        }
        return new int[][]{u, i};
    }

    static List<Integer> parseList(String s) {
        List<Integer> out = new ArrayList<>();
        for (String p : s.split(",")) out.add(Integer.parseInt(p.trim()));
        return out;
    }

    static DropoutMask maskFor(long seed, long step, float rate) { return DropoutMask.forStep(seed, step, rate); }
}
