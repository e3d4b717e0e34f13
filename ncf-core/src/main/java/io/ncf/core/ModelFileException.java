package io.ncf.core;

import java.io.IOException;

/** A model file that cannot be used: not a checkpoint, truncated, corrupted, or made for another model shape. */
public class ModelFileException extends IOException {
    public ModelFileException(String message) { super(message); }

    public ModelFileException(String message, Throwable cause) { super(message, cause); }
}
