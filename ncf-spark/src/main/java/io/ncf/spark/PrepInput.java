package io.ncf.spark;

import io.ncf.data.DataFormatException;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DateType;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.TimestampNTZType;
import org.apache.spark.sql.types.TimestampType;

import scala.Tuple2;

import java.io.Serializable;
import java.math.BigDecimal;
import java.util.Iterator;
import java.util.List;

import static org.apache.spark.sql.functions.unix_date;
import static org.apache.spark.sql.functions.unix_micros;

/**
 * The user, item and timestamp columns of {@link SparkPreparation}: checked on the driver (they exist, their types
 * make sense), then read row by row on the executors into {@code (raw user, (raw item, time, position))}, where
 * every null id, empty string id, unreadable or negative timestamp fails with a {@link RowError} that names the
 * column, the row and the value; the driver turns it into a {@link DataFormatException} with the DataFrame's row
 * number, as ncf-data's file readers name file, line and field.
 * <p>
 * A position is {@code (input partition, index within it)} packed in a long: ordered as the DataFrame's rows, yet
 * known without a pass that counts the rows of every partition first (as {@code zipWithIndex} runs). Only an
 * error message needs the global row number, and only then are the partitions before it counted.
 */
final class PrepInput {

    /** Bits of a position that hold the index within its input partition; the partition is above them. */
    private static final int INDEX_BITS = 40;

    private final Column[] columns;
    private final DataType userType, itemType;
    private final Reader reader;

    private PrepInput(Column[] columns, DataType userType, DataType itemType, Reader reader) {
        this.columns = columns;
        this.userType = userType;
        this.itemType = itemType;
        this.reader = reader;
    }

    /** Resolves and checks the columns; a missing column or an unusable type is an {@link IllegalArgumentException}. */
    static PrepInput of(Dataset<Row> ratings, String userCol, String itemCol, String timeCol) {
        DataType userType = idType(ratings, userCol, "user");
        DataType itemType = idType(ratings, itemCol, "item");
        TimeKind kind = timeCol == null ? TimeKind.POSITION : TimeKind.of(timeCol, typeOf(ratings, timeCol));
        Column time = kind.select(timeCol == null ? null : ratings.col(timeCol));
        Column[] columns = {ratings.col(userCol), ratings.col(itemCol), time};
        Reader reader = new Reader(userCol, userType instanceof StringType, itemCol, itemType instanceof StringType, timeCol, kind);
        return new PrepInput(columns, userType, itemType, reader);
    }

    /** The three input columns (the timestamp already converted where SQL does it best, e.g. timestamp → µs). */
    Dataset<Row> select(Dataset<Row> ratings) { return ratings.select(columns); }

    DataType userType() { return userType; }

    DataType itemType() { return itemType; }

    Reader reader() { return reader; }

    static long position(int partition, long index) {
        if (index >>> INDEX_BITS != 0) throw new IllegalStateException("more than 2^" + INDEX_BITS + " rows in a partition");
        return (long) partition << INDEX_BITS | index;
    }

    static int partitionOf(long position) { return (int) (position >>> INDEX_BITS); }

    /** Rows of the input partitions before {@code partition}: the driver's offset for a {@link RowError}. */
    static long rowsBefore(JavaRDD<Row> selected, int partition) {
        return selected.mapPartitionsWithIndex((p, rows) -> {
            long n = 0;
            if (p < partition) for (; rows.hasNext(); rows.next()) n++;
            return List.of(n).iterator();
        }, false).fold(0L, Long::sum);
    }

    /**
     * A bad value found on an executor, where the row's global number is unknown: {@link #at} names it once the
     * rows of the partitions before are counted.
     */
    static final class RowError extends RuntimeException {
        private static final long serialVersionUID = 1L;

        final int partition;
        private final long index;
        private final String column, problem;

        RowError(long position, String column, String problem) {
            super("input partition " + partitionOf(position) + ", row " + (position - ((long) partitionOf(position) << INDEX_BITS) + 1)
                    + " in it: column '" + column + "': " + problem);
            this.partition = partitionOf(position);
            this.index = position - ((long) partition << INDEX_BITS);
            this.column = column;
            this.problem = problem;
        }

        /** {@code DataFrame row N: column 'c': message}, N 1-based in the DataFrame's order. */
        DataFormatException at(long rowsBefore, Throwable cause) {
            return new DataFormatException("DataFrame row " + (rowsBefore + index + 1) + ": column '" + column + "': " + problem, cause);
        }
    }

    private static DataType idType(Dataset<Row> ratings, String name, String what) {
        DataType t = typeOf(ratings, name);
        boolean atomic = t instanceof NumericType || t instanceof StringType || t instanceof BooleanType
                || t instanceof DateType || t instanceof TimestampType || t instanceof TimestampNTZType;
        if (!atomic) throw new IllegalArgumentException("column '" + name + "' has type " + t.simpleString() + "; "
                + what + " ids must be numbers, strings, dates or timestamps");
        return t;
    }

