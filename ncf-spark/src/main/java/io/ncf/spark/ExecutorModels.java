package io.ncf.spark;

import io.ncf.serve.ModelArtifact;
import io.ncf.serve.Recommender;
import org.apache.spark.broadcast.Broadcast;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The model on an executor: the artifact arrives once per executor as a broadcast of model.zip's bytes and is served
 * by one {@link Recommender} per JVM (thread-safe; its scoring kernel uses the executor's cores, so tasks running side
 * by side share it instead of each building its own tables). Only the latest model is kept.
 */
final class ExecutorModels {

    private static String currentKey;
    private static Recommender current;

    static { NativeBlas.keepMllibOnJava(); }

    private ExecutorModels() {}

    static synchronized Recommender get(String key, Broadcast<byte[]> zip) {
        if (key.equals(currentKey)) return current;
        if (current != null) current.close();
        current = null;
        currentKey = null;
        try {
            Path tmp = Files.createTempFile("ncf-model-", ".zip");
            try {
                Files.write(tmp, zip.value());
                ModelArtifact a = ModelArtifact.read(tmp);
                current = new Recommender(a, Recommender.UnknownUserPolicy.ERROR, Runtime.getRuntime().availableProcessors());
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading the broadcast model artifact on an executor: " + e.getMessage(), e);
        }
        currentKey = key;
        return current;
    }
}
