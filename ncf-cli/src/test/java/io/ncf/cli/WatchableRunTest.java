package io.ncf.cli;

import io.ncf.train.EpochReport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.ncf.cli.CliTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

/** --quiet, --progress and the end-of-training chart, through the CLI. */
class WatchableRunTest {

    @TempDir Path tmp;

    private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    static void assertPng(Path file) throws Exception {
        assertTrue(Files.isRegularFile(file), file + " missing");
        byte[] head = java.util.Arrays.copyOf(Files.readAllBytes(file), 8);
        assertArrayEquals(PNG_MAGIC, head, "PNG signature");
        BufferedImage img = ImageIO.read(file.toFile());
        assertNotNull(img, "ImageIO cannot decode " + file);
        assertEquals(TrainingChart.WIDTH, img.getWidth());
        assertEquals(TrainingChart.HEIGHT, img.getHeight());
    }

    @Test void chartOfEpochsIsAPngOfTheExpectedSize() throws Exception {
        List<EpochReport> epochs = List.of(
                new EpochReport(0, 1, 100, 1, 0.69, false, Double.NaN, 0, Double.NaN, Double.NaN, false),
                new EpochReport(1, 1, 100, 1, 0.50, true, 0.1, 10, 0.40, 0.20, true),
                new EpochReport(2, 1, 100, 1, 0.40, true, 0.1, 10, 0.55, 0.30, true));
        Path f = TrainingChart.write(epochs, 10, tmp.resolve("sub/training.png"));
        assertPng(f);
        try (var s = Files.list(f.getParent())) { assertEquals(1, s.count(), "no temporary file left"); }
    }

    @Test void trainWritesTheChartNextToTheCheckpointUnlessToldNot() throws Exception {
        Path ck = tmp.resolve("ck");
        Result r = run("train", "-e", "2", "--eval-after", "0", "--seed", "3", "--checkpoint-dir", ck.toString(),
                "--factors", "8", "--layers", "16", "8", "--progress", "lines");
        assertEquals(0, r.exitCode(), r.err());
        Path png = ck.resolve(TrainingChart.FILE_NAME);
        assertTrue(r.out().contains("Training chart: " + png.toAbsolutePath()), r.out());
        assertPng(png);

        // recommend and evaluate: --quiet leaves the results and nothing else
        Result rec = run("recommend", "--model", ck.resolve("model.zip").toString(), "--users", "all", "-k", "1", "--quiet");
        assertEquals(0, rec.exitCode(), rec.err());
        assertEquals("", rec.err());
        assertTrue(rec.out().startsWith("user,item,score,rank\n"), rec.out().substring(0, 40));
        Result loudRec = run("recommend", "--model", ck.resolve("model.zip").toString(), "--users", "all", "-k", "1", "--progress", "none");
        assertTrue(loudRec.err().contains("users/s"), loudRec.err());
        assertEquals(loudRec.out(), rec.out());

        Path ck2 = tmp.resolve("ck2");
        r = run("train", "-e", "1", "--seed", "3", "--checkpoint-dir", ck2.toString(), "--factors", "8", "--layers", "16", "8", "--no-chart");
        assertEquals(0, r.exitCode(), r.err());
        assertFalse(Files.exists(ck2.resolve(TrainingChart.FILE_NAME)));
        assertFalse(r.out().contains("Training chart"), r.out());
    }

    @Test void quietKeepsResultsAndDropsInformationalLines() throws Exception {
        Result loud = run("train", "-e", "1", "--seed", "3", "--factors", "8", "--layers", "16", "8", "--progress", "none");
        Result quiet = run("train", "-e", "1", "--seed", "3", "--factors", "8", "--layers", "16", "8", "--quiet");
        assertEquals(0, quiet.exitCode(), quiet.err());
        assertTrue(loud.out().contains("Backend:") && loud.out().contains("Model:"), loud.out());
        assertFalse(quiet.out().contains("Backend:") || quiet.out().contains("Model:") || quiet.out().contains("demo data"), quiet.out());
        assertTrue(quiet.out().contains("New Best Epoch: 00"), quiet.out());
        assertTrue(quiet.out().contains("Best HR:"), quiet.out());
        assertEquals("", quiet.err());

        StringBuilder sb = new StringBuilder();
        for (int u = 0; u < 25; u++) for (int k = 0; k < 20; k++) sb.append(u).append('\t').append((u + k * 3) % 40).append("\t5\t").append(1000 + k).append('\n');
        Path udata = tmp.resolve("u.data");
        Files.writeString(udata, sb.toString());
        Result p = run("prepare", "--input", udata.toString(), "--format", "ml-100k", "--output", tmp.resolve("ds").toString(),
                "--valid-negative", "10", "--quiet");
        assertEquals(0, p.exitCode(), p.err());
        assertFalse(p.out().contains("Read ") || p.out().contains("Kept "), p.out());
        assertTrue(p.out().contains("Wrote "), p.out());
        assertEquals("", p.err());
    }

    @Test void badProgressModeIsAUsageError() {
        Result r = run("prepare", "--input", "x", "--output", "y", "--progress", "fancy");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("--progress"), r.err());
    }
}
