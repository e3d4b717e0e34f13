package io.ncf.cli;

import io.ncf.data.BadRows;
import io.ncf.data.ColumnSpec;
import io.ncf.data.DataFormatException;
import io.ncf.data.DatasetStore;
import io.ncf.data.NcfDataset;
import io.ncf.data.NcfPaperFiles;
import io.ncf.data.Preprocessor;
import io.ncf.data.RatingsFormat;
import io.ncf.data.RatingsRecordReader;
import io.ncf.data.RawInteractions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code ncf prepare}: raw ratings → a dataset directory (the seed's convert.py, plus candidates). */
@Command(name = "prepare", mixinStandardHelpOptions = true, sortOptions = false, usageHelpWidth = 110,
        description = {"Read a ratings file, preprocess it as the seed does (min-ratings filter, dense ids, time order,",
                "dedupe, leave-latest-out), sample evaluation negatives and write a dataset directory."})
public final class PrepareCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(names = {"-i", "--input"}, required = true, paramLabel = "FILE", description = "Ratings file.") Path input;
    @Option(names = "--format", defaultValue = "ml-20m", paramLabel = "FORMAT",
            description = "ml-20m (also ml-25m, ml-latest: ratings.csv), ml-1m (also ml-10m: ratings.dat), ml-100k (u.data), csv (generic), ncf (the NCF paper's <prefix>.train.rating/.test.rating/.test.negative; --input is the prefix) (default: ${DEFAULT-VALUE}).")
    String format;
    @Option(names = {"-o", "--output"}, required = true, paramLabel = "DIR", description = "Dataset directory to write (replaced atomically if it exists).") Path output;
    @Option(names = "--min-ratings", defaultValue = "20", description = "Drop users with fewer interactions (default: ${DEFAULT-VALUE}).") int minRatings;
    @Option(names = "--valid-negative", defaultValue = "100", description = "Evaluation negatives per user (default: ${DEFAULT-VALUE}; the paper used 99).") int validNegative;
    @Option(names = "--seed", defaultValue = "0", description = "Seed of the evaluation negatives (default: ${DEFAULT-VALUE}).") long seed;
    @Option(names = "--user-column", paramLabel = "COL", description = "csv: user column, 0-based index or header name (default: 0).") String userColumn;
    @Option(names = "--item-column", paramLabel = "COL", description = "csv: item column, 0-based index or header name (default: 1).") String itemColumn;
    @Option(names = "--timestamp-column", paramLabel = "COL", description = "csv: timestamp column, index or name (default: none; input order is time order).") String timestampColumn;
    @Option(names = "--delimiter", defaultValue = ",", description = "csv: field delimiter (default: '${DEFAULT-VALUE}'; use '\\t' for TAB).") String delimiter;
    @Option(names = "--header", description = "csv: the first line is a header.") boolean header;
    @Option(names = "--on-bad-row", defaultValue = "fail", paramLabel = "POLICY",
            description = "fail: stop at the first malformed row; skip: leave such rows out, count them and report the first few (default: ${DEFAULT-VALUE}).")
    BadRows.Policy onBadRow;
    @Option(names = "--id-type", defaultValue = "string", paramLabel = "TYPE",
            description = "string: ids are any UTF-8 text; int: every user and item id must be a 32-bit integer (default: ${DEFAULT-VALUE}).")
    String idType;

    @Override public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (format.equalsIgnoreCase("ncf")) return prepareNcfPaperFiles(out);
        RatingsFormat fmt;
        try {
            fmt = RatingsFormat.fromName(format);
        } catch (IllegalArgumentException e) {
            throw new NcfCli.UsageException(e.getMessage());
        }
        if (minRatings < 0) throw new NcfCli.UsageException("--min-ratings must be >= 0, got " + minRatings);
        if (validNegative < 0) throw new NcfCli.UsageException("--valid-negative must be >= 0, got " + validNegative);
        if (!idType.equals("string") && !idType.equals("int"))
            throw new NcfCli.UsageException("--id-type must be string or int, got '" + idType + "'");
        boolean intIds = idType.equals("int");
        try {
            RatingsRecordReader.checkReadableFile(input);
        } catch (DataFormatException e) { // a path the user typed that cannot be read is a usage error (exit 2)
            throw new NcfCli.UsageException(e.getMessage());
        }
        long t0 = System.nanoTime();
        BadRows bad = BadRows.of(onBadRow);
        RawInteractions raw = fmt == RatingsFormat.CSV ? RatingsRecordReader.read(input, csvSpec(), true, bad, intIds)
                : RatingsRecordReader.read(input, fmt, bad, intIds);
        double readS = (System.nanoTime() - t0) / 1e9;
        if (bad.count() > 0) out.println("WARNING: " + bad.summary());
        out.printf("Read %,d rows (%,d users, %,d items) from %s in %.2f s%n", raw.size(), raw.userIds().size(), raw.itemIds().size(), input, readS);
        long t1 = System.nanoTime();
        NcfDataset ds = new Preprocessor(new Preprocessor.Options(minRatings, validNegative, seed)).requireEnoughUnseenItems().run(raw);
        double prepS = (System.nanoTime() - t1) / 1e9;
        var info = ds.info();
        out.printf("Kept %,d users (dropped %,d with < %d interactions), %,d items; removed %,d duplicate pairs; %,d training positives, %,d test items; %d negatives per user (%.2f s)%n",
                ds.numUsers(), info.droppedUsers(), minRatings, ds.numItems(), info.duplicatePairs(), ds.trainSize(), ds.numUsers(), validNegative, prepS);
        long t2 = System.nanoTime();
        DatasetStore.save(ds, output);
        out.printf("Wrote %s in %.2f s%n", output.toAbsolutePath(), (System.nanoTime() - t2) / 1e9);
        return NcfCli.EXIT_OK;
    }

    /** The paper's split and negatives are used as they are: no filtering, no sampling. */
    private int prepareNcfPaperFiles(PrintWriter out) {
        long t0 = System.nanoTime();
        NcfDataset ds = NcfPaperFiles.read(input);
        out.printf("Read NCF paper files %s.{train.rating,test.rating,test.negative}: %,d users, %,d items, %,d training positives, %d given negatives per user (%.2f s)%n",
                input, ds.numUsers(), ds.numItems(), ds.trainSize(), ds.candidates().negativesPerUser(), (System.nanoTime() - t0) / 1e9);
        long t2 = System.nanoTime();
        DatasetStore.save(ds, output);
        out.printf("Wrote %s in %.2f s%n", output.toAbsolutePath(), (System.nanoTime() - t2) / 1e9);
        return NcfCli.EXIT_OK;
    }

    private ColumnSpec csvSpec() {
        String d = delimiter.equals("\\t") || delimiter.equalsIgnoreCase("tab") ? "\t" : delimiter;
        String u = userColumn == null ? "0" : userColumn, i = itemColumn == null ? "1" : itemColumn;
        boolean byIndex = isIndex(u) && isIndex(i) && (timestampColumn == null || isIndex(timestampColumn));
        if (byIndex)
            return new ColumnSpec(Integer.parseInt(u), Integer.parseInt(i), timestampColumn == null ? -1 : Integer.parseInt(timestampColumn), d, header);
        if (!header) throw new NcfCli.UsageException("columns given by name (" + u + ", " + i + ") need --header");
        return ColumnSpec.byName(u, i, timestampColumn, d);
    }

    private static boolean isIndex(String s) { return s.matches("[0-9]+"); }
}
