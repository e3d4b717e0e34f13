package io.ncf.data;

/**
 * Bad input data: the message names the file, the 1-based line and the field where known, e.g.
 * {@code ratings.csv:17: field 4 (timestamp): 'abc' is not an integer}. Unchecked so that it can cross the
 * DataVec {@code RecordReader} interface, whose methods declare no checked exceptions.
 */
public class DataFormatException extends RuntimeException {

    public DataFormatException(String message) { super(message); }

    public DataFormatException(String message, Throwable cause) { super(message, cause); }

    /** {@code file:line: message}. */
    public static DataFormatException at(String file, long line, String message) {
        return new DataFormatException(file + ":" + line + ": " + message);
    }

    /** {@code file:line: field n (name): message}; {@code column} is 0-based, printed 1-based. */
    public static DataFormatException atField(String file, long line, int column, String fieldName, String message) {
        String field = "field " + (column + 1) + (fieldName == null || fieldName.isEmpty() ? "" : " (" + fieldName + ")");
        return new DataFormatException(file + ":" + line + ": " + field + ": " + message);
    }
}
