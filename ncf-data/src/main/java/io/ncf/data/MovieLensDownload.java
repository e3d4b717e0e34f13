package io.ncf.data;

import io.ncf.core.AtomicFiles;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Enumeration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Fetches a MovieLens archive from GroupLens into a cache directory, verifies its MD5 and unpacks the ratings file.
 *
 * <p>Checksums: from the official base URL the archive must match the MD5 GroupLens publishes (pinned below, so a
 * changed or tampered file is refused even if its sidecar changed with it); from any other base URL (a mirror, a
 * test server) it must match the {@code <name>.zip.md5} sidecar served next to it. Every file is written to a
 * temporary name in the cache directory and renamed into place, so an interrupted or refused download leaves no
 * half-written archive or ratings file behind. A cached archive whose MD5 still matches is reused.
 */
public final class MovieLensDownload {

    public static final String DEFAULT_BASE_URL = "https://files.grouplens.org/datasets/movielens";
    public static final String DOWNLOAD_TASK = "download";

    /** The archives we know: name, ratings file inside {@code <name>/}, its format, GroupLens' published MD5. */
    public enum Dataset {
        ML_20M("ml-20m", "ratings.csv", RatingsFormat.ML_20M, "cd245b17a1ae2cc31bb14903e1204af3"),
        ML_1M("ml-1m", "ratings.dat", RatingsFormat.ML_1M, "c4d9eecfca2ab87c1945afe126590906"),
        ML_100K("ml-100k", "u.data", RatingsFormat.ML_100K, "0e33842e24a9c977be4e0107933c0723");

        public final String archiveName, ratingsFile, publishedMd5;
        public final RatingsFormat format;

        Dataset(String archiveName, String ratingsFile, RatingsFormat format, String publishedMd5) {
            this.archiveName = archiveName;
            this.ratingsFile = ratingsFile;
            this.format = format;
            this.publishedMd5 = publishedMd5;
        }

        public static Dataset byName(String name) {
            String n = name.trim().toLowerCase(Locale.ROOT);
            for (Dataset d : values()) if (d.archiveName.equals(n)) return d;
            throw new IllegalArgumentException("unknown MovieLens archive '" + name + "' (known: ml-20m, ml-1m, ml-100k)");
        }
    }

    /** A download that failed or was refused; nothing it started is left in the cache. */
    public static final class DownloadException extends RuntimeException {
        public DownloadException(String message) { super(message); }
        public DownloadException(String message, Throwable cause) { super(message, cause); }
    }

    private final String baseUrl;
    private final Path cacheDir;
    private final Progress progress;
    private final HttpClient http;

