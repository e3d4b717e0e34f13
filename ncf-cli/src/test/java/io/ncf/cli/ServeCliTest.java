package io.ncf.cli;

import io.ncf.serve.ModelArtifact;
import io.ncf.serve.Recommender;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.ncf.cli.CliTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

/** train → model.zip → recommend / evaluate, in this JVM and in a fresh one. */
class ServeCliTest {

    @TempDir static Path tmp;
    static Path data, artifactFile;
    static double bestHr;
    static ModelArtifact artifact;

    @BeforeAll static void trainTinyModel() throws IOException {
        // generic CSV with string ids (so original ids differ from dense indices): 30 users × 20 rows over 40 items
        StringBuilder sb = new StringBuilder("who,what,when\n");
        java.util.Random rnd = new java.util.Random(1);
        for (int u = 0; u < 30; u++) for (int k = 0; k < 20; k++) sb.append("user-").append(u).append(",item").append((u + k * 3 + rnd.nextInt(2)) % 40).append(',').append(1000 + k).append('\n');
        Path csv = tmp.resolve("r.csv");
        Files.writeString(csv, sb.toString());
        data = tmp.resolve("ds");
        Result p = run("prepare", "--input", csv.toString(), "--format", "csv", "--header", "--user-column", "who", "--item-column", "what",
                "--timestamp-column", "when", "--output", data.toString(), "--valid-negative", "10", "--min-ratings", "5");
        assertEquals(0, p.exitCode(), p.err());
        Path ckpt = tmp.resolve("ck");
        Result t = run("train", "--data", data.toString(), "-e", "3", "-b", "256", "--eval-after", "0", "-k", "5", "--seed", "2",
                "--checkpoint-dir", ckpt.toString(), "--factors", "8", "--layers", "16", "8");
        assertEquals(0, t.exitCode(), t.err());
        bestHr = summaryValue(t.out(), "Best HR:");
        artifactFile = ckpt.resolve(ModelArtifact.FILE_NAME);
        assertTrue(t.out().contains(artifactFile.toAbsolutePath().toString()), t.out());
        artifact = ModelArtifact.read(artifactFile);
    }

    private static List<String[]> csvRows(String out) {
        List<String[]> rows = new ArrayList<>();
        String[] lines = out.split("\n");
        assertEquals("user,item,score,rank", lines[0]);
        for (int i = 1; i < lines.length; i++) rows.add(lines[i].split(","));
        return rows;
    }

    private static boolean seen(String user, String item) {
        int u = artifact.userIds().indexOf(user), i = artifact.itemIds().indexOf(item);
        return artifact.seen().contains(u, i);
    }

