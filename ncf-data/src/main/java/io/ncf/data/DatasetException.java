package io.ncf.data;

/** A stored dataset directory that cannot be used: missing, truncated, foreign, wrong version or corrupted. */
public class DatasetException extends DataFormatException {

    public DatasetException(String message) { super(message); }

    public DatasetException(String message, Throwable cause) { super(message, cause); }
}
