package io.ncf.train;

/** The training loss became NaN or infinite: the run stops, the last good checkpoint stays. */
public final class TrainingDivergedException extends RuntimeException {
    public TrainingDivergedException(String message) { super(message); }
}
