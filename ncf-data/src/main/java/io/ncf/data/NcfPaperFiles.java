package io.ncf.data;

import io.ncf.core.IdVocabulary;
import io.ncf.core.UserItemIndex;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The NCF paper's data files (He et al. 2017, github.com/hexiangnan/neural_collaborative_filtering/Data):
 * {@code <prefix>.train.rating} and {@code <prefix>.test.rating} with tab-separated lines
 * {@code user item rating timestamp}, and {@code <prefix>.test.negative} whose lines are {@code (user,item)} then the
 * user's sampled negatives, all tab-separated. Ids are already dense 0-based integers, kept as they are (the
 * vocabularies map index i to the string "i"), and the dataset evaluates on exactly the given negatives.
 *
 * <p>Rules checked, each failure naming file and line: every user has exactly one test line and one negatives
 * line, the negatives line's {@code (user,item)} is that test pair, every negatives line has the same count.
 * Ratings and timestamps are read for validation only: the files already hold the paper's leave-latest-out split.
 */
public final class NcfPaperFiles {

    private NcfPaperFiles() {}

    public static Path trainFile(Path prefix) { return sibling(prefix, ".train.rating"); }

    public static Path testFile(Path prefix) { return sibling(prefix, ".test.rating"); }

    public static Path negativeFile(Path prefix) { return sibling(prefix, ".test.negative"); }

    private static Path sibling(Path prefix, String suffix) { return prefix.resolveSibling(prefix.getFileName() + suffix); }

