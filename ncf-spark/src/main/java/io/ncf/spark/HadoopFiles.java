package io.ncf.spark;

import io.ncf.serve.ModelArtifact;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Model artifacts to and from any Hadoop file system (local, HDFS, S3A...), through a local temporary file. */
final class HadoopFiles {

    private HadoopFiles() {}

    /** Writes {@code artifact} to {@code dest} (replacing it: written beside it, then renamed). */
    static void write(ModelArtifact artifact, String dest, Configuration conf) {
        try {
            Path tmp = Files.createTempFile("ncf-model-", ".zip");
            try {
                artifact.write(tmp);
                put(tmp, dest, conf);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing the model artifact to " + dest + ": " + e.getMessage(), e);
        }
    }

    /** Copies a local file to {@code dest}, replacing it: written beside it, then renamed, so readers never see half a file. */
    static void put(Path local, String dest, Configuration conf) throws IOException {
        org.apache.hadoop.fs.Path to = new org.apache.hadoop.fs.Path(dest);
        org.apache.hadoop.fs.Path part = new org.apache.hadoop.fs.Path(to.getParent(), "." + to.getName() + ".tmp");
        FileSystem fs = to.getFileSystem(conf);
        fs.copyFromLocalFile(false, true, new org.apache.hadoop.fs.Path(local.toUri()), part);
        fs.delete(to, false);
        if (!fs.rename(part, to)) throw new IOException("could not rename " + part + " to " + to);
    }

    /** model.zip's bytes. */
    static byte[] bytes(ModelArtifact artifact) {
        try {
            Path tmp = Files.createTempFile("ncf-model-", ".zip");
            try {
                artifact.write(tmp);
                return Files.readAllBytes(tmp);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("serialising the model artifact: " + e.getMessage(), e);
        }
    }

    static ModelArtifact read(String src, Configuration conf) {
        try {
            Path tmp = Files.createTempFile("ncf-model-", ".zip");
            try {
                org.apache.hadoop.fs.Path from = new org.apache.hadoop.fs.Path(src);
                from.getFileSystem(conf).copyToLocalFile(false, from, new org.apache.hadoop.fs.Path(tmp.toUri()), true);
                return ModelArtifact.read(tmp);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading the model artifact " + src + ": " + e.getMessage(), e);
        }
    }
}
