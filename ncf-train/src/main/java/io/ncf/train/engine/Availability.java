package io.ncf.train.engine;

/** Whether an engine can run on this machine, and if not, why (no GPU, no CUDA libraries, backend mismatch). */
public record Availability(boolean available, String reason) {
    public static Availability yes(String detail) { return new Availability(true, detail); }
    public static Availability no(String reason) { return new Availability(false, reason); }
}
