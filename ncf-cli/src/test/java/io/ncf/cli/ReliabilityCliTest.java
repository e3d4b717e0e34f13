package io.ncf.cli;

import io.ncf.train.TrainingStateFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static io.ncf.cli.CliTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

/** Bad input, bad files and impossible flags through the CLI: a one-line message naming the problem and exit 1 or 2. */
class ReliabilityCliTest {

    @TempDir Path tmp;

    /** Fails unless the run ended with {@code code} and a message containing every {@code parts}, without a stack trace. */
    private static Result expect(int code, Result r, String... parts) {
        assertEquals(code, r.exitCode(), "exit code; out:\n" + r.out() + "\nerr:\n" + r.err());
        for (String p : parts) assertTrue(r.err().contains(p), "'" + p + "' missing in:\n" + r.err());
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception"), "stack trace or exception name leaked:\n" + r.err());
        return r;
    }

    private Result prepare(Path in, String... extra) {
        String[] base = {"prepare", "-i", in.toString(), "-o", tmp.resolve("out").toString()};
        String[] all = new String[base.length + extra.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return run(all);
    }

    private Path file(String name, String content) throws Exception {
        Path p = tmp.resolve(name);
        Files.writeString(p, content, StandardCharsets.UTF_8);
        return p;
    }

    @Test void everyKindOfBadIngestInputNamesFileLineAndField() throws Exception {
        String h = "userId,movieId,rating,timestamp\n";
        Path f = file("fields.csv", h + "1,2,3,4\n1,2,3\n");
        expect(1, prepare(f), f + ":3: expected 4 fields, found 3");
        f = file("ts.csv", h + "1,2,3,4\n1,2,3,soon\n");
        expect(1, prepare(f), f + ":3: field 4 (timestamp): 'soon' is not an integer");
        f = file("empty-id.csv", h + "1,2,3,4\n,2,3,4\n");
        expect(1, prepare(f), f + ":3: field 1 (userId): empty user id");
        f = file("quote.csv", "u,i,t\na,b,1\na,\"b,2\n");
        expect(1, prepare(f, "--format", "csv", "--header"), f + ":3: unterminated quoted field");
        f = file("quote-int.csv", h + "1,2,3,4\n1,\"2,3,4\n");
        expect(1, prepare(f, "--id-type", "int"), f + ":3: field 2 (movieId): item id '\"2' is not an integer that fits in 32 bits");
        f = tmp.resolve("utf8.data");
        Files.write(f, new byte[]{'1', '\t', '2', '\t', '3', '\t', '4', '\n', (byte) 0xff, '\t', '2', '\t', '3', '\t', '4', '\n'});
        expect(1, prepare(f, "--format", "ml-100k"), f + ":2: field 1 (user): user id is not valid UTF-8");
        f = file("long.csv", h + "1,2,3,4\n1,2,3," + "4".repeat(1 << 20) + "\n");
        expect(1, prepare(f), f + ":3: line is", "over the 1048576-byte limit");
        f = file("big.csv", h + "1,2,3,4\n99999999999,2,3,4\n");
        expect(1, prepare(f, "--id-type", "int"), f + ":3: field 1 (userId): user id '99999999999' is not an integer that fits in 32 bits");
        f = file("renamed.csv", "user,movieId,rating,timestamp\n1,2,3,4\n");
        expect(1, prepare(f), f + ":1: header has no user column 'userId'");
        f = file("named.csv", "who,what\na,b\n");
        expect(1, prepare(f, "--format", "csv", "--header", "--user-column", "who", "--item-column", "item"), "what", "item");
        f = file("empty.csv", "");
        expect(1, prepare(f), "no data rows (empty file)");
        expect(2, prepare(tmp.resolve("missing.csv")), tmp.resolve("missing.csv") + ": no such file");
        expect(2, prepare(tmp), tmp + ": is a directory");
        Path locked = file("locked.csv", h + "1,2,3,4\n");
        if (locked.toFile().setReadable(false, false) && !Files.isReadable(locked)) // root reads anything
            expect(2, prepare(locked), "cannot be read");
        expect(2, prepare(f, "--id-type", "long"), "--id-type must be string or int");
    }

    @Test void skippingBadRowsReportsCountAndLines() throws Exception {
        StringBuilder sb = new StringBuilder("userId,movieId,rating,timestamp\n");
        for (int u = 0; u < 30; u++) for (int k = 0; k < 25; k++) sb.append(u).append(',').append((u * 7 + k * 3) % 60).append(",3,").append(k).append('\n');
        sb.append("5,5,5\n").append("6,6,6,six\n");
        Path f = file("r.csv", sb.toString());
        expect(1, prepare(f, "--valid-negative", "10"), f + ":752: expected 4 fields, found 3");
        Result r = prepare(f, "--valid-negative", "10", "--on-bad-row", "skip");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("WARNING: skipped 2 bad rows: " + f + ":752: expected 4 fields, found 3; " + f
                + ":753: field 4 (timestamp): 'six' is not an integer"), r.out());
        assertTrue(r.out().contains("Read 750 rows"), r.out());
        expect(2, prepare(f, "--on-bad-row", "ignore"), "--on-bad-row");
        expect(2, prepare(f, "--valid-negative", "50", "--on-bad-row", "skip"), "--valid-negative 50 is larger than the", "has not seen");
    }

