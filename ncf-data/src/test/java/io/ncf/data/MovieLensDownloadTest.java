package io.ncf.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** The parts of {@link MovieLensDownload} that need no server (the CLI tests serve archives on loopback). */
class MovieLensDownloadTest {

    @TempDir Path tmp;

    @Test void sidecarsInBothStylesParse() {
        String hex = "cd245b17a1ae2cc31bb14903e1204af3";
        assertEquals(hex, MovieLensDownload.parseMd5("MD5 (ml-20m.zip) = " + hex + "\n", "u"));
        assertEquals(hex, MovieLensDownload.parseMd5(hex.toUpperCase() + "  ml-20m.zip\n", "u"));
        var e = assertThrows(MovieLensDownload.DownloadException.class, () -> MovieLensDownload.parseMd5("<html>not found</html>", "http://x/ml-20m.zip.md5"));
        assertTrue(e.getMessage().contains("http://x/ml-20m.zip.md5"), e.getMessage());
        // 33 hex digits is not an MD5
        assertThrows(MovieLensDownload.DownloadException.class, () -> MovieLensDownload.parseMd5(hex + "0", "u"));
    }

    @Test void theOfficialUrlUsesThePublishedChecksumsWithoutAskingTheServer() throws Exception {
        // no network here: this would fail if it fetched the sidecar
        MovieLensDownload d = new MovieLensDownload(MovieLensDownload.DEFAULT_BASE_URL, tmp, null);
        assertEquals("cd245b17a1ae2cc31bb14903e1204af3", d.expectedMd5(MovieLensDownload.Dataset.ML_20M));
        assertEquals("c4d9eecfca2ab87c1945afe126590906", d.expectedMd5(MovieLensDownload.Dataset.ML_1M));
        assertEquals("0e33842e24a9c977be4e0107933c0723", d.expectedMd5(MovieLensDownload.Dataset.ML_100K));
        assertEquals("https://files.grouplens.org/datasets/movielens/ml-1m.zip", d.archiveUrl(MovieLensDownload.Dataset.ML_1M));
    }

    @Test void namesResolveAndUnknownOnesAreRefused() {
        assertEquals(MovieLensDownload.Dataset.ML_100K, MovieLensDownload.Dataset.byName("ML-100K"));
        assertEquals(RatingsFormat.ML_1M, MovieLensDownload.Dataset.byName("ml-1m").format);
        var e = assertThrows(IllegalArgumentException.class, () -> MovieLensDownload.Dataset.byName("ml-30m"));
        assertTrue(e.getMessage().contains("ml-30m"));
    }
}