    public MovieLensDownload(String baseUrl, Path cacheDir, Progress progress) {
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.cacheDir = cacheDir;
        this.progress = Progress.orNone(progress);
        this.http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).connectTimeout(Duration.ofSeconds(30)).build();
    }

    public String archiveUrl(Dataset d) { return baseUrl + "/" + d.archiveName + ".zip"; }

    /** The cached archive, downloaded and verified if needed, and its ratings file unpacked; returns the ratings file. */
    public Path fetch(Dataset d) throws IOException {
        Files.createDirectories(cacheDir);
        String url = archiveUrl(d);
        String expected = expectedMd5(d);
        Path zip = cacheDir.resolve(d.archiveName + ".zip");
        if (!(Files.isRegularFile(zip) && md5(zip).equals(expected))) download(url, zip, expected);
        return unpack(d, zip);
    }

    /** The pinned published MD5 for the official URL, else the sidecar {@code <archive>.md5} the server offers. */
    String expectedMd5(Dataset d) throws IOException {
        if (baseUrl.equals(DEFAULT_BASE_URL)) return d.publishedMd5;
        String url = archiveUrl(d) + ".md5";
        String body;
        try (InputStream in = get(url)) {
            body = new String(in.readNBytes(4096), StandardCharsets.UTF_8);
        }
        return parseMd5(body, url);
    }

    /** Both sidecar styles: BSD {@code MD5 (ml-20m.zip) = <hex>} (GroupLens') and GNU {@code <hex>  ml-20m.zip}. */
    static String parseMd5(String sidecar, String url) {
        Matcher m = Pattern.compile("(?<![0-9a-fA-F])([0-9a-fA-F]{32})(?![0-9a-fA-F])").matcher(sidecar);
        if (!m.find()) throw new DownloadException(url + ": no MD5 checksum (32 hex digits) in the checksum file");
        return m.group(1).toLowerCase(Locale.ROOT);
    }

    private void download(String url, Path zip, String expected) throws IOException {
        Path tmp = AtomicFiles.siblingTemp(zip, "." + zip.getFileName() + ".");
        try {
            MessageDigest md = newMd5();
            HttpResponse<InputStream> r = send(url);
            long total = r.headers().firstValueAsLong("Content-Length").orElse(-1);
            try (InputStream in = new DigestInputStream(r.body(), md); OutputStream out = Files.newOutputStream(tmp)) {
                byte[] buf = new byte[1 << 16];
                long done = 0;
                for (int n; (n = in.read(buf)) > 0; ) {
                    out.write(buf, 0, n);
                    done += n;
                    progress.update(DOWNLOAD_TASK, total > 0 ? Math.min(done, total) : done, total);
                }
                if (total > 0 && done != total) throw new DownloadException(url + ": connection closed after " + done + " of " + total + " bytes");
                if (total <= 0) progress.update(DOWNLOAD_TASK, done, done);
            }
            String got = HexFormat.of().formatHex(md.digest());
            if (!got.equals(expected))
                throw new DownloadException(url + ": checksum mismatch: the download has MD5 " + got + " but " + expected + " was expected ("
                        + (baseUrl.equals(DEFAULT_BASE_URL) ? "the value GroupLens publishes" : "from " + url + ".md5") + "); the download was discarded");
            AtomicFiles.moveIntoPlace(tmp, zip);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Unpacks {@code <name>/<ratings file>} (any directory prefix accepted) next to the archive. */
    private Path unpack(Dataset d, Path zip) throws IOException {
        Path dir = cacheDir.resolve(d.archiveName);
        Path target = dir.resolve(d.ratingsFile);
        Files.createDirectories(dir);
        Path tmp = AtomicFiles.siblingTemp(target, "." + d.ratingsFile + ".");
        try (ZipFile zf = new ZipFile(zip.toFile())) {
            ZipEntry entry = null;
            for (Enumeration<? extends ZipEntry> en = zf.entries(); en.hasMoreElements(); ) {
                ZipEntry e = en.nextElement();
                if (!e.isDirectory() && (e.getName().equals(d.ratingsFile) || e.getName().endsWith("/" + d.ratingsFile))) { entry = e; break; }
            }
            if (entry == null) throw new DownloadException(zip + ": the archive holds no " + d.archiveName + "/" + d.ratingsFile);
            try (InputStream in = zf.getInputStream(entry)) { // reading to the end checks the entry's CRC
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            AtomicFiles.moveIntoPlace(tmp, target);
            return target;
        } catch (ZipException e) {
            // the checksum matched, so the archive itself is bad: drop it rather than reuse it next time
            Files.deleteIfExists(zip);
            throw new DownloadException(zip + " (from " + archiveUrl(d) + ") is not a valid zip archive: " + e.getMessage() + "; it was deleted", e);
        } finally {
            Files.deleteIfExists(tmp);
            try (var s = Files.list(dir)) { if (s.findAny().isEmpty()) Files.delete(dir); }
        }
    }

    private InputStream get(String url) throws IOException { return send(url).body(); }

    private HttpResponse<InputStream> send(String url) throws IOException {
        HttpResponse<InputStream> r;
        try {
            r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(10)).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DownloadException("GET " + url + ": interrupted", e);
        } catch (IOException | IllegalArgumentException e) {
            throw new DownloadException("GET " + url + " failed: " + e, e);
        }
        if (r.statusCode() != 200) {
            r.body().close();
            throw new DownloadException("GET " + url + ": HTTP " + r.statusCode() + (r.statusCode() == 404 ? " (not found)" : ""));
        }
        return r;
    }

    static String md5(Path file) throws IOException {
        MessageDigest md = newMd5();
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), md)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static MessageDigest newMd5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no MD5", e);
        }
    }
}