    public static NcfDataset read(Path prefix) {
        Path trainF = trainFile(prefix), testF = testFile(prefix), negF = negativeFile(prefix);
        for (Path p : new Path[]{trainF, testF, negF}) RatingsRecordReader.checkReadableFile(p);
        IntList tu = new IntList(), ti = new IntList();
        readRatings(trainF, tu, ti);
        IntList su = new IntList(), si = new IntList();
        readRatings(testF, su, si);
        int maxUser = Math.max(tu.max(), su.max()), maxItem = Math.max(ti.max(), si.max());
        int numUsers = maxUser + 1;
        int[] test = new int[numUsers];
        Arrays.fill(test, -1);
        int[] testLine = new int[numUsers];
        for (int k = 0; k < su.size; k++) {
            int u = su.a[k];
            if (test[u] >= 0)
                throw DataFormatException.at(testF.toString(), k + 1, "user " + u + " has a second test item (first on line " + testLine[u] + ")");
            test[u] = si.a[k];
            testLine[u] = k + 1;
        }
        // negatives
        int[] candUsers = new int[numUsers];
        IntList cand = new IntList();
        int width = -1, rows = 0;
        boolean[] hasRow = new boolean[numUsers];
        try (BufferedReader r = Files.newBufferedReader(negF, StandardCharsets.UTF_8)) {
            long line = 0;
            for (String s; (s = r.readLine()) != null; ) {
                line++;
                if (s.isBlank()) continue;
                String[] f = s.split("\t");
                String head = f[0].trim();
                if (!head.startsWith("(") || !head.endsWith(")") || head.indexOf(',') < 0)
                    throw DataFormatException.atField(negF.toString(), line, 0, "(user,item)", "'" + head + "' is not of the form (user,item)");
                String[] ui = head.substring(1, head.length() - 1).split(",");
                if (ui.length != 2) throw DataFormatException.atField(negF.toString(), line, 0, "(user,item)", "'" + head + "' is not of the form (user,item)");
                int u = parseId(ui[0], negF, line, 0, "user"), it = parseId(ui[1], negF, line, 0, "item");
                if (u >= numUsers || test[u] < 0)
                    throw DataFormatException.at(negF.toString(), line, "user " + u + " has no line in " + testF.getFileName());
                if (test[u] != it)
                    throw DataFormatException.at(negF.toString(), line, "(" + u + "," + it + ") but " + testF.getFileName() + ":" + testLine[u]
                            + " holds out item " + test[u] + " for user " + u);
                if (hasRow[u]) throw DataFormatException.at(negF.toString(), line, "user " + u + " has a second negatives line");
                hasRow[u] = true;
                int negs = f.length - 1;
                if (width < 0) width = negs;
                else if (negs != width)
                    throw DataFormatException.at(negF.toString(), line, negs + " negatives, but the first line has " + width);
                candUsers[rows++] = u;
                cand.add(it);
                for (int j = 1; j < f.length; j++) {
                    int n = parseId(f[j], negF, line, j, "negative item");
                    maxItem = Math.max(maxItem, n);
                    cand.add(n);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(negF + ": " + e.getMessage(), e);
        }
        for (int u = 0; u < numUsers; u++) {
            if (test[u] < 0) throw new DataFormatException(testF + ": user " + u + " (seen in " + trainF.getFileName() + ") has no test item");
            if (!hasRow[u]) throw new DataFormatException(negF + ": user " + u + " has no negatives line");
        }
        int numItems = maxItem + 1;
        // group training positives by user, keeping file order within a user (the files are already sorted this way)
        int[] counts = new int[numUsers + 1];
        for (int k = 0; k < tu.size; k++) counts[tu.a[k] + 1]++;
        for (int u = 0; u < numUsers; u++) counts[u + 1] += counts[u];
        int[] trainUsers = new int[tu.size], trainItems = new int[tu.size];
        for (int k = 0; k < tu.size; k++) {
            int pos = counts[tu.a[k]]++;
            trainUsers[pos] = tu.a[k];
            trainItems[pos] = ti.a[k];
        }
        int[] allU = Arrays.copyOf(trainUsers, tu.size + numUsers), allI = Arrays.copyOf(trainItems, tu.size + numUsers);
        for (int u = 0; u < numUsers; u++) { allU[tu.size + u] = u; allI[tu.size + u] = test[u]; }
        UserItemIndex seen = UserItemIndex.build(numUsers, allU, allI, allU.length);
        EvalCandidates candidates = new EvalCandidates(Arrays.copyOf(candUsers, rows), cand.toArray(), Math.max(width, 0));
        var info = new NcfDataset.DatasetInfo(prefix.toString() + " (ncf paper files)", 0, Math.max(width, 0), -1L,
                (long) tu.size + su.size, 0, (long) tu.size + numUsers - seen.size());
        return new NcfDataset(numUsers, numItems, trainUsers, trainItems, test, candidates, seen, denseIds(numUsers), denseIds(numItems), info);
    }

    private static IdVocabulary denseIds(int n) {
        String[] ids = new String[n];
        for (int i = 0; i < n; i++) ids[i] = Integer.toString(i);
        return IdVocabulary.of(Arrays.asList(ids));
    }

    private static void readRatings(Path file, IntList users, IntList items) {
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            long line = 0;
            for (String s; (s = r.readLine()) != null; ) {
                line++;
                if (s.isBlank()) continue;
                String[] f = s.split("\t");
                if (f.length < 2)
                    throw DataFormatException.at(file.toString(), line, "expected tab-separated 'user item rating timestamp', got '" + s + "'");
                users.add(parseId(f[0], file, line, 0, "user"));
                items.add(parseId(f[1], file, line, 1, "item"));
                if (f.length > 2) {
                    try {
                        Double.parseDouble(f[2].trim());
                    } catch (NumberFormatException e) {
                        throw DataFormatException.atField(file.toString(), line, 2, "rating", "'" + f[2] + "' is not a number");
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
        if (users.size == 0) throw new DataFormatException(file + ": no ratings");
    }

    private static int parseId(String s, Path file, long line, int column, String name) {
        try {
            int v = Integer.parseInt(s.trim());
            if (v < 0) throw DataFormatException.atField(file.toString(), line, column, name, "'" + s + "' is negative; ids must be dense 0-based");
            return v;
        } catch (NumberFormatException e) {
            throw DataFormatException.atField(file.toString(), line, column, name, "'" + s + "' is not an integer id");
        }
    }

    private static final class IntList {
        int[] a = new int[1024];
        int size;

        void add(int v) {
            if (size == a.length) a = Arrays.copyOf(a, a.length * 2);
            a[size++] = v;
        }

        int max() { int m = -1; for (int k = 0; k < size; k++) m = Math.max(m, a[k]); return m; }

        int[] toArray() { return Arrays.copyOf(a, size); }
    }
}
