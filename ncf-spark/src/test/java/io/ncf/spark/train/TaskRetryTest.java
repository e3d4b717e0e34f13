package io.ncf.spark.train;

import io.ncf.spark.NcfEstimator;
import io.ncf.spark.NcfModel;
import io.ncf.spark.SparkTestAccess;
import io.ncf.train.EpochReport;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A task that fails mid-epoch, on an executor that lost its replicas, is re-run by Spark and the fit goes on as if
 * nothing happened: the re-run task rebuilds its replica from the step's parameter broadcast, so every epoch's loss
 * and HR and the final parameters are bit for bit those of a fit without failures. (The shared session runs
 * {@code local[2,2]}: two task threads, a failed task tried twice.)
 */
class TaskRetryTest {

    @AfterEach void noFaults() { Replicas.failFirstAttemptAt = null; }

    @Test void failedTasksAreRetriedAndTheFitIsUnchanged() {
        Path dir = SparkTestAccess.sharedData("ml-100k");
        assumeTrue(dir != null, "skipped: ../shared/data/ml-100k is not there (the test trains on it)");
        Dataset<Row> ratings = SparkTestAccess.spark().read().option("sep", "\t").schema("user INT, item INT, rating FLOAT, ts LONG")
                .csv(dir.resolve("u.data").toString());
        NcfModel clean = fit(ratings);
        Replicas.failFirstAttemptAt = v -> v == 3 || v == 40;
        NcfModel faulted = fit(ratings);
        List<EpochReport> a = clean.summary().epochs(), b = faulted.summary().epochs();
        for (int e = 0; e < a.size(); e++) {
            assertEquals(a.get(e).loss(), b.get(e).loss(), 0.0, "epoch " + e + " loss");
            assertEquals(a.get(e).hitRate(), b.get(e).hitRate(), 0.0, "epoch " + e + " HR");
        }
        assertArrayEquals(clean.artifact().flatParams(), faulted.artifact().flatParams());
    }

    private static NcfModel fit(Dataset<Row> ratings) {
        return new NcfEstimator().setTimestampCol("ts").setFactors(8).setLayers(32, 16).setMaxIter(2).setBatchSize(16384)
                .setNumShards(2).setSeed(5).fit(ratings);
    }
}
