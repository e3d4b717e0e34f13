package io.ncf.core;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;

/** Whole-or-nothing file writes: write beside the target, fsync, then rename over it. Every file writer of ncf uses them. */
public final class AtomicFiles {

    private static final SecureRandom RANDOM = new SecureRandom();

    private AtomicFiles() {}

    /** Writes a file's whole content to a channel. */
    @FunctionalInterface
    public interface ChannelWriter { void write(FileChannel ch) throws IOException; }

    /**
     * Writes {@code file} so that a reader sees the old file or the complete new one, never a torn one: the content
     * goes to a temporary file in the same directory, is fsynced, then {@link #moveIntoPlace moved into place}; on
     * any failure the temporary file is removed and {@code file} is untouched. The file gets the process's default
     * mode (the user's umask), not a temporary file's owner-only one.
     */
    public static void write(Path file, ChannelWriter content) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = siblingTemp(file, file.getFileName().toString() + ".");
        boolean done = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                content.write(ch);
                ch.force(true);
            }
            moveIntoPlace(tmp, file);
            done = true;
        } finally {
            if (!done) Files.deleteIfExists(tmp);
        }
    }

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

    /** Renames {@code tmp} over {@code file} (atomically where the file system can) and syncs the directory entry. */
    public static void moveIntoPlace(Path tmp, Path file) throws IOException {
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
        Path dir = file.toAbsolutePath().getParent();
        // Not every platform lets a directory be opened; the rename itself already happened.
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
        }
    }
}
