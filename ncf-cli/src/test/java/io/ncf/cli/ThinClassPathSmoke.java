package io.ncf.cli;

import io.ncf.data.DatasetStore;
import io.ncf.data.NcfDataset;
import io.ncf.core.NeuMFConfig;
import io.ncf.train.Checkpoints;
import io.ncf.train.EpochReport;
import io.ncf.train.JsonLinesLog;
import io.ncf.train.TrainingOptions;
import io.ncf.train.TrainingSummary;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Run by {@link ThinClassPathTest} (and by hand) on a class path like the GPU bundle's, which
 * has no ND4J jar at all, to show that everything {@code --engine cuda} does on the host (dataset loading, the log
 * lines, the JSON log, the flat checkpoint writers) loads no ND4J class. Usage: DATASET_DIR OUT_DIR
 */
public final class ThinClassPathSmoke {

    public static void main(String[] args) throws Exception {
        NcfDataset ds = DatasetStore.load(Path.of(args[0]));
        Path out = Path.of(args[1]);
        NeuMFConfig c = NeuMFConfig.defaults(ds.numUsers(), ds.numItems());
        TrainingOptions o = new TrainingOptions(1, 4096, 4, 0.0045f, 0.25f, 0.5f, 1e-8f, 10, 5000, 0, 0.9, false, 1, 4096);
        EpochReport r = new EpochReport(0, 1.0, 100, 1, 0.5, true, 0.1, 10, 0.25, 0.125, true);
        PrintWriter pw = new PrintWriter(System.out, true);
        var lines = new TrainCommand.SeedLogLines(pw, 10, true);
        try (JsonLinesLog json = new JsonLinesLog(out.resolve("log.jsonl"), Map.of("engine", "cuda"))) {
            for (var li : List.of(lines, json)) {
                li.onEpoch(r);
                li.onEnd(new TrainingSummary(List.of(r), -1, Double.NaN, 1.0, 0.25, 0.125, 0, 2.0));
            }
        }
        Checkpoints.writeBestFlat(out, ds, o, false, r, c, io.ncf.model.ParamInit.nvidia(c, 1), io.ncf.model.ModelKind.NEUMF);
        Class<?> nd4j = null;
        try { nd4j = Class.forName("org.nd4j.linalg.factory.Nd4j", false, ThinClassPathSmoke.class.getClassLoader()); } catch (ClassNotFoundException expected) { }
        System.out.println("thin class path OK: checkpoint written to " + out + (nd4j == null ? " (no ND4J on the class path)" : " (ND4J is on the class path)"));
    }
}
