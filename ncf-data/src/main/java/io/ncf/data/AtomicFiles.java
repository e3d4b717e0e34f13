package io.ncf.data;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;

/** The temporary files of whole-or-nothing writes (write beside the target, then rename over it). */
public final class AtomicFiles {

    private static final SecureRandom RANDOM = new SecureRandom();

    private AtomicFiles() {}

    /**
     * A new empty file in {@code target}'s directory, named {@code prefix + random + ".tmp"}, created with the
     * process's default mode (the user's umask, usually rw-r--r--): {@code Files.createTempFile} makes owner-only files,
     * and the rename would hand that mode to a model or output file meant to be shared.
     */
    public static Path siblingTemp(Path target, String prefix) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        for (int attempt = 0; ; attempt++) {
            Path tmp = dir.resolve(prefix + Long.toUnsignedString(RANDOM.nextLong(), 36) + ".tmp");
            try {
                Files.newByteChannel(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
                return tmp;
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 100) throw e;
            }
        }
    }
}
