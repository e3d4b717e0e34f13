package io.ncf.spark.train;

import org.apache.spark.broadcast.Broadcast;

import java.io.Serializable;

/**
 * One executor's share of one optimizer step: a contiguous slice of the step's samples (users, items, labels), where
 * it starts in the epoch (dropout masks are a function of that position, so they do not depend on how the step is
 * split), the weight of each sample's loss, and the parameters to compute with: version {@code version}, found in
 * {@code params} when the executor's replica is older.
 */
record ShardTask(Broadcast<RunSpec> spec, int shard, long version, Broadcast<byte[]> params,
                 int[] users, int[] items, float[] labels, long samplePosition, float weight,
                 long maskSeed, float maskRate) implements Serializable {}
