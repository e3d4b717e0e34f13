package io.ncf.cli;

import com.sun.net.httpserver.HttpServer;
import io.ncf.data.DatasetStore;
import io.ncf.data.NcfDataset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static io.ncf.cli.CliTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

/** {@code ncf prepare --download} against a loopback HTTP server serving a small ml-100k-shaped archive. */
class DownloadCliTest {

    @TempDir Path tmp;
    private HttpServer server;
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
    private String base;
    private byte[] udata;

    @BeforeEach void serve() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            String path = ex.getRequestURI().getPath();
            hits.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
            byte[] body = files.get(path);
            if (body == null) {
                ex.sendResponseHeaders(404, -1);
            } else {
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body);
            }
            ex.close();
        });
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort() + "/movielens";
        // 25 users × 22 ratings over 60 items, tab-separated like u.data
        StringBuilder sb = new StringBuilder();
        for (int u = 1; u <= 25; u++) for (int k = 0; k < 22; k++)
            sb.append(u).append('\t').append(1 + (u * 7 + k * 5) % 60).append('\t').append(1 + k % 5).append('\t').append(880000000 + u * 100 + k).append('\n');
        udata = sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    @AfterEach void stop() { server.stop(0); }

    private static byte[] zip(Map<String, byte[]> entries) throws Exception {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(bo)) {
            for (var e : entries.entrySet()) {
                z.putNextEntry(new ZipEntry(e.getKey()));
                z.write(e.getValue());
                z.closeEntry();
            }
        }
        return bo.toByteArray();
    }

    private static String md5(byte[] b) throws Exception { return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(b)); }

    private void publish(byte[] zip, String md5) {
        files.put("/movielens/ml-100k.zip", zip);
        files.put("/movielens/ml-100k.zip.md5", ("MD5 (ml-100k.zip) = " + md5 + "\n").getBytes(StandardCharsets.UTF_8));
    }

    private Result prepare(Path cache, Path out) {
        return run("prepare", "--download", "ml-100k", "--cache-dir", cache.toString(), "--download-url", base,
                "--output", out.toString(), "--valid-negative", "10", "--progress", "lines");
    }

    private static List<Path> filesUnder(Path dir) throws Exception {
        if (!Files.exists(dir)) return List.of();
        try (Stream<Path> s = Files.walk(dir)) { return s.filter(Files::isRegularFile).toList(); }
    }

    @Test void downloadsVerifiesUnpacksAndPreparesLikeInput() throws Exception {
        byte[] z = zip(Map.of("ml-100k/README", "readme".getBytes(StandardCharsets.UTF_8), "ml-100k/u.data", udata));
        publish(z, md5(z));
        Path cache = tmp.resolve("cache"), out = tmp.resolve("ds");
        Result r = prepare(cache, out);
        assertEquals(0, r.exitCode(), r.err() + r.out());
        assertTrue(r.out().contains("Fetched " + base + "/ml-100k.zip"), r.out());
        assertArrayEquals(udata, Files.readAllBytes(cache.resolve("ml-100k/u.data")));
        assertArrayEquals(z, Files.readAllBytes(cache.resolve("ml-100k.zip")));
        assertEquals(List.of(cache.resolve("ml-100k.zip"), cache.resolve("ml-100k/u.data")).stream().sorted().toList(),
                filesUnder(cache).stream().sorted().toList(), "no temporary files left");

        // the same dataset as preparing the unpacked file directly
        Path direct = tmp.resolve("direct");
        Path raw = tmp.resolve("u.data");
        Files.write(raw, udata);
        Result d = run("prepare", "--input", raw.toString(), "--format", "ml-100k", "--output", direct.toString(), "--valid-negative", "10");
        assertEquals(0, d.exitCode(), d.err());
        NcfDataset a = DatasetStore.load(out), b = DatasetStore.load(direct);
        assertEquals(b.numUsers(), a.numUsers());
        assertEquals(b.numItems(), a.numItems());
        assertArrayEquals(b.trainUsers(), a.trainUsers());
        assertArrayEquals(b.trainItems(), a.trainItems());
        assertArrayEquals(b.candidates().items(), a.candidates().items());
        assertEquals(b.itemIds(), a.itemIds());

        // a verified cached archive is reused, not fetched again
        Result again = prepare(cache, tmp.resolve("ds2"));
        assertEquals(0, again.exitCode(), again.err());
        assertEquals(1, hits.get("/movielens/ml-100k.zip").get());
    }

    @Test void checksumMismatchFailsAndLeavesNothingBehind() throws Exception {
        byte[] z = zip(Map.of("ml-100k/u.data", udata));
        publish(z, "0123456789abcdef0123456789abcdef");
        Path cache = tmp.resolve("cache"), out = tmp.resolve("ds");
        Result r = prepare(cache, out);
        assertEquals(1, r.exitCode(), r.out());
        assertTrue(r.err().contains("checksum mismatch") && r.err().contains(md5(z)) && r.err().contains("0123456789abcdef0123456789abcdef"), r.err());
        assertTrue(r.err().contains(base + "/ml-100k.zip"), r.err());
        assertEquals(List.of(), filesUnder(cache), "no partial download");
        assertFalse(Files.exists(out));
    }

    @Test void missingArchiveNamesTheUrl() throws Exception {
        files.put("/movielens/ml-100k.zip.md5", "0123456789abcdef0123456789abcdef  ml-100k.zip\n".getBytes(StandardCharsets.UTF_8));
        Path cache = tmp.resolve("cache"), out = tmp.resolve("ds");
        Result r = prepare(cache, out);
        assertEquals(1, r.exitCode(), r.out());
        assertTrue(r.err().contains("GET " + base + "/ml-100k.zip: HTTP 404"), r.err());
        assertEquals(List.of(), filesUnder(cache));
        assertFalse(Files.exists(out));

        files.clear(); // no sidecar either: that URL is named
        r = prepare(cache, out);
        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains(base + "/ml-100k.zip.md5: HTTP 404"), r.err());
    }

    @Test void corruptArchiveIsRefusedAndDropped() throws Exception {
        byte[] junk = "PK\u0003\u0004 this is not really a zip archive".getBytes(StandardCharsets.ISO_8859_1);
        publish(junk, md5(junk));
        Path cache = tmp.resolve("cache"), out = tmp.resolve("ds");
        Result r = prepare(cache, out);
        assertEquals(1, r.exitCode(), r.out());
        assertTrue(r.err().contains("not a valid zip archive"), r.err());
        assertEquals(List.of(), filesUnder(cache));
        assertFalse(Files.exists(out));

        // a valid zip without the ratings file
        byte[] z = zip(Map.of("ml-100k/README", new byte[]{1}));
        publish(z, md5(z));
        r = prepare(cache, out);
        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains("holds no ml-100k/u.data"), r.err());
    }

    @Test void flagsAreChecked() {
        Result r = run("prepare", "--output", tmp.resolve("o").toString());
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("--input FILE or --download NAME"), r.err());
        r = run("prepare", "--download", "ml-30m", "--output", tmp.resolve("o").toString());
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("ml-30m"), r.err());
        r = run("prepare", "--download", "ml-100k", "--format", "ml-20m", "--output", tmp.resolve("o").toString());
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("--format ml-20m does not match"), r.err());
    }
}
