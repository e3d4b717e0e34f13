package io.ncf.spark;

import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.util.Arrays;

/**
 * Column checks and the output schemas of the estimator and model (ALS's shapes), and the id codec: ids travel inside
 * ncf as strings (the model artifact's vocabularies, as {@code ncf prepare} writes them) and come back to Spark in the
 * type they came in.
 */
final class NcfSchemas {

    /** Model artifact metadata keys holding the Spark types of the id columns (JSON). */
    static final String USER_TYPE_KEY = "spark.user_type", ITEM_TYPE_KEY = "spark.item_type";

    static final String RECOMMENDATIONS = "recommendations", RATING = "rating";

    private NcfSchemas() {}

    /** The input schema plus the prediction column, after checking the id columns. */
    static StructType withPrediction(StructType schema, String userCol, String itemCol, String predictionCol) {
        requireId(schema, userCol, "userCol");
        requireId(schema, itemCol, "itemCol");
        if (Arrays.asList(schema.fieldNames()).contains(predictionCol))
            throw new IllegalArgumentException("predictionCol: the input already has a column '" + predictionCol + "'");
        return schema.add(predictionCol, DataTypes.FloatType, true);
    }

    static DataType typeOf(StructType schema, String col) { return schema.apply(field(schema, col, "column").name()).dataType(); }

    static void requireId(StructType schema, String col, String param) {
        DataType t = field(schema, col, param).dataType();
        if (!isIdType(t))
            throw new IllegalArgumentException(param + " '" + col + "' is of type " + t.simpleString()
                    + "; ids must be string, int, long, short or byte");
    }

    static void requireNumeric(StructType schema, String col, String param) {
        DataType t = field(schema, col, param).dataType();
        if (!(t instanceof NumericType) && !t.equals(DataTypes.TimestampType))
            throw new IllegalArgumentException(param + " '" + col + "' is of type " + t.simpleString() + "; interaction times must be numeric or a timestamp");
    }

    static boolean isIdType(DataType t) {
        return t.equals(DataTypes.StringType) || t.equals(DataTypes.IntegerType) || t.equals(DataTypes.LongType)
                || t.equals(DataTypes.ShortType) || t.equals(DataTypes.ByteType);
    }

    private static StructField field(StructType schema, String col, String param) {
        for (StructField f : schema.fields()) if (f.name().equals(col)) return f;
        throw new IllegalArgumentException(param + ": no column '" + col + "' in " + Arrays.toString(schema.fieldNames()));
    }

    /** An id value as ncf's vocabularies hold it. */
    static String idString(Object value) { return value == null ? null : value.toString(); }

    /** A vocabulary id back in its Spark type. */
    static Object idValue(String id, DataType type) {
        if (type.equals(DataTypes.IntegerType)) return Integer.valueOf(id);
        if (type.equals(DataTypes.LongType)) return Long.valueOf(id);
        if (type.equals(DataTypes.ShortType)) return Short.valueOf(id);
        if (type.equals(DataTypes.ByteType)) return Byte.valueOf(id);
        return id;
    }

    /** ALS's recommendForAll* schema: (keyCol, recommendations: array<struct<valueCol, rating: float>>). */
    static StructType recommendations(String keyCol, DataType keyType, String valueCol, DataType valueType) {
        StructType entry = new StructType().add(valueCol, valueType, false).add(RATING, DataTypes.FloatType, false);
        return new StructType().add(keyCol, keyType, false).add(RECOMMENDATIONS, new ArrayType(entry, false), false);
    }
}