    @Test void impossibleFlagsAreRefusedBeforeAnyWork() {
        expect(2, run("train", "-b", "0"), "--batch-size must be positive");
        expect(2, run("train", "-l", "-0.01"), "--learning-rate must be positive");
        expect(2, run("train", "--dropout", "1.5"), "--dropout must be in [0, 1)");
        expect(2, run("train", "--layers", "16", "0"), "--layers sizes must be positive");
        expect(2, run("train", "--layers", "16"), "--layers", "requires at least 2 values");
        expect(2, run("train", "--micro-batch", "0"), "--micro-batch must be positive");
        expect(2, run("train", "-e", "0"), "--epochs must be positive");
        expect(2, run("train", "--eval-after", "-1"), "--eval-after");
        expect(2, run("train", "--beta2", "1"), "--beta2");
        expect(2, run("train", "--target", "2"), "--target");
        expect(2, run("train", "-n", "-1"), "--negative-samples");
        expect(2, run("train", "-e", "1", "-k", "102"), "--topk 102");
        expect(2, run("train", "-e", "1", "--valid-negative", "790"), "--valid-negative 790 is larger than the", "has not seen");
        expect(2, run("prepare", "-i", "x", "-o", "y", "--min-ratings", "-1"), "--min-ratings must be >= 0");
        expect(2, run("prepare", "-i", "x", "-o", "y", "--valid-negative", "-1"), "--valid-negative must be >= 0");
    }

    @Test void aDivergingRunStopsWithAClearMessage() {
        expect(1, run("train", "-e", "2", "-l", "1e30", "--seed", "1", "--factors", "8", "--layers", "16", "8"),
                "training loss became", "lower --learning-rate");
    }

    @Test void aConfigurationThatCannotFitStopsWithAdvice() {
        Result r = expect(2, run("train", "-e", "1", "--factors", "200000000"), "this configuration needs about", "lower --factors");
        assertFalse(r.out().contains("Model:"), "refused before the model was built:\n" + r.out());
    }

    @Test void truncatedForeignOrMismatchedFilesAreRefusedClearly() throws Exception {
        StringBuilder sb = new StringBuilder("u,i,t\n");
        Random rnd = new Random(2);
        for (int u = 0; u < 30; u++) for (int k = 0; k < 20; k++) sb.append(u).append(',').append(rnd.nextInt(50)).append(',').append(k).append('\n');
        Path csv = file("r.csv", sb.toString()), data = tmp.resolve("ds"), ck = tmp.resolve("ck");
        assertEquals(0, run("prepare", "-i", csv.toString(), "--format", "csv", "--header", "-o", data.toString(), "--valid-negative", "10", "--min-ratings", "5").exitCode());
        assertEquals(0, run("train", "--data", data.toString(), "-e", "2", "-b", "256", "--eval-after", "0", "-k", "5", "--seed", "1",
                "--factors", "8", "--layers", "16", "8", "--checkpoint-dir", ck.toString()).exitCode());
        Path model = ck.resolve("model.ncf");

        expect(2, run("train", "--data", data.toString(), "--mode", "test", "-k", "5", "--layers", "32", "8", "--load-checkpoint-path", model.toString()), "layers");
        Path trunc = tmp.resolve("trunc.ncf");
        byte[] b = Files.readAllBytes(model);
        Files.write(trunc, java.util.Arrays.copyOf(b, b.length - 100));
        expect(1, run("train", "--data", data.toString(), "--mode", "test", "-k", "5", "--load-checkpoint-path", trunc.toString()), trunc.toString());
        Path foreign = file("foreign.ncf", "this is not a model\n".repeat(10));
        expect(1, run("train", "--data", data.toString(), "--mode", "test", "-k", "5", "--load-checkpoint-path", foreign.toString()), foreign.toString());
        byte[] flipped = b.clone();
        flipped[flipped.length / 2] ^= 0x40;
        Files.write(trunc, flipped);
        expect(1, run("train", "--data", data.toString(), "--mode", "test", "-k", "5", "--load-checkpoint-path", trunc.toString()), trunc.toString());

        // the dataset directory: a truncated and a foreign file
        try (var files = Files.list(data)) {
            for (Path f : files.filter(p -> !p.getFileName().toString().endsWith(".properties")).toList()) {
                byte[] orig = Files.readAllBytes(f);
                Files.write(f, java.util.Arrays.copyOf(orig, orig.length / 2));
                expect(1, run("train", "--data", data.toString(), "-e", "1", "-k", "5"), f.getFileName().toString());
                Files.writeString(f, "foreign content");
                expect(1, run("train", "--data", data.toString(), "-e", "1", "-k", "5"), f.getFileName().toString());
                Files.write(f, orig);
            }
        }

        // resuming: nothing to resume, a flag that would change the run, a damaged state
        expect(2, run("train", "--resume", tmp.resolve("nothing").toString()), "is not a directory");
        expect(2, run("train", "--resume", data.toString()), "holds no state.ncf");
        expect(2, run("train", "--resume", ck.toString(), "-b", "512"), "--batch-size: saved ", ", given 512");
        Path state = TrainingStateFile.in(ck);
        byte[] s = Files.readAllBytes(state);
        Files.write(state, java.util.Arrays.copyOf(s, s.length - 10));
        expect(1, run("train", "--resume", ck.toString()), state.toString());
        Files.copy(model, state, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        expect(1, run("train", "--resume", ck.toString()), "not a training state");
    }
}
