package io.ncf.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The reader and the preprocessor report their progress, ending at done == total. */
class ProgressReportingTest {

    @TempDir Path tmp;

    record Update(String task, long done, long total) {}

    static final class Recorder implements Progress {
        final List<Update> updates = new ArrayList<>();
        @Override public synchronized void update(String task, long done, long total) { updates.add(new Update(task, done, total)); }
        List<Update> of(String task) { return updates.stream().filter(u -> u.task().equals(task)).toList(); }
    }

    private Path ratings() throws Exception {
        StringBuilder sb = new StringBuilder("userId,movieId,rating,timestamp\n");
        for (int u = 0; u < 40; u++) for (int k = 0; k < 25; k++) sb.append(u).append(',').append((u + 3 * k) % 70).append(",4,").append(1000 + k).append('\n');
        Path f = tmp.resolve("ratings.csv");
        Files.writeString(f, sb.toString());
        return f;
    }

    @Test void readerReportsBytesUpToTheFileSizeOnBothPaths() throws Exception {
        Path f = ratings();
        long size = Files.size(f);
        for (int threads : new int[]{1, 3}) {
            Recorder r = new Recorder();
            RatingsRecordReader reader = new RatingsRecordReader(RatingsFormat.ML_20M).progress(r);
            reader.initialize(new org.datavec.api.split.FileSplit(f.toFile()));
            RawInteractions raw = reader.readAll(f.toString(), threads, 0);
            assertEquals(1000, raw.size());
            List<Update> u = r.of(RatingsRecordReader.PROGRESS_TASK);
            assertFalse(u.isEmpty(), "threads " + threads);
            assertEquals(new Update("read", size, size), u.get(u.size() - 1), "threads " + threads);
            for (Update x : u) assertTrue(x.done() <= size && x.total() == size, x.toString());
        }
    }

    @Test void preprocessorReportsItsFiveStages() throws Exception {
        Recorder r = new Recorder();
        new Preprocessor(new Preprocessor.Options(20, 5, 1)).progress(r).run(RatingsRecordReader.read(ratings(), RatingsFormat.ML_20M));
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L), r.of(Preprocessor.PROGRESS_TASK).stream().map(Update::done).toList());
        assertTrue(r.of(Preprocessor.PROGRESS_TASK).stream().allMatch(u -> u.total() == 5));
    }
}
