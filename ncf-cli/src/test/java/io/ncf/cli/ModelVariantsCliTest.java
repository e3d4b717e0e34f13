package io.ncf.cli;

import io.ncf.model.ModelIO;
import io.ncf.serve.ModelArtifact;
import io.ncf.train.TrainingStateFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.ncf.cli.CliTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

/** --model, --pretrain-gmf/--pretrain-mlp and 'ncf compare' on a tiny prepared dataset. */
class ModelVariantsCliTest {

    @TempDir static Path tmp;
    static Path data, gmfDir, mlpDir;
    static final String[] SHAPE = {"--factors", "8", "--layers", "16", "8", "-b", "256", "--eval-after", "0", "-k", "5", "--seed", "2"};

    @BeforeAll static void prepareAndTrainGmfAndMlp() throws Exception {
        StringBuilder sb = new StringBuilder();
        java.util.Random rnd = new java.util.Random(1);
        for (int u = 0; u < 40; u++) for (int k = 0; k < 20; k++) sb.append(u).append(',').append((u + k * 3 + rnd.nextInt(2)) % 50).append(',').append(1000 + k).append('\n');
        Path csv = tmp.resolve("r.csv");
        Files.writeString(csv, sb.toString());
        data = tmp.resolve("ds");
        Result p = run("prepare", "--input", csv.toString(), "--format", "csv", "--timestamp-column", "2", "--output", data.toString(),
                "--valid-negative", "10", "--min-ratings", "5");
        assertEquals(0, p.exitCode(), p.err());
        gmfDir = tmp.resolve("gmf");
        mlpDir = tmp.resolve("mlp");
        Result g = train("--model", "gmf", "-e", "2", "--checkpoint-dir", gmfDir.toString());
        assertEquals(0, g.exitCode(), g.err());
        assertTrue(g.out().contains("Model: gmf NeuMFConfig"), g.out());
        Result m = train("--model", "mlp", "-e", "2", "--checkpoint-dir", mlpDir.toString());
        assertEquals(0, m.exitCode(), m.err());
    }

    static Result train(String... extra) {
        List<String> a = new ArrayList<>(List.of("train", "--data", data.toString()));
        a.addAll(List.of(SHAPE));
        a.addAll(List.of(extra));
        return run(a.toArray(String[]::new));
    }

