package io.ncf.spark.train;

import io.ncf.spark.NcfEstimator;
import io.ncf.spark.NcfModel;
import io.ncf.spark.SparkTestAccess;
import io.ncf.train.EpochReport;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Failures change nothing. (1) A fit dies — a step's tasks fail on every attempt, so the job and the fit fail, as when
 * the driver is lost — and keeps its state after the last completed epoch in {@code checkpointDir}. (2) The next fit of
 * the same recipe continues from there, and on the way two of its tasks fail on their first attempt on an executor
 * that lost its replicas: Spark re-runs them and they rebuild their replicas from the step's broadcast. (3) That fit
 * ends bit for bit where an uninterrupted fit ends: every epoch's loss and HR, and the parameters. (4) A fit of
 * another recipe is refused in that directory. The shared session runs {@code local[2,2]}: a failed task is tried twice.
 * Both ways of syncing a step: a Spark job per step (a failed task is re-run alone) and barrier mode (a failed task
 * fails its whole barrier stage, an epoch, which Spark runs again from the epoch's start state).
 */
@org.junit.jupiter.api.Tag("e2e") // minutes of Spark on 2 cores: in the e2e suite (CI runs it), out of the default 10-minute run
class TaskRetryTest {

    @AfterEach void noFaults() {
        Replicas.failFirstAttemptAt = null;
        Replicas.failEveryAttemptAt = null;
        BarrierReplicas.failFirstAttemptAt = null;
        BarrierReplicas.failEveryAttemptAt = null;
    }

    @ParameterizedTest @ValueSource(strings = {"job", "barrier"})
    void failedTasksAndADeadFitChangeNothing(String mode, @TempDir Path tmp) {
        boolean barrier = mode.equals("barrier");
        Path data = SparkTestAccess.sharedData("ml-100k");
        assumeTrue(data != null, "skipped: ../shared/data/ml-100k is not there (the test trains on it)");
        Dataset<Row> ratings = SparkTestAccess.spark().read().option("sep", "\t").schema("user INT, item INT, rating FLOAT, ts LONG")
                .csv(data.resolve("u.data").toString());
        NcfModel clean = estimator(mode).fit(ratings);

        NcfEstimator est = estimator(mode).setCheckpointDir(tmp.resolve("fit").toUri().toString());
        // in epoch 1 (31 steps an epoch); job mode counts parameter versions, barrier mode global steps (one less)
        if (barrier) BarrierReplicas.failEveryAttemptAt = g -> g == 39;
        else Replicas.failEveryAttemptAt = v -> v == 40;
        assertThrows(Exception.class, () -> est.fit(ratings));
        assertTrue(Files.exists(tmp.resolve("fit").resolve("state.ncf")), "the state after epoch 0 is kept");

        Replicas.failEveryAttemptAt = null;
        BarrierReplicas.failEveryAttemptAt = null;
        if (barrier) BarrierReplicas.failFirstAttemptAt = g -> g == 44 || g == 79;
        else Replicas.failFirstAttemptAt = v -> v == 45 || v == 80;
        NcfModel resumed = est.fit(ratings);
        assertEquals(2, resumed.summary().epochs().size(), "continued at epoch 1: " + resumed.summary().epochs());
        List<EpochReport> a = clean.summary().epochs();
        for (EpochReport r : resumed.summary().epochs()) {
            assertEquals(a.get(r.epoch()).loss(), r.loss(), 0.0, "epoch " + r.epoch() + " loss");
            assertEquals(a.get(r.epoch()).hitRate(), r.hitRate(), 0.0, "epoch " + r.epoch() + " HR");
        }
        assertArrayEquals(clean.artifact().flatParams(), resumed.artifact().flatParams());
        assertEquals(mode, resumed.artifact().metadata().get("sync_mode"));

        IllegalArgumentException other = assertThrows(IllegalArgumentException.class,
                () -> est.copy(new ParamMap()).setLearningRate(0.01f).fit(ratings));
        assertTrue(other.getMessage().contains("another fit") && other.getMessage().contains("state.ncf"), other.getMessage());
    }

    private static NcfEstimator estimator(String mode) {
        return new NcfEstimator().setSyncMode(mode).setTimestampCol("ts").setFactors(8).setLayers(32, 16).setMaxIter(3).setBatchSize(16384)
                .setNumShards(2).setSeed(5);
    }
}