    private static DataType typeOf(Dataset<Row> ratings, String name) {
        try {
            return ratings.select(ratings.col(name)).schema().fields()[0].dataType();
        } catch (Exception e) { // Spark's AnalysisException (checked in Scala's eyes, so caught broadly)
            throw new IllegalArgumentException("no column '" + name + "' in the ratings (columns: "
                    + String.join(", ", ratings.columns()) + ")", e);
        }
    }

    /** How a timestamp column becomes a long on the executors. Only the order of the values matters. */
    enum TimeKind {
        /** No timestamp column: the input position is the time (ncf prepare without a timestamp column). */
        POSITION(""),
        /** Integer types. */
        INTEGRAL(""),
        /** Timestamps, turned into µs since 1970 by SQL ({@code unix_micros}) before they are read. */
        TIMESTAMP_MICROS(" (microseconds since 1970-01-01)"),
        /** Dates, turned into days since 1970 by SQL ({@code unix_date}) before they are read. */
        DATE_DAYS(" (days since 1970-01-01)"),
        /** float/double/decimal: accepted when whole, as a CSV reader may have inferred them from "1.0". */
        FRACTIONAL(""),
        /** Text, parsed as ncf prepare parses it ({@link Long#parseLong}, no trimming). */
        STRING("");

        final String unit;

        TimeKind(String unit) { this.unit = unit; }

        static TimeKind of(String name, DataType t) {
            if (t instanceof TimestampType) return TIMESTAMP_MICROS;
            if (t instanceof DateType) return DATE_DAYS;
            if (t instanceof FloatType || t instanceof DoubleType || t instanceof DecimalType) return FRACTIONAL;
            if (t instanceof NumericType) return INTEGRAL;
            if (t instanceof StringType) return STRING;
            throw new IllegalArgumentException("timestamp column '" + name + "' has type " + t.simpleString()
                    + "; give integers (e.g. seconds since 1970), integer strings, timestamps or dates");
        }

        Column select(Column c) {
            return switch (this) {
                case POSITION -> org.apache.spark.sql.functions.lit(0L); // replaced by the position when read
                case TIMESTAMP_MICROS -> unix_micros(c);
                case DATE_DAYS -> unix_date(c);
                default -> c;
            };
        }
    }

    /** Runs on the executors: one selected row and its position → {@code (raw user, [raw item, time, position])}, checked. */
    static final class Reader implements Serializable {
        private static final long serialVersionUID = 1L;

        private final String userCol, itemCol, timeCol;
        private final boolean userIsString, itemIsString;
        private final TimeKind timeKind;

        Reader(String userCol, boolean userIsString, String itemCol, boolean itemIsString, String timeCol, TimeKind timeKind) {
            this.userCol = userCol;
            this.userIsString = userIsString;
            this.itemCol = itemCol;
            this.itemIsString = itemIsString;
            this.timeCol = timeCol;
            this.timeKind = timeKind;
        }

        /** The rows of input partition {@code partition}, positioned in their order. */
        Iterator<Tuple2<Object, Object[]>> readAll(int partition, Iterator<Row> rows) {
            return new Iterator<>() {
                long index;

                @Override public boolean hasNext() { return rows.hasNext(); }

                @Override public Tuple2<Object, Object[]> next() { return read(rows.next(), position(partition, index++)); }
            };
        }

        Tuple2<Object, Object[]> read(Row in, long position) {
            Object user = id(in.get(0), userCol, userIsString, "user", position);
            Object item = id(in.get(1), itemCol, itemIsString, "item", position);
            long time = timeKind == TimeKind.POSITION ? position : time(in.get(2), position);
            return new Tuple2<>(user, new Object[]{item, time, position});
        }

        private static Object id(Object v, String col, boolean isString, String what, long position) {
            if (v == null) throw error(position, col, "null " + what + " id");
            // ncf prepare refuses empty ids too (and cannot store them as distinct from a missing one)
            if (isString && v.toString().isEmpty()) throw error(position, col, "empty " + what + " id");
            // ids are grouped by Java equality here: -0.0 is 0.0, as SQL groups them
            if (v instanceof Double d && d == 0.0) return 0.0d;
            if (v instanceof Float f && f == 0.0f) return 0.0f;
            return v;
        }

        private long time(Object v, long position) {
            if (v == null) throw error(position, timeCol, "null timestamp");
            long t;
            switch (timeKind) {
                case STRING -> {
                    try {
                        t = Long.parseLong(v.toString());
                    } catch (NumberFormatException e) {
                        throw error(position, timeCol, "'" + v + "' is not an integer");
                    }
                }
                case FRACTIONAL -> t = whole(v, position);
                default -> t = ((Number) v).longValue();
            }
            if (t < 0) throw error(position, timeCol, t + timeKind.unit + " is negative; timestamps must be >= 0");
            return t;
        }

        private long whole(Object v, long position) {
            try {
                BigDecimal d = v instanceof BigDecimal b ? b : new BigDecimal(((Number) v).doubleValue());
                return d.longValueExact(); // fails for a fraction or a value beyond a long
            } catch (ArithmeticException | NumberFormatException e) { // NumberFormatException: NaN or infinity
                throw error(position, timeCol, v + " is not a whole number");
            }
        }

        private static RowError error(long position, String col, String message) {
            return new RowError(position, col, message);
        }
    }
}
