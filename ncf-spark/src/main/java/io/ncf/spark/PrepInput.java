package io.ncf.spark;

import io.ncf.data.DataFormatException;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.DateType;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.types.TimestampNTZType;
import org.apache.spark.sql.types.TimestampType;

import java.io.Serializable;
import java.math.BigDecimal;

import static org.apache.spark.sql.functions.unix_date;
import static org.apache.spark.sql.functions.unix_micros;

/**
 * The user, item and timestamp columns of {@link SparkPreparation}: checked on the driver (they exist, their types
 * make sense), then read row by row on the executors into {@code (raw_user, raw_item, time, position)}, where
 * every null id, empty string id, unreadable or negative timestamp fails with a {@link DataFormatException} that
 * names the column, the row and the value, as ncf-data's file readers name file, line and field.
 */
final class PrepInput {

    /** Columns of the positioned rows: the ids keep their original type, time and position are longs. */
    static final String RAW_USER = "raw_user", RAW_ITEM = "raw_item", TIME = "time", POSITION = "position";

    private final Column[] columns;
    private final StructType rowSchema;
    private final Reader reader;

    private PrepInput(Column[] columns, StructType rowSchema, Reader reader) {
        this.columns = columns;
        this.rowSchema = rowSchema;
        this.reader = reader;
    }

    /** Resolves and checks the columns; a missing column or an unusable type is an {@link IllegalArgumentException}. */
    static PrepInput of(Dataset<Row> ratings, String userCol, String itemCol, String timeCol) {
        DataType userType = idType(ratings, userCol, "user");
        DataType itemType = idType(ratings, itemCol, "item");
        TimeKind kind = timeCol == null ? TimeKind.POSITION : TimeKind.of(timeCol, typeOf(ratings, timeCol));
        Column time = kind.select(timeCol == null ? null : ratings.col(timeCol));
        Column[] columns = {ratings.col(userCol), ratings.col(itemCol), time};
        StructType schema = new StructType()
                .add(RAW_USER, userType, false)
                .add(RAW_ITEM, itemType, false)
                .add(TIME, DataTypes.LongType, false)
                .add(POSITION, DataTypes.LongType, false);
        Reader reader = new Reader(userCol, userType instanceof StringType, itemCol, itemType instanceof StringType, timeCol, kind);
        return new PrepInput(columns, schema, reader);
    }

    /** The three input columns (the timestamp already converted where SQL does it best, e.g. timestamp → µs). */
    Dataset<Row> select(Dataset<Row> ratings) { return ratings.select(columns); }

    StructType rowSchema() { return rowSchema; }

    Reader reader() { return reader; }

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

    /** Runs on the executors: one selected row and its input position → a checked positioned row. */
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

        Row read(Row in, long position) {
            Object user = id(in.get(0), userCol, userIsString, "user", position);
            Object item = id(in.get(1), itemCol, itemIsString, "item", position);
            long time = timeKind == TimeKind.POSITION ? position : time(in.get(2), position);
            return RowFactory.create(user, item, time, position);
        }

        private static Object id(Object v, String col, boolean isString, String what, long position) {
            if (v == null) throw error(position, col, "null " + what + " id");
            // ncf prepare refuses empty ids too (and cannot store them as distinct from a missing one)
            if (isString && v.toString().isEmpty()) throw error(position, col, "empty " + what + " id");
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

        /** {@code DataFrame row N: column 'c': message}, N 1-based in the DataFrame's order (the input position + 1). */
        private static DataFormatException error(long position, String col, String message) {
            return new DataFormatException("DataFrame row " + (position + 1) + ": column '" + col + "': " + message);
        }
    }
}
