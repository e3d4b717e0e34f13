package io.ncf.cli;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's Maven and Java snippets are regions of examples/recommender-app, which CI builds and runs: they cannot drift. */
class ReadmeExampleTest {

    private static final Path ROOT = Path.of("..");
    private static final Path APP = ROOT.resolve("examples/recommender-app");

    @Test void readmeShowsTheConsumerProjectsPomAndCode() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        String pom = region(Files.readString(APP.resolve("pom.xml")), "<!-- README:pom:begin -->", "<!-- README:pom:end -->");
        String java = region(Files.readString(APP.resolve("src/main/java/com/example/recommender/RecommenderApp.java")),
                "// README:java:begin", "// README:java:end");
        assertTrue(readme.contains(pom), "README's pom snippet differs from examples/recommender-app/pom.xml:\n" + pom);
        assertTrue(readme.contains(java), "README's Java snippet differs from RecommenderApp.java:\n" + java);
    }

    /** The whole lines strictly between the two marker lines. */
    private static String region(String text, String begin, String end) {
        int a = text.indexOf(begin), b = text.indexOf(end);
        assertTrue(a >= 0 && b > a, "markers " + begin + " / " + end + " not found");
        int from = text.indexOf('\n', a) + 1, to = text.lastIndexOf('\n', b) + 1;
        return text.substring(from, to);
    }
}
