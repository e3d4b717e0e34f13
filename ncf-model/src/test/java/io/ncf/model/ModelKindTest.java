package io.ncf.model;

import io.ncf.core.NeuMFConfig;

import io.ncf.model.fused.FusedCpuEngine;
import io.ncf.model.samediff.SameDiffEngine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.FloatBuffer;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** The variants are NeuMF with part of final_w fixed: check that their scores are exactly the variant's function. */
class ModelKindTest {

    static final NeuMFConfig C = new NeuMFConfig(7, 9, 4, new int[]{6, 5, 3}, 0.5f);

    /** Parameters with every entry non-zero (biases too), so a branch that leaked into the score would show. */
    static ParamSet random(ModelKind kind, long seed) {
        ParamSet p = ParamSet.initialize(C, seed);
        Random r = new Random(seed);
        for (String n : p.names()) {
            FloatBuffer b = p.get(n).data().asNioFloat();
            for (int k = 0; k < p.get(n).length(); k++) b.put(k, (float) r.nextGaussian());
        }
        return kind.shape(p);
    }

    static float f(ParamSet p, String name, int i) { return p.get(name).data().asNioFloat().get(i); }

    @Test void shapeFixesTheAbsentBranchOfFinalW() {
        int f = C.factors(), n = C.finalInputDim();
        ParamSet gmf = random(ModelKind.GMF, 1), mlp = random(ModelKind.MLP, 1), mf = random(ModelKind.MF, 1), neumf = random(ModelKind.NEUMF, 1);
        for (int r = 0; r < n; r++) {
            boolean g = r < f;
            assertEquals(g, f(gmf, ParamSet.FINAL_W, r) != 0f, "gmf row " + r);
            assertEquals(!g, f(mlp, ParamSet.FINAL_W, r) != 0f, "mlp row " + r);
            assertEquals(g ? 1f : 0f, f(mf, ParamSet.FINAL_W, r), "mf row " + r);
            assertNotEquals(0f, f(neumf, ParamSet.FINAL_W, r), "neumf row " + r);
        }
    }

    @Test void gmfScoreIsTheWeightedElementwiseProductPlusBias() {
        ParamSet p = random(ModelKind.GMF, 2);
        assertScores(p, (u, i) -> {
            double s = f(p, ParamSet.FINAL_B, 0);
            for (int j = 0; j < C.factors(); j++)
                s += (double) f(p, ParamSet.MF_USER, u * C.factors() + j) * f(p, ParamSet.MF_ITEM, i * C.factors() + j) * f(p, ParamSet.FINAL_W, j);
            return s;
        });
    }

    @Test void mfScoreIsTheDotProductPlusBias() {
        ParamSet p = random(ModelKind.MF, 3);
        assertScores(p, (u, i) -> {
            double s = f(p, ParamSet.FINAL_B, 0);
            for (int j = 0; j < C.factors(); j++)
                s += (double) f(p, ParamSet.MF_USER, u * C.factors() + j) * f(p, ParamSet.MF_ITEM, i * C.factors() + j);
            return s;
        });
    }

    @Test void mlpScoreIgnoresTheGmfTables() {
        ParamSet p = random(ModelKind.MLP, 4), q = p.copy();
        q.get(ParamSet.MF_USER).muli(-3); // any GMF table: the MLP model's scores must not move
        q.get(ParamSet.MF_ITEM).addi(5);
        float[] a = scores(p), b = scores(q);
        assertArrayEquals(a, b);
        assertNotEquals(scores(random(ModelKind.NEUMF, 4))[0], a[0]); // while NeuMF's would
    }

    @ParameterizedTest @EnumSource(ModelKind.class)
    void zeroFrozenClearsExactlyTheFrozenEntries(ModelKind kind) {
        ParamSet g = random(ModelKind.NEUMF, 5);
        kind.zeroFrozen(g);
        int f = C.factors();
        for (String n : g.names()) {
            FloatBuffer b = g.get(n).data().asNioFloat();
            for (int k = 0; k < g.get(n).length(); k++) {
                boolean gmfPart = n.equals(ParamSet.MF_USER) || n.equals(ParamSet.MF_ITEM) || n.equals(ParamSet.FINAL_W) && k < f;
                boolean frozen = n.equals(ParamSet.FINAL_W) && kind == ModelKind.MF
                        || !n.equals(ParamSet.FINAL_B) && (gmfPart ? !kind.hasGmf() : !kind.hasMlp());
                assertEquals(frozen, b.get(k) == 0f, kind + " " + n + "[" + k + "]");
            }
        }
    }

    @Test void kindsReadFromMetadataDefaultToNeuMF() {
        assertEquals(ModelKind.NEUMF, ModelKind.fromMetadata(Map.of("epoch", "3")));
        assertEquals(ModelKind.GMF, ModelKind.fromMetadata(Map.of("model", "gmf")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelKind.fromMetadata(Map.of("model", "svd")));
        assertTrue(e.getMessage().contains("svd"), e.getMessage());
    }

    interface Logit { double of(int u, int i); }

    private static void assertScores(ParamSet p, Logit expected) {
        float[] got = scores(p);
        for (int u = 0, k = 0; u < C.numUsers(); u++)
            for (int i = 0; i < C.numItems(); i++, k++)
                assertEquals(expected.of(u, i), got[k], 1e-4 * (1 + Math.abs(expected.of(u, i))), "user " + u + " item " + i);
        float[] graph = new float[got.length];
        int[][] pairs = allPairs();
        try (SameDiffEngine e = new SameDiffEngine(p)) {
            e.score(pairs[0], pairs[1], got.length, graph);
        }
        for (int k = 0; k < got.length; k++) assertEquals(got[k], graph[k], 1e-4 * (1 + Math.abs(got[k])), "graph vs fused at " + k);
    }

    /** Fused engine scores of every (user, item) pair, user-major. */
    private static float[] scores(ParamSet p) {
        int[][] pairs = allPairs();
        float[] out = new float[pairs[0].length];
        try (FusedCpuEngine e = new FusedCpuEngine(p, 64, 1)) {
            e.parametersChanged();
            e.score(pairs[0], pairs[1], out.length, out);
        }
        return out;
    }

    private static int[][] allPairs() {
        int n = C.numUsers() * C.numItems();
        int[] us = new int[n], is = new int[n];
        for (int u = 0, k = 0; u < C.numUsers(); u++)
            for (int i = 0; i < C.numItems(); i++, k++) { us[k] = u; is[k] = i; }
        return new int[][]{us, is};
    }
}
