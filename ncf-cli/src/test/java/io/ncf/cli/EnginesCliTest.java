package io.ncf.cli;

import io.ncf.train.engine.EngineRegistry;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.ncf.cli.CliTestSupport.run;
import static org.junit.jupiter.api.Assertions.*;

/** {@code ncf engines} reads the registry, and the README's feature × engine table is what the providers say. */
class EnginesCliTest {

    @Test void listsEveryEngineWithItsAvailability() {
        CliTestSupport.Result r = run("engines");
        assertEquals(0, r.exitCode(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(List.of("fused", "samediff", "cuda"), lines.stream().map(l -> l.split("\\s+")[0]).toList(), r.out());
        for (String l : lines) assertTrue(l.split("\\s+")[1].matches("available|unavailable"), l);
        assertTrue(lines.get(0).contains(" available "), "the fused engine runs on this machine: " + lines.get(0));
        String cuda = lines.get(2);
        boolean gpu = EngineRegistry.get("cuda").availability().available();
        assertEquals(!gpu, cuda.contains("unavailable") && cuda.contains("— not here: "), cuda);
    }

    @Test void theReadmesFeatureTableIsTheProvidersAnswer() throws Exception {
        Path readme = Path.of(System.getProperty("user.dir")).getParent().resolve("README.md");
        String text = Files.readString(readme);
        String table = EnginesCommand.featureTable(EngineRegistry.providers());
        String header = table.lines().findFirst().orElseThrow();
        int at = text.indexOf(header);
        assertTrue(at >= 0, "README.md has no feature × engine table starting with: " + header);
        String inReadme = text.substring(at, Math.min(text.length(), at + table.length()));
        assertEquals(table, inReadme, "README.md's table must equal 'ncf engines --features' (regenerate it)");
        CliTestSupport.Result r = run("engines", "--features");
        assertEquals(table, r.out());
    }
}
