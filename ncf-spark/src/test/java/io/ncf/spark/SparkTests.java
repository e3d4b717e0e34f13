package io.ncf.spark;

import org.apache.spark.sql.SparkSession;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The one local Spark session of the module's tests: {@code local[2,2]}, two task threads as CI has two cores, and a
 * failed task tried twice (as executors on a cluster retry), which the task-retry test relies on.
 */
final class SparkTests {

    private static SparkSession session;

    private SparkTests() {}

    static synchronized SparkSession spark() {
        if (session == null) {
            session = SparkSession.builder()
                    .master("local[2,2]")
                    .appName("ncf-spark-tests")
                    .config("spark.ui.enabled", "false")
                    .config("spark.sql.shuffle.partitions", "4")
                    .config("spark.driver.host", "127.0.0.1")
                    .getOrCreate();
            Runtime.getRuntime().addShutdownHook(new Thread(session::stop));
        }
        return session;
    }

    /** {@code ../shared/data/NAME} (the build passes its location), or null when it is not there. */
    static Path sharedData(String name) {
        String base = System.getProperty("ncf.shared.data", "../../shared/data");
        Path p = Path.of(base, name);
        return Files.exists(p) ? p : null;
    }
}
