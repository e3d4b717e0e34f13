package io.ncf.bench;

import io.ncf.data.DatasetStore;
import io.ncf.data.NcfDataset;
import io.ncf.data.Preprocessor;
import io.ncf.data.RatingsFormat;
import io.ncf.data.RatingsRecordReader;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a dataset as a {@link GpuDataset} file. {@code DatasetExporter DIR OUT} exports an {@code ncf prepare}
 * directory; {@code DatasetExporter RATINGS FORMAT SEED OUT} prepares a ratings file as {@code ncf prepare --seed}
 * does (ncf-data's Preprocessor, NVIDIA's defaults) and exports it.
 */
public final class DatasetExporter {
    public static void main(String[] args) throws Exception {
        NcfDataset ds;
        Path out;
        if (Files.isDirectory(Path.of(args[0]))) {
            ds = DatasetStore.load(Path.of(args[0]));
            out = Path.of(args[1]);
        } else {
            ds = new Preprocessor(Preprocessor.Options.defaults().withSeed(Long.parseLong(args[2])))
                    .run(RatingsRecordReader.read(Path.of(args[0]), RatingsFormat.fromName(args[1])));
            out = Path.of(args[3]);
        }
        new GpuDataset(ds.numUsers(), ds.numItems(), ds.trainUsers(), ds.trainItems(), ds.candidates().users(),
                ds.candidates().items(), ds.candidates().width()).write(out);
        System.out.println("wrote " + out + ": " + ds.numUsers() + " users, " + ds.numItems() + " items, "
                + ds.trainSize() + " train positives, candidates " + ds.candidates().numUsers() + " × " + ds.candidates().width());
    }
}
