package io.ncf.train;

import io.ncf.model.ModelKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class RecipeTest {

    @TempDir Path dir;

    @Test
    void seedRecipeIsTheDefaults() {
        Recipe s = Recipe.seed();
        TrainingOptions d = TrainingOptions.defaults();
        assertEquals(d, s.apply(d), "the seed's recipe changes nothing of the default options");
        assertEquals(ModelKind.NEUMF, s.model());
        assertArrayEquals(new int[]{256, 256, 128, 64}, s.layers());
        assertEquals(64, s.factors());
        assertEquals(0.5f, s.dropout());
        assertEquals(s, Recipe.builtIn("SEED").orElseThrow());
        assertTrue(Recipe.builtIn("nope").isEmpty());
    }

    @Test
    void roundTripsThroughItsFileExactly() throws Exception {
        Recipe r = new Recipe(ModelKind.GMF, 48, new int[]{128, 64, 32}, 0.2f, 12, 2048, 6, 7.3e-4f, 0.9f, 0.999f, 0.05f, 1.3e-5f);
        Path f = dir.resolve("sub/recipe.txt");
        r.write(f, List.of("made by a test"));
        String text = Files.readString(f);
        assertTrue(text.startsWith("# made by a test\n"), text);
        assertTrue(text.contains("learning_rate = 7.3E-4") || text.contains("learning_rate = 7.3e-4"), text);
        Recipe back = Recipe.read(f);
        assertEquals(r, back);
        assertEquals(Float.floatToIntBits(r.learningRate()), Float.floatToIntBits(back.learningRate()), "no ulp lost");
        TrainingOptions o = back.apply(TrainingOptions.defaults());
        assertEquals(12, o.epochs());
        assertEquals(2048, o.batchSize());
        assertEquals(6, o.negatives());
        assertEquals(0.05f, o.embeddingL2());
        assertEquals(1.3e-5f, o.weightL2());
        assertEquals(TrainingOptions.defaults().topK(), o.topK(), "what a recipe does not hold is kept");
        assertEquals(Start.Kind.RANDOM, back.start().kind(), "a recipe starts at random unless it says otherwise");

        Recipe als = r.withStart(new Start(Start.Kind.ALS, 0.3f, 20f, Start.DEFAULT_ALS_ITERATIONS));
        als.write(f, List.of());
        assertTrue(Files.readString(f).contains("start = als\nals_reg = 0.3\nals_alpha = 20\n"), Files.readString(f));
        assertEquals(als, Recipe.read(f));
        assertEquals(0.3f, Recipe.read(f).start().alsReg());
    }

    @Test
    void keysLeftOutKeepTheSeedValues() throws Exception {
        Path f = dir.resolve("partial.txt");
        Files.writeString(f, "# only two\nepochs = 5\n\nlayers = 64, 32, 16\n");
        Recipe r = Recipe.read(f);
        assertEquals(5, r.epochs());
        assertArrayEquals(new int[]{64, 32, 16}, r.layers());
        assertEquals(Recipe.seed().batchSize(), r.batchSize());
    }

    @Test
    void badFilesNameFileLineAndKey() throws Exception {
        assertMessage("epochs = 5\nlearning_rate = fast\n", "line 2, key 'learning_rate': 'fast' is not a finite number");
        assertMessage("epochs = 5\nwarmup = 3\n", "line 2: unknown key 'warmup'");
        assertMessage("epochs = 5\nepochs = 6\n", "line 2: key 'epochs' was already given on line 1");
        assertMessage("just words\n", "line 1: expected 'key = value'");
        assertMessage("model = resnet\n", "line 1, key 'model': unknown model kind 'resnet'");
        assertMessage("layers = 64 x 16\n", "line 1, key 'layers': '64 x 16' is not a list of integers");
        assertMessage("batch_size = 0\n", "batchSize must be positive");
        assertMessage("epochs = 5\nstart = warm\n", "line 2, key 'start': unknown start 'warm' (expected random or als)");
        assertMessage("start = als\nals_alpha = -1\n", "line 2, key 'als_alpha': alpha must be ≥ 0");
        assertMessage("model = mlp\nstart = als\n", "start als sets the GMF branch, which a mlp model does not have");
        Recipe.RecipeException e = assertThrows(Recipe.RecipeException.class, () -> Recipe.read(dir.resolve("missing.txt")));
        assertTrue(e.getMessage().contains("missing.txt"), e.getMessage());
    }

    private void assertMessage(String content, String expected) throws Exception {
        Path f = dir.resolve("bad.txt");
        Files.writeString(f, content);
        Recipe.RecipeException e = assertThrows(Recipe.RecipeException.class, () -> Recipe.read(f));
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(expected), "expected '" + expected + "' in: " + e.getMessage());
    }
}
