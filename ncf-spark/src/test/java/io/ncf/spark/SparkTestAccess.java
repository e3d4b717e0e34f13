package io.ncf.spark;

import org.apache.spark.sql.SparkSession;

import java.nio.file.Path;

/** {@link SparkTests} for the tests of other packages. */
public final class SparkTestAccess {
    private SparkTestAccess() {}

    public static SparkSession spark() { return SparkTests.spark(); }

    public static Path sharedData(String name) { return SparkTests.sharedData(name); }
}
