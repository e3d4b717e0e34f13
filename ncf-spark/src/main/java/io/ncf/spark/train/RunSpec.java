package io.ncf.spark.train;

import io.ncf.core.NeuMFConfig;

import java.io.Serializable;

/**
 * What every executor needs to build its replica of a training run, shipped once per run (a broadcast): the model's
 * shape and the fused kernel's micro-batch. {@code runId} keys the replicas an executor caches.
 */
record RunSpec(String runId, int numUsers, int numItems, int factors, int[] layers, float dropout, int microBatch) implements Serializable {

    static RunSpec of(String runId, NeuMFConfig c, int microBatch) {
        return new RunSpec(runId, c.numUsers(), c.numItems(), c.factors(), c.layers().clone(), c.dropout(), microBatch);
    }

    NeuMFConfig config() { return new NeuMFConfig(numUsers, numItems, factors, layers, dropout); }
}