    @Test void outputFileIsWrittenWholeOrNotAtAll() throws IOException {
        Result stdout = run("recommend", "--model", artifactFile.toString(), "--users", "all", "-k", "3");
        assertEquals(0, stdout.exitCode(), stdout.err());
        Path dir = Files.createDirectories(tmp.resolve("out"));
        Path file = dir.resolve("recs.csv");
        Result toFile = run("recommend", "--model", artifactFile.toString(), "--users", "all", "-k", "3", "-o", file.toString());
        assertEquals(0, toFile.exitCode(), toFile.err());
        assertEquals(stdout.out(), Files.readString(file));
        Path plain = Files.createFile(dir.resolve("plain"));   // what this process's umask gives a new file
        assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(file));
        assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(artifactFile), "model.zip is written with the umask too");
        Files.delete(plain);
        // a run that fails after the output was opened (an unknown user) leaves the earlier file as it was, and no temporary file
        Result bad = run("recommend", "--model", artifactFile.toString(), "--user", "user-1", "--user", "nobody", "-o", file.toString());
        assertEquals(2, bad.exitCode(), bad.err());
        assertEquals(stdout.out(), Files.readString(file));
        try (var list = Files.list(dir)) { assertEquals(List.of(file), list.toList()); }
        // an output that cannot be written is refused before any work
        Result missingDir = run("recommend", "--model", artifactFile.toString(), "--users", "all", "-o", dir.resolve("no/such/dir/r.csv").toString());
        assertEquals(2, missingDir.exitCode());
        assertTrue(missingDir.err().contains("does not exist"), missingDir.err());
        Result isDir = run("recommend", "--model", artifactFile.toString(), "--users", "all", "-o", dir.toString());
        assertEquals(2, isDir.exitCode());
        assertTrue(isDir.err().contains("is a directory"), isDir.err());
    }

    @Test void twoStageWithEveryItemAsCandidateIsExactAndReportsRecallOne() {
        Result exact = run("recommend", "--model", artifactFile.toString(), "--users", "all", "-k", "4");
        Result two = run("recommend", "--model", artifactFile.toString(), "--users", "all", "-k", "4", "--candidates", "40");
        assertEquals(0, two.exitCode(), two.err());
        assertEquals(exact.out(), two.out());
        assertTrue(two.err().contains("Two-stage recall@4 against exact top-4: 1.0000"), two.err());
        Result fewer = run("recommend", "--model", artifactFile.toString(), "--users", "all", "-k", "4", "--candidates", "8");
        assertEquals(0, fewer.exitCode(), fewer.err());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("recall@4 against exact top-4: ([0-9.]+)").matcher(fewer.err());
        assertTrue(m.find(), fewer.err());
        double recall = Double.parseDouble(m.group(1));
        assertTrue(recall > 0 && recall <= 1, fewer.err());
        assertEquals(2, run("recommend", "--model", artifactFile.toString(), "--users", "all", "--candidates", "-1").exitCode());
    }

    @Test void recommendForAllUsersNeverReturnsASeenItemAndMatchesSingleUserRequests() {
        Result all = run("recommend", "--model", artifactFile.toString(), "--users", "all", "-k", "4");
        assertEquals(0, all.exitCode(), all.err());
        assertTrue(all.err().contains("users/s"), all.err());
        List<String[]> rows = csvRows(all.out());
        assertEquals(30 * 4, rows.size());
        Map<String, List<String>> perUser = new HashMap<>();
        for (String[] r : rows) {
            assertFalse(seen(r[0], r[1]), "seen item " + r[1] + " recommended to " + r[0]);
            perUser.computeIfAbsent(r[0], x -> new ArrayList<>()).add(String.join(",", r));
        }
        assertEquals(30, perUser.size());
        Result one = run("recommend", "--model", artifactFile.toString(), "--user", "user-7", "-k", "4");
        assertEquals(0, one.exitCode(), one.err());
        List<String> oneRows = new ArrayList<>();
        for (String[] r : csvRows(one.out())) oneRows.add(String.join(",", r));
        assertEquals(perUser.get("user-7"), oneRows);
        assertEquals("1", csvRows(one.out()).get(0)[3]);
    }

    @Test void usersFileJsonlAndUnknownUserPolicies() throws IOException {
        Path users = tmp.resolve("users.txt");
        Files.writeString(users, "user-3\nuser-12\n");
        Result j = run("recommend", "--model", artifactFile.toString(), "--users", users.toString(), "-k", "2", "--format", "jsonl");
        assertEquals(0, j.exitCode(), j.err());
        String[] lines = j.out().split("\n");
        assertEquals(4, lines.length);
        assertTrue(lines[0].matches("\\{\"user\":\"user-3\",\"item\":\"item[0-9]+\",\"score\":-?[0-9.E-]+,\"rank\":1,\"source\":\"model\"}"), lines[0]);
        assertTrue(lines[3].startsWith("{\"user\":\"user-12\""), lines[3]);

        Result unknown = run("recommend", "--model", artifactFile.toString(), "--user", "nobody");
        assertEquals(2, unknown.exitCode());
        assertTrue(unknown.err().contains("unknown user 'nobody'") && unknown.err().contains("--unknown-users popularity"), unknown.err());

        Result pop = run("recommend", "--model", artifactFile.toString(), "--user", "nobody", "-k", "3", "--unknown-users", "popularity");
        assertEquals(0, pop.exitCode(), pop.err());
        List<String[]> rows = csvRows(pop.out());
        assertEquals(3, rows.size());
        int[] p = artifact.popularity();
        int max = 0;
        for (int c : p) max = Math.max(max, c);
        assertEquals(max, p[artifact.itemIds().indexOf(rows.get(0)[1])]);
        assertEquals((float) max, Float.parseFloat(rows.get(0)[2]));
        Result popJson = run("recommend", "--model", artifactFile.toString(), "--user", "nobody", "-k", "1", "--unknown-users", "popularity", "--format", "jsonl");
        assertEquals(0, popJson.exitCode(), popJson.err());
        assertTrue(popJson.out().strip().endsWith(",\"rank\":1,\"source\":\"popularity\"}"), "a fallback list says so: " + popJson.out());

        Result noModel = run("recommend", "--model", tmp.resolve("none.zip").toString(), "--user", "x");
        assertEquals(2, noModel.exitCode());
        Result neither = run("recommend", "--model", artifactFile.toString());
        assertEquals(2, neither.exitCode());
    }

    @Test void evaluateReportsBothProtocolsAndSampledMatchesTraining() {
        Result r = run("evaluate", "--model", artifactFile.toString(), "--data", data.toString(), "-k", "1,5,10");
        assertEquals(0, r.exitCode(), r.err());
        Map<String, double[]> rows = new HashMap<>();
        Matcher m = Pattern.compile("(?m)^(sampled|full)\\s+(\\d+)\\s+([0-9.]+)\\s+([0-9.]+)\\s+([0-9.]+)\\s+([0-9.]+)$").matcher(r.out());
        while (m.find()) rows.put(m.group(1) + "@" + m.group(2), new double[]{Double.parseDouble(m.group(3)), Double.parseDouble(m.group(4)),
                Double.parseDouble(m.group(5)), Double.parseDouble(m.group(6))});
        assertEquals(6, rows.size(), r.out());
        // the artifact is the best epoch's model, which training evaluated with the same candidates at K=5
        assertEquals(bestHr, rows.get("sampled@5")[0], 1e-4, r.out());
        for (String key : rows.keySet()) assertEquals(rows.get(key)[0], rows.get(key)[1], 0, "Recall equals HR with one held-out item");
        // full ranking competes against more items: never easier than the sampled list
        for (int k : new int[]{1, 5, 10}) assertTrue(rows.get("full@" + k)[0] <= rows.get("sampled@" + k)[0] + 1e-12, r.out());

        Result testMode = run("train", "--data", data.toString(), "--mode", "test", "-k", "5", "--load-checkpoint-path", artifactFile.toString());
        assertEquals(0, testMode.exitCode(), testMode.err());
        Matcher hr = Pattern.compile("HR@5 = ([0-9.]+)").matcher(testMode.out());
        assertTrue(hr.find(), testMode.out());
        assertEquals(bestHr, Double.parseDouble(hr.group(1)), 1e-4);

        Result wrongData = run("evaluate", "--model", artifactFile.toString(), "--data", tmp.resolve("nowhere").toString());
        assertEquals(2, wrongData.exitCode());
    }

    /** The issue's round trip: a fresh JVM loading model.zip gives exactly the scores of this one. */
    @Test void freshJvmGivesBitIdenticalRecommendations() throws Exception {
        Result here = run("recommend", "--model", artifactFile.toString(), "--users", "all", "-k", "40", "--threads", "1");
        assertEquals(0, here.exitCode(), here.err());
        String child = runJava("io.ncf.cli.NcfCli", "recommend", "--model", artifactFile.toString(), "--users", "all", "-k", "40", "--threads", "1");
        assertEquals(here.out(), child);
        // and the README's library example, also in a fresh JVM, prints the same lines for one user
        String example = runJava("io.ncf.examples.RecommendExample", artifactFile.toString(), "user-5", "40");
        List<String> expected = new ArrayList<>();
        for (String line : here.out().split("\n")) if (line.startsWith("user-5,")) expected.add(line);
        List<String> got = new ArrayList<>();
        for (String line : example.split("\n")) if (line.startsWith("user-5,")) got.add(line);
        assertEquals(expected, got);
        // scores computed in this JVM from the loaded artifact agree bit for bit with the child's text
        try (Recommender rec = new Recommender(ModelArtifact.read(artifactFile), Recommender.UnknownUserPolicy.ERROR, 1)) {
            for (String line : expected) {
                String[] f = line.split(",");
                float s = rec.score("user-5", List.of(f[1]))[0];
                assertEquals(Float.floatToRawIntBits(s), Float.floatToRawIntBits(Float.parseFloat(f[2])), line);
            }
        }
    }

    @Test void prepareNcfPaperFilesEvaluatesOnTheGivenNegatives() throws IOException {
        // 12 users, 15 items; user u trained on items u%15, (u+1)%15, (u+2)%15, held out (u+3)%15, 4 negatives
        StringBuilder train = new StringBuilder(), test = new StringBuilder(), neg = new StringBuilder();
        for (int u = 0; u < 12; u++) {
            for (int j = 0; j < 3; j++) train.append(u).append('\t').append((u + j) % 15).append("\t5\t").append(100 + j).append('\n');
            test.append(u).append('\t').append((u + 3) % 15).append("\t4\t200\n");
            neg.append('(').append(u).append(',').append((u + 3) % 15).append(')');
            for (int j = 4; j < 8; j++) neg.append('\t').append((u + j) % 15);
            neg.append('\n');
        }
        Path prefix = tmp.resolve("paper");
        Files.writeString(tmp.resolve("paper.train.rating"), train);
        Files.writeString(tmp.resolve("paper.test.rating"), test);
        Files.writeString(tmp.resolve("paper.test.negative"), neg);
        Path out = tmp.resolve("paper-ds");
        Result r = run("prepare", "--format", "ncf", "--input", prefix.toString(), "--output", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("4 given negatives per user"), r.out());
        var ds = io.ncf.data.DatasetStore.load(out);
        assertEquals(12, ds.numUsers());
        assertEquals(4, ds.candidates().negativesPerUser());
        assertArrayEquals(new int[]{3, 4, 5, 6, 7}, java.util.Arrays.copyOfRange(ds.candidates().items(), 0, 5));

        Files.writeString(tmp.resolve("paper.test.negative"), neg.toString().replace("(5,8)", "(5,9)"));
        Result bad = run("prepare", "--format", "ncf", "--input", prefix.toString(), "--output", tmp.resolve("bad").toString());
        assertNotEquals(0, bad.exitCode());
        assertTrue(bad.err().contains("paper.test.negative:6:"), bad.err());
    }

    /** A bad NCF_BLAS is refused before anything reaches standard output (no orphan CSV header), exit 2. */
    @Test void aBadBlasSettingIsRefusedBeforeAnyOutput() throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "io.ncf.cli.NcfCli", "recommend", "--model", artifactFile.toString(), "--users", "all", "-k", "3"));
        Path outFile = Files.createTempFile(tmp, "blas", ".out"), errFile = Files.createTempFile(tmp, "blas", ".err");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(outFile.toFile()).redirectError(errFile.toFile());
        pb.environment().put("NCF_BLAS", "bogus");
        Process p = pb.start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child JVM timed out");
        String err = Files.readString(errFile, StandardCharsets.UTF_8);
        assertEquals(2, p.exitValue(), err);
        assertTrue(err.contains("NCF_BLAS=bogus: unknown BLAS 'bogus'"), err);
        assertEquals("", Files.readString(outFile, StandardCharsets.UTF_8));
    }

    private static String runJava(String mainClass, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), mainClass));
        cmd.addAll(List.of(args));
        Path outFile = Files.createTempFile(tmp, "child", ".out"), errFile = Files.createTempFile(tmp, "child", ".err");
        Process p = new ProcessBuilder(cmd).redirectOutput(outFile.toFile()).redirectError(errFile.toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child JVM timed out");
        String err = Files.readString(errFile, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), err);
        return Files.readString(outFile, StandardCharsets.UTF_8);
    }
}
