package io.ncf.spark;

import io.ncf.core.NeuMFConfig;
import io.ncf.data.NcfDataset;
import io.ncf.data.Preprocessor;
import io.ncf.data.RatingsFormat;
import io.ncf.data.RatingsRecordReader;
import io.ncf.model.ModelKind;
import io.ncf.train.LossScaler;
import io.ncf.train.Start;
import io.ncf.train.Trainer;
import io.ncf.train.TrainingOptions;
import io.ncf.train.TrainingSummary;
import io.ncf.train.engine.EngineRegistry;
import io.ncf.train.engine.EngineSetup;
import io.ncf.train.engine.EngineState;
import io.ncf.train.engine.TrainingEngine;

import java.nio.file.Path;
import java.util.List;

/** What {@code ncf train --engine fused} computes for a recipe: the CLI's reader and preparation, the fused engine, the one loop. */
final class ReferenceRuns {

    private ReferenceRuns() {}

    static TrainingSummary ncfTrain(Path ratings, RatingsFormat format, long seed, int epochs, int batch, int factors, int[] layers) {
        NcfDataset ds = new Preprocessor(new Preprocessor.Options(20, 100, seed)).run(RatingsRecordReader.read(ratings, format));
        NeuMFConfig config = new NeuMFConfig(ds.numUsers(), ds.numItems(), factors, layers, NeuMFConfig.DEFAULT_DROPOUT);
        TrainingOptions d = TrainingOptions.defaults();
        TrainingOptions o = new TrainingOptions(epochs, batch, 4, d.learningRate(), d.beta1(), d.beta2(), d.eps(), 10, d.validUsersPerBatch(),
                0, 1.0, false, seed, 65_536);
        float[] init = Start.random().parameters(ds, config, ModelKind.NEUMF, seed, 2, null);
        EngineSetup s = new EngineSetup(ds, config, ModelKind.NEUMF, o, false, 1, LossScaler.none(), EngineState.initial(config, init));
        try (TrainingEngine e = EngineRegistry.get("fused").open(s)) {
            return new Trainer(e, config, o, List.of()).train();
        }
    }
}
