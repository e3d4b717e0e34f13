package io.ncf.train;

import java.nio.file.Path;

/**
 * A second process for {@link RunLockTest} (started as its own JVM on the test class path).
 * <ul>
 *   <li>{@code hold DIR}: acquires DIR, prints {@code LOCKED <pid>}, then holds it until its stdin closes (so a
 *       crashed test JVM leaves no child behind) or it is killed; exit 2 with {@code IN USE: <message>} if DIR is
 *       held by someone else.</li>
 *   <li>{@code try DIR}: acquires and releases DIR; prints {@code ACQUIRED} and exits 0, or prints
 *       {@code IN USE: <message>} and exits 2 (the CLI's status for it).</li>
 * </ul>
 */
public final class RunLockChild {

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[1]);
        try {
            switch (args[0]) {
                case "hold" -> {
                    RunLock lock = RunLock.acquire(dir);
                    System.out.println("LOCKED " + ProcessHandle.current().pid());
                    System.out.flush();
                    while (System.in.read() >= 0) {
                        // hold until the parent closes our stdin or kills us
                    }
                    lock.close();
                }
                case "try" -> {
                    try (RunLock lock = RunLock.acquire(dir)) {
                        System.out.println("ACQUIRED " + lock.holderDescription());
                    }
                }
                default -> throw new IllegalArgumentException(args[0]);
            }
        } catch (CheckpointDirInUseException e) {
            System.out.println("IN USE: " + e.getMessage());
            System.out.flush();
            System.exit(2);
        }
        System.exit(0);
    }
}
