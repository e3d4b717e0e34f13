package io.ncf.spark;

import io.ncf.serve.ModelArtifact;
import io.ncf.train.TrainingOptions;
import io.ncf.train.TrainingState;
import io.ncf.train.TrainingStateFile;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A fit's state in {@code checkpointDir} on any Hadoop file system: after every epoch, {@code state.ncf} (parameters,
 * Adam's moments and step, the loop's counters and best so far: what {@code ncf train --resume} continues from), next
 * to the best model's {@code model.zip}. A fit whose driver died continues from it: the next fit with the same
 * {@code checkpointDir}, recipe and data resumes at the epoch after the last completed one and ends bit for bit where
 * the uninterrupted fit would have. A state of another recipe or data set is refused, naming what differs, rather than
 * overwritten.
 */
final class FitState {

    private final String dir;
    private final Configuration conf;

    FitState(String dir, Configuration conf) {
        this.dir = dir;
        this.conf = conf;
    }

    private org.apache.hadoop.fs.Path file(String name) { return new org.apache.hadoop.fs.Path(dir, name); }

    /**
     * The state to continue from, or null when {@code checkpointDir} holds none.
     *
     * @param run what identifies this fit besides the options (data shape, model shape, start)
     * @throws IllegalArgumentException when the saved state is of another recipe or data set
     */
    TrainingStateFile.Loaded resumable(TrainingOptions options, Map<String, String> run) {
        try {
            org.apache.hadoop.fs.Path f = file(TrainingStateFile.FILE);
            FileSystem fs = f.getFileSystem(conf);
            if (!fs.exists(f)) return null;
            Path tmp = Files.createTempDirectory("ncf-state-");
            try {
                fs.copyToLocalFile(false, f, new org.apache.hadoop.fs.Path(TrainingStateFile.in(tmp).toUri()), true);
                TrainingStateFile.Loaded l = TrainingStateFile.read(tmp);
                List<String> differ = new ArrayList<>();
                TrainingOptions saved = l.options().withEpochs(options.epochs()); // more (or fewer) epochs may be asked for
                if (!saved.equals(options)) differ.add("training options " + l.options() + " (now " + options + ")");
                for (var e : run.entrySet())
                    if (!Objects.equals(l.run().get(e.getKey()), e.getValue()))
                        differ.add(e.getKey() + " " + l.run().get(e.getKey()) + " (now " + e.getValue() + ")");
                if (!differ.isEmpty())
                    throw new IllegalArgumentException("checkpointDir " + dir + " holds the state of another fit: " + String.join("; ", differ)
                            + ". Use another checkpointDir, or delete " + f + " to start over.");
                return l;
            } finally {
                deleteTree(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading the fit state in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Writes {@code state.ncf} (beside the file system's copy, then renamed over it). */
    void write(TrainingState state, TrainingOptions options, Map<String, String> run) {
        try {
            Path tmp = Files.createTempDirectory("ncf-state-");
            try {
                TrainingStateFile.write(tmp, state, options, run);
                HadoopFiles.put(TrainingStateFile.in(tmp), file(TrainingStateFile.FILE).toString(), conf);
            } finally {
                deleteTree(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing the fit state to " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Removes a temporary directory of plain files. */
    private static void deleteTree(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) Files.deleteIfExists(p);
        }
        Files.deleteIfExists(dir);
    }

    /** The best model's parameters saved so far ({@code model.zip}), or null. */
    float[] bestParams() {
        org.apache.hadoop.fs.Path f = file(ModelArtifact.FILE_NAME);
        try {
            if (!f.getFileSystem(conf).exists(f)) return null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return HadoopFiles.read(f.toString(), conf).flatParams();
    }
}