    @Test void theKindIsRecordedInEveryFileAndKeptOnResume() throws Exception {
        assertEquals("gmf", ModelArtifact.read(gmfDir.resolve("model.zip")).metadata().get("model"));
        assertEquals("gmf", ModelIO.read(gmfDir.resolve("model.ncf")).meta().get("model"));
        assertEquals("mlp", TrainingStateFile.read(mlpDir).run().get("model"));
        Path dir = tmp.resolve("resume-mf");
        assertEquals(0, train("--model", "mf", "-e", "1", "--checkpoint-dir", dir.toString()).exitCode());
        Result r = run("train", "--resume", dir.toString(), "-e", "2");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("Model: mf NeuMFConfig"), r.out());
        assertEquals("mf", TrainingStateFile.read(dir).run().get("model"));
        Result changed = run("train", "--resume", dir.toString(), "-e", "3", "--model", "neumf");
        assertEquals(2, changed.exitCode());
        assertTrue(changed.err().contains("--model: saved mf, given neumf"), changed.err());
        Result same = run("train", "--resume", dir.toString(), "-e", "3", "--model", "mf");
        assertEquals(0, same.exitCode(), "the saved value given again is accepted: " + same.err());
    }

    @Test void evaluateAndTestModeNameTheKind() {
        Result e = run("evaluate", "--model", gmfDir.resolve("model.zip").toString(), "--data", data.toString(), "-k", "5");
        assertEquals(0, e.exitCode(), e.err());
        assertTrue(e.out().contains("(gmf)"), e.out());
        Result t = run("train", "--data", data.toString(), "--mode", "test", "-k", "5", "--load-checkpoint-path", mlpDir.resolve("model.ncf").toString());
        assertEquals(0, t.exitCode(), t.err());
        assertTrue(t.out().contains("Model: mlp"), t.out());
        Result wrong = train("--model", "gmf", "-e", "1", "--load-checkpoint-path", mlpDir.resolve("model.ncf").toString());
        assertEquals(2, wrong.exitCode());
        assertTrue(wrong.err().contains("holds a mlp model, not --model gmf"), wrong.err());
    }

    @Test void anUnknownModelIsAUsageErrorListingTheKinds() {
        Result r = run("train", "--data", data.toString(), "-e", "1", "--model", "foo");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("unknown model kind 'foo' (expected neumf, gmf, mlp, mf or pop)"), r.err());
    }

    @Test void popEvaluatesUnderBothProtocols() {
        Result r = run("train", "--data", data.toString(), "--model", "pop", "-k", "5");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().matches("(?s).*sampled: HR@5 = 0\\.\\d{4}, NDCG@5 = 0\\.\\d{4}.*"), r.out());
        assertTrue(r.out().matches("(?s).*full: HR@5 = 0\\.\\d{4}, NDCG@5 = 0\\.\\d{4}.*"), r.out());
        Result bad = run("train", "--data", data.toString(), "--model", "pop", "--checkpoint-dir", tmp.resolve("x").toString());
        assertEquals(2, bad.exitCode());
        assertTrue(bad.err().contains("--model pop has no parameters"), bad.err());
        Result unknown = run("train", "--model", "svd");
        assertEquals(2, unknown.exitCode());
        assertTrue(unknown.err().contains("unknown model kind 'svd'"), unknown.err());
    }

    @Test void pretrainedNeuMFTrains() {
        Result r = train("-e", "1", "--pretrain-gmf", gmfDir.resolve("model.ncf").toString(), "--pretrain-mlp", mlpDir.resolve("model.zip").toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("Model: neumf (pre-trained)"), r.out());
    }

    @Test void badPretrainingFilesAreRefusedClearly() {
        String gmf = gmfDir.resolve("model.ncf").toString(), mlp = mlpDir.resolve("model.ncf").toString();
        assertRefused(train("--pretrain-gmf", gmf), "needs both --pretrain-gmf FILE and --pretrain-mlp FILE");
        assertRefused(train("--pretrain-gmf", mlp, "--pretrain-mlp", gmf), "--pretrain-gmf " + mlp + " holds a mlp model, not a gmf model");
        assertRefused(train("--pretrain-gmf", gmf, "--pretrain-mlp", gmf), "--pretrain-mlp " + gmf + " holds a gmf model, not a mlp model");
        assertRefused(train("--pretrain-gmf", gmf, "--pretrain-mlp", mlpDir.resolve("state.ncf").toString()), "is a training state (for --resume), not a model checkpoint");
        assertRefused(train("--pretrain-gmf", tmp.resolve("nope.ncf").toString(), "--pretrain-mlp", mlp), "--pretrain-gmf: checkpoint " + tmp.resolve("nope.ncf") + " does not exist");
        assertRefused(train("--model", "gmf", "--pretrain-gmf", gmf, "--pretrain-mlp", mlp), "initialise --model neumf, not gmf");
        List<String> other = new ArrayList<>(List.of("train", "--data", data.toString(), "--factors", "4", "--layers", "16", "8", "-b", "256", "--seed", "2",
                "--pretrain-gmf", gmf, "--pretrain-mlp", mlp));
        assertRefused(run(other.toArray(String[]::new)), "--pretrain-gmf: ");
    }

    @Test void compareTrainsEachModelAndPrintsTheTable() throws Exception {
        Path table = tmp.resolve("out/table.md");
        Result r = run("compare", "--data", data.toString(), "--models", "pop,mf,neumf-pretrain", "-k", "5", "--seed", "2", "-e", "1", "-b", "256",
                "--factors", "8", "--layers", "16", "8", "--eval-after", "0", "--output", table.toString());
        assertEquals(0, r.exitCode(), r.err() + r.out());
        String t = Files.readString(table);
        assertTrue(r.out().contains(t), "the table is printed too");
        String[] lines = t.split("\n");
        assertEquals("| model | sampled HR@5 | sampled NDCG@5 | full HR@5 | full NDCG@5 | best epoch | time s |", lines[0]);
        assertTrue(lines[2].startsWith("| pop | 0."), lines[2]);
        assertTrue(lines[3].startsWith("| mf | 0."), lines[3]);
        assertTrue(lines[4].startsWith("| neumf-pretrain | 0."), lines[4]);
        assertEquals("", lines[5]);
        assertTrue(t.contains("Every model trained with: -e 1 -b 256 --factors 8 --layers 16 8 --eval-after 0 --seed 2 -k 5"), t);
        assertTrue(r.out().contains("== gmf: ncf train") && r.out().contains("== mlp: ncf train"), "pre-training trains gmf and mlp first");
        Result reserved = run("compare", "--data", data.toString(), "--model", "gmf");
        assertEquals(2, reserved.exitCode());
        assertTrue(reserved.err().contains("--model is set by 'ncf compare'"), reserved.err());
        Result unknown = run("compare", "--data", data.toString(), "--models", "pop,bpr");
        assertEquals(2, unknown.exitCode());
        assertTrue(unknown.err().contains("unknown model 'bpr'"), unknown.err());
    }

    private static void assertRefused(Result r, String message) {
        assertEquals(2, r.exitCode(), r.out() + r.err());
        assertTrue(r.err().contains(message), "expected '" + message + "' in: " + r.err());
    }
}
