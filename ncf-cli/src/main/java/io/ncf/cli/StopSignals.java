package io.ncf.cli;

import java.io.PrintWriter;
import java.util.concurrent.atomic.AtomicReference;

/**
 * SIGTERM (a scheduler's cancel, {@code timeout}, {@code kill}) and SIGINT (Ctrl-C) during training: the first asks
 * the loop to stop at the next step boundary, so native work in flight (ND4J, BLAS, the GPU) finishes and the JVM
 * exits normally, without the crash a shutdown during native code can cause; the command then exits 143 or 130 with
 * a line saying what was kept. A second signal stops at once. Replaces the JVM's handlers only while training and
 * restores them on close, so in-process callers (tests) keep theirs.
 */
final class StopSignals implements AutoCloseable {

    private static final String[] SIGNALS = {"TERM", "INT"};

    private final sun.misc.SignalHandler[] previous = new sun.misc.SignalHandler[SIGNALS.length];
    private final AtomicReference<String> received = new AtomicReference<>();

    private StopSignals() {}

    /** Installs the handlers; {@code stop} is called (once) on the first signal. */
    static StopSignals install(Runnable stop, PrintWriter err) {
        StopSignals s = new StopSignals();
        for (int i = 0; i < SIGNALS.length; i++) {
            String name = SIGNALS[i];
            try {
                s.previous[i] = sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> {
                    if (!s.received.compareAndSet(null, name)) {
                        Runtime.getRuntime().halt(exitCode(name)); // a second signal: stop now
                    }
                    err.println("ncf: SIG" + name + " received: stopping after the current step (send it again to stop at once)");
                    err.flush();
                    stop.run();
                });
            } catch (IllegalArgumentException e) {
                // the JVM runs with -Xrs or the signal is reserved here: keep the default behaviour
            }
        }
        return s;
    }

    /** Whether a signal arrived. */
    boolean received() { return received.get() != null; }

    String signalName() { String n = received.get(); return n == null ? "a cancel" : "SIG" + n; }

    int exitCode() { return exitCode(received.get()); }

    private static int exitCode(String name) { return "INT".equals(name) ? 130 : 143; }

    @Override public void close() {
        for (int i = 0; i < SIGNALS.length; i++)
            if (previous[i] != null) sun.misc.Signal.handle(new sun.misc.Signal(SIGNALS[i]), previous[i]);
    }
}
