package io.ncf.spark.cli;

import io.ncf.data.ColumnSpec;
import io.ncf.data.DataFormatException;
import io.ncf.data.RatingsFormat;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.util.Arrays;

import static org.apache.spark.sql.functions.col;

/**
 * A ratings file of one of {@code ncf prepare}'s formats ({@link RatingsFormat}: the same names, aliases, separators,
 * headers and columns) read with Spark's CSV reader into {@code (user, item, timestamp)}, every column a string.
 *
 * <p>Strings because ncf prepare compares ids as text: read as strings, {@code SparkPreparation} gives exactly its
 * dense ids, and a field that is not a number reaches the preparation as itself and is refused there naming the row
 * and the value (read as {@code int}, Spark would turn it into a null). The time column is a string of digits, which
 * {@code SparkPreparation} accepts as an integer. MovieLens files are read without quote handling, as ncf prepare
 * reads them; the generic {@code csv} format honours double quotes.
 */
final class RatingsInput {

    static final String USER = "user", ITEM = "item", TIMESTAMP = "timestamp";

    private final String file;
    private final RatingsFormat format;

    RatingsInput(String file, RatingsFormat format) {
        this.file = file;
        this.format = format;
    }

    RatingsFormat format() { return format; }

    /** The rows in file order; a header that lacks a named column, or too few fields, fails naming the file. */
    Dataset<Row> read(SparkSession spark) {
        ColumnSpec spec = format.spec();
        DataFrameReader reader = spark.read()
                .option("sep", spec.delimiter()) // Spark 3+ takes a multi-character separator (ml-1m's "::")
                .option("header", spec.hasHeader())
                .option("inferSchema", false)
                .option("mode", "PERMISSIVE"); // a short row reads as nulls, which the preparation refuses by row
        if (!format.quoted()) reader = reader.option("quote", ""); // an empty string turns quoting off
        Dataset<Row> raw = reader.csv(file);
        String[] columns = raw.columns();
        ColumnSpec resolved = spec.resolve(Arrays.asList(columns), file);
        if (columns.length < resolved.minFields())
            throw DataFormatException.at(file, 1, "has " + columns.length + " field" + (columns.length == 1 ? "" : "s") + " separated by '"
                    + printable(spec.delimiter()) + "', format " + format.cliName() + " needs " + resolved.minFields()
                    + " (is --format " + format.cliName() + " right for this file?)");
        // positions, not names: a header may repeat a name or have none (Spark then names the column _cN)
        return raw.select(col(quoted(columns[resolved.userColumn()])).as(USER), col(quoted(columns[resolved.itemColumn()])).as(ITEM),
                col(quoted(columns[resolved.timestampColumn()])).as(TIMESTAMP));
    }

    /** A column name as {@code col} reads it literally (a dot or backtick in a header name is not a path). */
    private static String quoted(String name) { return "`" + name.replace("`", "``") + "`"; }

    private static String printable(String delimiter) { return delimiter.replace("\t", "\\t"); }
}
