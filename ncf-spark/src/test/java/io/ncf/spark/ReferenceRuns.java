package io.ncf.spark;

import io.ncf.core.NeuMFConfig;
import io.ncf.data.NcfDataset;
import io.ncf.data.Preprocessor;
import io.ncf.data.RatingsFormat;
import io.ncf.data.RatingsRecordReader;
import io.ncf.spark.bench.SparkBenchmark;
import io.ncf.train.TrainingSummary;

import java.nio.file.Path;

/** What {@code ncf train --engine fused} computes for a recipe: the CLI's reader and preparation, the fused engine, the one loop. */
final class ReferenceRuns {

    private ReferenceRuns() {}

    static TrainingSummary ncfTrain(Path ratings, RatingsFormat format, long seed, int epochs, int batch, int factors, int[] layers) {
        NcfDataset ds = new Preprocessor(new Preprocessor.Options(20, 100, seed)).run(RatingsRecordReader.read(ratings, format));
        NeuMFConfig config = new NeuMFConfig(ds.numUsers(), ds.numItems(), factors, layers, NeuMFConfig.DEFAULT_DROPOUT);
        return SparkBenchmark.ncfTrain(ds, config, epochs, batch, seed);
    }
}
