package io.ncf.data;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Test helpers: small files in temp dirs, and the shared MovieLens data when present. */
final class TestFiles {

    private TestFiles() {}

    static Path write(Path dir, String name, String content) {
        try {
            Path p = dir.resolve(name);
            Files.writeString(p, content, StandardCharsets.UTF_8);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The shared data directory (system property ncf.shared.data, else ../shared/data of the parent project). */
    static Path sharedData() {
        String prop = System.getProperty("ncf.shared.data");
        if (prop != null && !prop.isBlank()) return Path.of(prop);
        return Path.of("").toAbsolutePath().getParent().getParent().resolve("shared/data");
    }

    /** A file under the shared data directory; skips the test with a clear message when it is missing. */
    static Path sharedFile(String relative) {
        Path p = sharedData().resolve(relative);
        Assumptions.assumeTrue(Files.isRegularFile(p), "MovieLens file " + p + " not present: skipping (set -Dncf.shared.data=DIR)");
        return p;
    }
}
