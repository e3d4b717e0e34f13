package io.ncf.train;

import io.ncf.train.ResumeSettings.Conflict;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** On resume, a setting equal to the saved run's is accepted, a different one refused with both values, except the few that may change. */
class ResumeSettingsTest {

    /** A saved run as a state file would describe it (floats as raw bits, canonicalised). */
    static Map<String, String> saved() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("epochs", "30");
        m.put("batchSize", "4096");
        m.put("negatives", "4");
        m.put("learningRate", ResumeSettings.floatFromBits(Integer.toString(Float.floatToRawIntBits(0.0045f))));
        m.put("beta1", ResumeSettings.canonical(0.25f));
        m.put("eps", ResumeSettings.canonical(1e-8f));
        m.put("target", ResumeSettings.doubleFromBits(Long.toString(Double.doubleToRawLongBits(0.9562))));
        m.put("seed", "7");
        m.put("factors", "64");
        m.put("layers", ResumeSettings.canonical(new int[]{256, 256, 128, 64}));
        m.put("dropout", "0.5");
        m.put("model", "neumf");
        m.put("engine", "fused");
        m.put("fp16", "false");
        m.put("verifyNegatives", "false");
        m.put("validUsersPerBatch", "5000");
        m.put("data", "/data/ml-20m");
        return m;
    }

    static Map<String, String> given(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return m;
    }

    @Test void nothingGivenIsNoConflict() {
        assertEquals(List.of(), ResumeSettings.conflicts(saved(), Map.of()));
        ResumeSettings.require(saved(), Map.of(), 5);
    }

    @Test void valuesEqualInMeaningAreAccepted() {
        Map<String, String> g = given(
                "batchSize", "4096",
                "negatives", " 4 ",
                "learningRate", "0.004500",
                "beta1", ".25",
                "eps", "1e-8",
                "target", "0.95620",
                "seed", "7",
                "layers", "[256, 256, 128, 64]",
                "dropout", "0.50",
                "model", "NeuMF",
                "engine", "FUSED",
                "fp16", "FALSE",
                "verifyNegatives", "False",
                "factors", "64.0");
        assertEquals(List.of(), ResumeSettings.conflicts(saved(), g));
        assertEquals(List.of(), ResumeSettings.conflicts(saved(), given("layers", "256 256 128 64")));
        assertEquals(List.of(), ResumeSettings.conflicts(saved(), given("layers", "256,256,128,64")));
    }

    @Test void aDifferentValueIsRefusedWithBothValues() {
        List<Conflict> c = ResumeSettings.conflicts(saved(), given("batchSize", "8192"));
        assertEquals(List.of(new Conflict("batchSize", "4096", "8192")), c);
        assertEquals("batchSize: saved 4096, given 8192", c.get(0).toString());
        assertEquals("-b: saved 4096, given 8192", c.get(0).describe(p -> p.equals("batchSize") ? "-b" : p));
    }

    @Test void requireListsEveryConflictInTheGivenOrderAndSaysWhatMayChange() {
        ResumeConflictException e = assertThrows(ResumeConflictException.class, () -> ResumeSettings.require(saved(),
                given("batchSize", "8192", "epochs", "40", "seed", "8", "learningRate", "0.0045", "layers", "128 64")));
        assertEquals(List.of(new Conflict("batchSize", "4096", "8192"), new Conflict("seed", "7", "8"),
                new Conflict("layers", "256 256 128 64", "128 64")), e.conflicts());
        String m = e.getMessage();
        assertTrue(m.startsWith("cannot resume with different settings: batchSize: saved 4096, given 8192; seed: saved 7, given 8; "
                + "layers: saved 256 256 128 64, given 128 64. "), m);
        assertTrue(m.endsWith("Only epochs (not below the epochs already done), validUsersPerBatch, data (a moved copy of the same dataset), "
                + "logPath, verbose, progress, quiet and chart may change on resume; other settings must equal the saved run's or be left out"), m);
    }

    @Test void theMessageCanNameTheFrontEndsFlags() {
        Map<String, String> flags = Map.of("batchSize", "-b", "seed", "--seed", "epochs", "-e", "data", "--data",
                "logPath", "--log-path", "validUsersPerBatch", "--valid-users-per-batch");
        ResumeConflictException e = assertThrows(ResumeConflictException.class,
                () -> ResumeSettings.require(saved(), given("batchSize", "8192", "seed", "8")));
        String m = e.message(p -> flags.getOrDefault(p, "--" + p));
        assertTrue(m.startsWith("cannot resume with different settings: -b: saved 4096, given 8192; --seed: saved 7, given 8. Only -e (not below"), m);
        assertTrue(m.contains("--valid-users-per-batch, --data (a moved copy of the same dataset), --log-path, --verbose"), m);
        assertTrue(e.getMessage().contains("batchSize: saved 4096"), "the library's own message keeps parameter names: " + e.getMessage());
    }

    @Test void mayChangeSettingsTakeAnyValue() {
        assertEquals(List.of(), ResumeSettings.conflicts(saved(), given(
                "epochs", "3", // completed epochs not known: any
                "validUsersPerBatch", "100",
                "data", "/mnt/moved/ml-20m",
                "logPath", "/tmp/run.jsonl",
                "verbose", "true",
                "progress", "plain",
                "quiet", "true",
                "chart", "false")));
    }

    @Test void mayChangeIsTheDocumentedSetInAFixedOrder() {
        Set<String> s = ResumeSettings.mayChange();
        assertEquals(List.of("epochs", "validUsersPerBatch", "data", "logPath", "verbose", "progress", "quiet", "chart"), List.copyOf(s));
        assertThrows(UnsupportedOperationException.class, () -> s.add("batchSize"));
        for (String fixed : List.of("batchSize", "learningRate", "seed", "negatives", "factors", "layers", "dropout", "model", "engine",
                "fp16", "lossScale", "lossScaleInit", "lossScaleWindow", "lossScaleFloor", "microBatch", "beta1", "beta2", "eps", "topK",
                "evalAfter", "target", "verifyNegatives", "workers"))
            assertFalse(s.contains(fixed), fixed);
    }

    @Test void epochsMayGrowOrShrinkButNotBelowTheEpochsDone() {
        assertEquals(List.of(), ResumeSettings.conflicts(saved(), given("epochs", "40"), 5));
        assertEquals(List.of(), ResumeSettings.conflicts(saved(), given("epochs", "10"), 5));
        assertEquals(List.of(), ResumeSettings.conflicts(saved(), given("epochs", "5"), 5));
        List<Conflict> c = ResumeSettings.conflicts(saved(), given("epochs", "3"), 5);
        assertEquals(1, c.size());
        assertEquals(new Conflict("epochs", "30", "3", "5 epochs are already done; give at least 5"), c.get(0));
        assertEquals("epochs: saved 30, given 3 (5 epochs are already done; give at least 5)", c.get(0).toString());
        assertEquals("not a whole number of epochs", ResumeSettings.conflicts(saved(), given("epochs", "many"), 5).get(0).reason());
        assertEquals("not a whole number of epochs", ResumeSettings.conflicts(saved(), given("epochs", "7.5"), 5).get(0).reason());
        ResumeConflictException e = assertThrows(ResumeConflictException.class, () -> ResumeSettings.require(saved(), given("epochs", "2"), 3));
        assertTrue(e.getMessage().contains("epochs: saved 30, given 2 (3 epochs are already done; give at least 3)"), e.getMessage());
    }

    @Test void aSettingTheSavedRunDidNotRecordIsAcceptedOnlyIfItMayChange() {
        assertEquals(List.of(new Conflict("microBatch", ResumeSettings.NOT_RECORDED, "65536")),
                ResumeSettings.conflicts(saved(), given("microBatch", "65536", "logPath", "/x", "progress", "bar")));
        assertEquals("microBatch: saved (not recorded), given 65536",
                ResumeSettings.conflicts(saved(), given("microBatch", "65536")).get(0).toString());
        Map<String, String> old = saved();
        old.remove("epochs");
        assertEquals(List.of(), ResumeSettings.conflicts(old, given("epochs", "12"), 4));
        assertEquals(List.of(new Conflict("epochs", ResumeSettings.NOT_RECORDED, "2", "4 epochs are already done; give at least 4")),
                ResumeSettings.conflicts(old, given("epochs", "2"), 4));
    }

    @Test void floatsAreComparedAsFloats() {
        assertTrue(ResumeSettings.sameValue("learningRate", "0.0045", "0.004500"));
        assertTrue(ResumeSettings.sameValue("learningRate", "0.0045", Double.toString((double) 0.0045f)), "a float widened to double is the same float");
        assertTrue(ResumeSettings.sameValue("eps", "1e-8", "1.0E-8"));
        assertTrue(ResumeSettings.sameValue("lossScaleInit", "32768", "32768.0"));
        assertTrue(ResumeSettings.sameValue("learningRate", "NaN", "NaN"));
        assertFalse(ResumeSettings.sameValue("learningRate", "0.0045", "0.0046"));
        assertFalse(ResumeSettings.sameValue("learningRate", "0.0045", Float.toString(Math.nextUp(0.0045f))), "one ulp is a different learning rate");
        assertTrue(ResumeSettings.sameValue("lossScale", "dynamic", "dynamic"), "a float parameter with a word value compares as text");
        assertFalse(ResumeSettings.sameValue("lossScale", "dynamic", "1024"));
    }

    @Test void targetIsADoubleAndIntegersAreExact() {
        assertTrue(ResumeSettings.sameValue("target", "0.9562", "0.95620"));
        assertFalse(ResumeSettings.sameValue("target", "0.9562", Double.toString((double) 0.9562f)), "target is a double: float rounding differs");
        assertTrue(ResumeSettings.sameValue("batchSize", "1048576", "1048576.0"));
        assertFalse(ResumeSettings.sameValue("seed", "9007199254740993", "9007199254740992"), "seeds are longs, not doubles");
        assertTrue(ResumeSettings.sameValue("seed", "-9223372036854775808", "-9223372036854775808"));
        assertFalse(ResumeSettings.sameValue("batchSize", "4096", "big"));
    }

    @Test void booleansNamesAndListsByMeaning() {
        assertTrue(ResumeSettings.sameValue("fp16", "TRUE", "true"));
        assertFalse(ResumeSettings.sameValue("fp16", "true", "false"));
        assertTrue(ResumeSettings.sameValue("engine", "CUDA", "cuda"));
        assertFalse(ResumeSettings.sameValue("model", "gmf", "mlp"));
        assertTrue(ResumeSettings.sameValue("layers", "[256, 256, 128, 64]", "256 256 128 64"));
        assertTrue(ResumeSettings.sameValue("layers", "(16, 8)", "16,8"));
        assertFalse(ResumeSettings.sameValue("layers", "256 256 128 64", "256 256 128"));
        assertFalse(ResumeSettings.sameValue("layers", "256 128", "128 256"));
    }

    @Test void unknownParametersAreComparedByTheShapeOfTheirValues() {
        assertTrue(ResumeSettings.sameValue("someNewRate", "1.50", "1.5"));
        assertTrue(ResumeSettings.sameValue("someNewFlag", "True", "true"));
        assertTrue(ResumeSettings.sameValue("someNewSizes", "[1, 2]", "1 2"));
        assertFalse(ResumeSettings.sameValue("someNewPath", "/Data", "/data"), "text is case-sensitive");
        assertFalse(ResumeSettings.sameValue("someNew", "1", "true"));
        assertEquals(List.of(new Conflict("someNew", "a", "b")), ResumeSettings.conflicts(given("someNew", "a"), given("someNew", "b")));
    }

    @Test void canonicalFormsForBuildingTheSavedMap() {
        assertEquals("0.0045", ResumeSettings.canonical("learningRate", "0.004500"));
        assertEquals("0.0045", ResumeSettings.floatFromBits(Integer.toString(Float.floatToRawIntBits(0.0045f))));
        assertEquals("0.9562", ResumeSettings.doubleFromBits(" " + Double.doubleToRawLongBits(0.9562) + " "));
        assertEquals("256 256 128 64", ResumeSettings.canonical("layers", "[256, 256, 128, 64]"));
        assertEquals("256 256 128 64", ResumeSettings.canonical(new int[]{256, 256, 128, 64}));
        assertEquals("true", ResumeSettings.canonical("fp16", "TRUE"));
        assertEquals("4096", ResumeSettings.canonical("batchSize", "4096.0"));
        assertEquals("dynamic", ResumeSettings.canonical("lossScale", " dynamic "));
        assertEquals("/data/x", ResumeSettings.canonical("data", " /data/x "));
        assertEquals("7", ResumeSettings.canonical(7L));
        assertEquals("false", ResumeSettings.canonical(false));
        assertEquals("1.0E-8", ResumeSettings.canonical(1e-8f));
        for (Map.Entry<String, String> e : saved().entrySet())
            assertTrue(ResumeSettings.sameValue(e.getKey(), e.getValue(), ResumeSettings.canonical(e.getKey(), e.getValue())), e.getKey());
    }

    @Test void nullsAreRejectedByName() {
        Map<String, String> g = new LinkedHashMap<>();
        g.put("seed", null);
        NullPointerException e = assertThrows(NullPointerException.class, () -> ResumeSettings.conflicts(saved(), g));
        assertTrue(e.getMessage().contains("seed"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ResumeConflictException(List.of()));
    }
}
