package io.ncf.cli;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static io.ncf.cli.CliTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Issue 5's comparison on MovieLens 100K: `ncf compare` trains mf, gmf, mlp, neumf and pre-trained neumf with the
 * same flags and evaluates them and pop under both protocols. Fewer epochs than the README's table (5, not 10) to
 * keep it to a few minutes on 2 cores; the floors sit a little below what such a run gives. NeuMF's 0.62 at 20
 * epochs is MovieLensEndToEndTest's check; here 5 epochs give 0.635.
 */
@Tag("e2e")
class CompareEndToEndTest {

    @TempDir Path tmp;

    @Test void movieLens100kTable() throws Exception {
        Path ratings = sharedData("ml-100k/u.data");
        Path table = tmp.resolve("table.md");
        Result r = run("compare", "--input", ratings.toString(), "--format", "ml-100k", "-e", "5", "-b", "4096", "--eval-after", "2", "--seed", "1",
                "--output", table.toString());
        assertEquals(0, r.exitCode(), r.err() + r.out());
        String t = Files.readString(table);
        System.out.println(t);
        Map<String, double[]> rows = new HashMap<>();
        for (String line : t.split("\n")) {
            String[] c = line.split("\\|");
            if (c.length < 6 || !c[2].trim().matches("[0-9.]+")) continue;
            rows.put(c[1].trim(), new double[]{Double.parseDouble(c[2]), Double.parseDouble(c[3]), Double.parseDouble(c[4]), Double.parseDouble(c[5])});
        }
        assertEquals(java.util.Set.of("pop", "als", "mf", "gmf", "mlp", "neumf", "neumf-als", "neumf-pretrain"), rows.keySet(), t);
        double pop = rows.get("pop")[0];
        // sampled HR@10 floors a little below a measured run of this test (mf 0.540, gmf 0.451, mlp 0.555, neumf 0.635,
        // neumf-pretrain 0.603, pop 0.412; 11 minutes on 2 cores at load average 10, about 4-5 idle); README: 10 epochs
        // als (rank 128, regParam 1, alpha 10, 15 iterations): 0.643 measured alone on this split; neumf-als 0.664 (and als
        // 0.643, neumf 0.631 beside it) with --models als,neumf,neumf-als
        Map<String, Double> floor = Map.of("als", 0.60, "mf", 0.50, "gmf", 0.43, "mlp", 0.51, "neumf", 0.60, "neumf-als", 0.62, "neumf-pretrain", 0.56);
        double randomFullHr = 10.0 / 1682; // a random ranking over (nearly) every item
        for (var e : floor.entrySet()) {
            double[] v = rows.get(e.getKey());
            assertTrue(v[0] >= e.getValue(), e.getKey() + ": sampled HR@10 " + v[0] + " < " + e.getValue() + "\n" + t);
            assertTrue(v[2] > 5 * randomFullHr, e.getKey() + ": full HR@10 " + v[2] + " is not well above random (" + randomFullHr + ")\n" + t);
        }
        for (String m : new String[]{"als", "mf", "mlp", "neumf", "neumf-als", "neumf-pretrain"})
            assertTrue(rows.get(m)[0] > pop, m + " sampled HR@10 " + rows.get(m)[0] + " does not beat popularity's " + pop + "\n" + t);
    }
}
