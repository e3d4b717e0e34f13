package io.ncf.data;

import java.util.List;
import java.util.Objects;

/**
 * Which fields of a delimited ratings file hold the user id, item id and (optionally) the timestamp.
 * Columns are 0-based indices; a column may instead be chosen by header name ({@link #byName}), resolved
 * against the header with {@link #resolve}. Without a timestamp column ({@code timestampColumn == -1} and no
 * name) the input order is the time order.
 *
 * @param timestampColumn 0-based index, or -1 for none (or when given by name)
 * @param delimiter       field separator, any non-empty string ("," "\t" "::")
 * @param hasHeader       whether the first line is a header
 * @param userName        header name of the user column, or null when chosen by index
 */
public record ColumnSpec(int userColumn, int itemColumn, int timestampColumn, String delimiter, boolean hasHeader,
                         String userName, String itemName, String timestampName) {

    public ColumnSpec {
        Objects.requireNonNull(delimiter, "delimiter");
        if (delimiter.isEmpty()) throw new IllegalArgumentException("delimiter must not be empty");
        if (delimiter.contains("\n") || delimiter.contains("\r") || delimiter.contains("\""))
            throw new IllegalArgumentException("delimiter must not contain a line break or a quote: " + delimiter);
        if ((userName != null || itemName != null || timestampName != null) && !hasHeader)
            throw new IllegalArgumentException("columns chosen by header name need a header");
        if (userName == null && userColumn < 0) throw new IllegalArgumentException("user column must be >= 0, got " + userColumn);
        if (itemName == null && itemColumn < 0) throw new IllegalArgumentException("item column must be >= 0, got " + itemColumn);
        if (timestampColumn < -1) throw new IllegalArgumentException("timestamp column must be >= 0 or -1 (none), got " + timestampColumn);
        if (userName == null && itemName == null && userColumn == itemColumn)
            throw new IllegalArgumentException("user and item columns are the same: " + userColumn);
    }

    /** Columns by 0-based index. */
    public ColumnSpec(int userColumn, int itemColumn, int timestampColumn, String delimiter, boolean hasHeader) {
        this(userColumn, itemColumn, timestampColumn, delimiter, hasHeader, null, null, null);
    }

    /** Columns by header name; {@code timestampName} may be null (no timestamp: input order is time order). */
    public static ColumnSpec byName(String userName, String itemName, String timestampName, String delimiter) {
        return new ColumnSpec(-1, -1, -1, delimiter, true, Objects.requireNonNull(userName, "userName"),
                Objects.requireNonNull(itemName, "itemName"), timestampName);
    }

    public boolean hasTimestamp() { return timestampColumn >= 0 || timestampName != null; }

    /** True when every column is a resolved index (nothing left to look up in a header). */
    public boolean isResolved() { return userName == null && itemName == null && timestampName == null; }

    /** The smallest number of fields a row needs to hold every chosen column. */
    public int minFields() { return Math.max(Math.max(userColumn, itemColumn), timestampColumn) + 1; }

    /**
     * Replaces column names by their indices in {@code header}; fails with a message naming the file, the
     * missing column and the columns found.
     */
    public ColumnSpec resolve(List<String> header, String file) {
        if (isResolved()) return this;
        int u = userName == null ? userColumn : find(header, userName, "user", file);
        int i = itemName == null ? itemColumn : find(header, itemName, "item", file);
        int t = timestampName == null ? timestampColumn : find(header, timestampName, "timestamp", file);
        if (u == i) throw DataFormatException.at(file, 1, "user and item are the same column " + (u + 1));
        return new ColumnSpec(u, i, t, delimiter, hasHeader);
    }

    private static int find(List<String> header, String name, String role, String file) {
        int k = header.indexOf(name);
        if (k < 0) throw DataFormatException.at(file, 1, "header has no " + role + " column '" + name + "' (header: "
                + String.join(",", header) + ")");
        return k;
    }

    /** Name of a 0-based column for error messages: the header name if known, else the role. */
    String fieldName(int column, String[] header) {
        if (header != null && column < header.length && !header[column].isEmpty()) return header[column];
        if (column == userColumn) return "user";
        if (column == itemColumn) return "item";
        if (column == timestampColumn) return "timestamp";
        return null;
    }

    @Override public String toString() {
        return "ColumnSpec[user=" + (userName != null ? "'" + userName + "'" : userColumn)
                + ", item=" + (itemName != null ? "'" + itemName + "'" : itemColumn)
                + ", timestamp=" + (timestampName != null ? "'" + timestampName + "'" : timestampColumn)
                + ", delimiter='" + delimiter.replace("\t", "\\t") + "', header=" + hasHeader + "]";
    }
}
