package io.ncf.cli;

import io.ncf.data.BadRows;
import io.ncf.data.ColumnSpec;
import io.ncf.data.DataFormatException;
import io.ncf.data.DatasetStore;
import io.ncf.data.NcfDataset;
import io.ncf.data.MovieLensDownload;
import io.ncf.data.NcfPaperFiles;
import io.ncf.data.Preprocessor;
import io.ncf.data.RatingsFormat;
import io.ncf.data.RatingsRecordReader;
import io.ncf.data.RawInteractions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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

    @Option(names = {"-i", "--input"}, paramLabel = "FILE", description = "Ratings file (or use --download).") Path input;
    @Option(names = "--download", paramLabel = "NAME", description = {"Fetch this MovieLens archive from GroupLens instead of --input: ml-20m, ml-1m or ml-100k.",
            "The archive's MD5 is checked (the published value; from a --download-url mirror, its <name>.zip.md5), the ratings file unpacked into --cache-dir."})
    String download;
    @Option(names = "--cache-dir", paramLabel = "DIR", description = "Where --download keeps archives and unpacked ratings (default: $XDG_CACHE_HOME/ncf or ~/.cache/ncf).")
    Path cacheDir;
    @Option(names = "--download-url", paramLabel = "URL", description = "Base URL of the archives (default: $NCF_DOWNLOAD_URL, else " + MovieLensDownload.DEFAULT_BASE_URL + ").")
    String downloadUrl;
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

    @Mixin OutputOptions console;

    @Override public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter say = console.info(out);
        io.ncf.data.Progress progress = console.progress(spec.commandLine().getErr());
        if ((input == null) == (download == null)) throw new NcfCli.UsageException("give either --input FILE or --download NAME");
        if (download != null) downloadInput(progress, say);
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
        RawInteractions raw = fmt == RatingsFormat.CSV ? RatingsRecordReader.read(input, csvSpec(), true, bad, intIds, progress)
                : RatingsRecordReader.read(input, fmt, bad, intIds, progress);
        double readS = (System.nanoTime() - t0) / 1e9;
        if (bad.count() > 0) out.println("WARNING: " + bad.summary());
        say.printf("Read %,d rows (%,d users, %,d items) from %s in %.2f s%n", raw.size(), raw.userIds().size(), raw.itemIds().size(), input, readS);
        long t1 = System.nanoTime();
        NcfDataset ds = new Preprocessor(new Preprocessor.Options(minRatings, validNegative, seed)).requireEnoughUnseenItems().progress(progress).run(raw);
        double prepS = (System.nanoTime() - t1) / 1e9;
        var info = ds.info();
        say.printf("Kept %,d users (dropped %,d with < %d interactions), %,d items; removed %,d duplicate pairs; %,d training positives, %,d test items; %d negatives per user (%.2f s)%n",
                ds.numUsers(), info.droppedUsers(), minRatings, ds.numItems(), info.duplicatePairs(), ds.trainSize(), ds.numUsers(), validNegative, prepS);
        long t2 = System.nanoTime();
        DatasetStore.save(ds, output);
        out.printf("Wrote %s in %.2f s%n", output.toAbsolutePath(), (System.nanoTime() - t2) / 1e9);
        return NcfCli.EXIT_OK;
    }

    /** --download: fetches, verifies and unpacks the archive, then points --input and --format at its ratings file. */
    private void downloadInput(io.ncf.data.Progress progress, PrintWriter say) {
        MovieLensDownload.Dataset d;
        try {
            d = MovieLensDownload.Dataset.byName(download);
        } catch (IllegalArgumentException e) {
            throw new NcfCli.UsageException("--download: " + e.getMessage());
        }
        if (spec.commandLine().getParseResult().hasMatchedOption("--format") && !RatingsFormat.fromName(format.equalsIgnoreCase("ncf") ? "csv" : format).equals(d.format))
            throw new NcfCli.UsageException("--format " + format + " does not match --download " + d.archiveName + " (its ratings file is " + d.format.cliName() + "); leave --format out");
        String base = downloadUrl != null ? downloadUrl : System.getenv().getOrDefault("NCF_DOWNLOAD_URL", MovieLensDownload.DEFAULT_BASE_URL);
        Path cache = cacheDir != null ? cacheDir : defaultCacheDir();
        MovieLensDownload dl = new MovieLensDownload(base, cache, progress);
        long t0 = System.nanoTime();
        try {
            input = dl.fetch(d);
        } catch (java.io.IOException e) {
            throw new MovieLensDownload.DownloadException(dl.archiveUrl(d) + " into " + cache + ": " + e, e);
        }
        format = d.format.cliName();
        say.printf("Fetched %s (MD5 verified) and unpacked %s in %.2f s%n", dl.archiveUrl(d), input, (System.nanoTime() - t0) / 1e9);
    }

    private static Path defaultCacheDir() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        return (xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache")).resolve("ncf");
    }

    /** The paper's split and negatives are used as they are: no filtering, no sampling. */
    private int prepareNcfPaperFiles(PrintWriter out) {
        long t0 = System.nanoTime();
        NcfDataset ds = NcfPaperFiles.read(input);
        console.info(out).printf("Read NCF paper files %s.{train.rating,test.rating,test.negative}: %,d users, %,d items, %,d training positives, %d given negatives per user (%.2f s)%n",
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
