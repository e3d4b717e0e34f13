package io.ncf.data;

import org.datavec.api.split.FileSplit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Feeds the ingest path (fast bulk read on one and several threads, the DataVec record path, then preprocessing)
 * random and mutated files for a bounded time ({@code -Dncf.fuzz.seconds}, default 10). Each case must end in a
 * result or a {@link DataFormatException}: never a hang, another exception type or a crash. Case i uses seed
 * {@code BASE + i}, so a failure names a reproducible case.
 */
class IngestFuzzTest {

    static final long BASE = 0x5eedL;
    static final String[] VALID = {
            "userId,movieId,rating,timestamp\n1,10,4.0,100\n1,11,3.5,101\n2,10,5.0,102\n2,12,1.0,99\n3,13,2.0,50\n3,10,2.0,51\n",
            "1::10::4::100\n1::11::3::101\n2::10::5::102\n2::12::1::99\n",
            "1\t10\t4\t100\n1\t11\t3\t101\n2\t10\t5\t102\n",
            "who,what,when\n\"a,b\",x,1\nc,\"y\"\"z\",2\nc,x,3\n"};
    static final RatingsFormat[] FORMATS = {RatingsFormat.ML_20M, RatingsFormat.ML_1M, RatingsFormat.ML_100K, RatingsFormat.CSV};
    static final byte[] INTERESTING = ascii(",\"\n\r\t:;-+0123456789 \u00ff\u0000e.");

    @TempDir Path dir;

    private static byte[] ascii(String s) { return s.getBytes(StandardCharsets.ISO_8859_1); }

    @Test void ingestNeverHangsOrThrowsAnUnexpectedType() throws Exception {
        long seconds = Long.getLong("ncf.fuzz.seconds", 10);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        ExecutorService ex = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "fuzz");
            t.setDaemon(true); // a hung case must not keep the JVM alive
            return t;
        });
        int cases = 0, parsed = 0;
        try {
            for (long i = 0; System.nanoTime() < end; i++) {
                long seed = BASE + i;
                Random rnd = new Random(seed);
                int fi = rnd.nextInt(FORMATS.length);
                byte[] content = rnd.nextInt(4) == 0 ? random(rnd) : mutate(rnd, VALID[fi].getBytes(StandardCharsets.UTF_8));
                RatingsFormat fmt = rnd.nextInt(5) == 0 ? FORMATS[rnd.nextInt(FORMATS.length)] : FORMATS[fi];
                Path f = dir.resolve("case.txt");
                Files.write(f, content);
                Future<Boolean> run = ex.submit(() -> oneCase(f, fmt, rnd.nextBoolean(), rnd.nextBoolean()));
                try {
                    if (run.get(10, TimeUnit.SECONDS)) parsed++;
                } catch (TimeoutException e) {
                    run.cancel(true);
                    fail("case seed " + seed + " (" + fmt.cliName() + ") did not finish in 10 s: " + HexFormat.of().formatHex(content));
                } catch (java.util.concurrent.ExecutionException e) {
                    throw new AssertionError("case seed " + seed + " (" + fmt.cliName() + "): unexpected " + e.getCause()
                            + " for content " + HexFormat.of().formatHex(content), e.getCause());
                }
                cases++;
            }
        } finally {
            ex.shutdownNow();
        }
        System.out.printf("ingest fuzz: %d cases in %d s, %d parsed, %d refused cleanly%n", cases, seconds, parsed, cases - parsed);
        assertTrue(cases > 50, "too few cases ran: " + cases);
        assertTrue(parsed > 0 && parsed < cases, "the mutations should give both outcomes: " + parsed + " of " + cases);
    }

    /** True when the file was read and preprocessed, false for a clean DataFormatException; anything else propagates. */
    private static boolean oneCase(Path f, RatingsFormat fmt, boolean skip, boolean intIds) {
        try {
            RawInteractions a, b;
            try (RatingsRecordReader rr = new RatingsRecordReader(fmt).onBadRows(skip ? BadRows.skip() : BadRows.fail()).integerIds(intIds)) {
                rr.initialize(new FileSplit(f.toFile()));
                a = rr.readAll(f.toString(), 1, Long.MAX_VALUE);
            }
            try (RatingsRecordReader rr = new RatingsRecordReader(fmt).onBadRows(skip ? BadRows.skip() : BadRows.fail()).integerIds(intIds)) {
                rr.initialize(new FileSplit(f.toFile()));
                b = rr.readAll(f.toString(), 3, 0);
            }
            assertTrue(a.sameContent(b), "sequential and parallel reads differ");
            if (!skip && !intIds) {
                // the DataVec record path accepts what the bulk path accepts
                try (RatingsRecordReader rr = new RatingsRecordReader(fmt)) {
                    rr.initialize(new FileSplit(f.toFile()));
                    RawInteractions c = InteractionReader.read(rr, fmt.spec(), f.toString());
                    assertEquals(a.size(), c.size(), "record path row count");
                }
            }
            new Preprocessor(new Preprocessor.Options(1, 2, 1)).run(a);
            return true;
        } catch (DataFormatException e) {
            assertNotNull(e.getMessage());
            assertFalse(e.getMessage().isBlank());
            return false;
        }
    }

    private static byte[] random(Random rnd) {
        byte[] b = new byte[rnd.nextInt(400)];
        for (int k = 0; k < b.length; k++) b[k] = rnd.nextBoolean() ? INTERESTING[rnd.nextInt(INTERESTING.length)] : (byte) rnd.nextInt(256);
        return b;
    }

    private static byte[] mutate(Random rnd, byte[] src) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        byte[] b = src.clone();
        int edits = 1 + rnd.nextInt(4);
        for (int e = 0; e < edits && b.length > 0; e++) {
            int at = rnd.nextInt(b.length);
            switch (rnd.nextInt(5)) {
                case 0 -> b[at] = INTERESTING[rnd.nextInt(INTERESTING.length)];
                case 1 -> b[at] = (byte) rnd.nextInt(256);
                case 2 -> { // delete a byte
                    byte[] c = new byte[b.length - 1];
                    System.arraycopy(b, 0, c, 0, at);
                    System.arraycopy(b, at + 1, c, at, b.length - at - 1);
                    b = c;
                }
                case 3 -> b = java.util.Arrays.copyOf(b, at); // truncate
                default -> { // duplicate a tail
                    byte[] c = java.util.Arrays.copyOf(b, b.length + (b.length - at));
                    System.arraycopy(b, at, c, b.length, b.length - at);
                    b = c;
                }
            }
        }
        out.writeBytes(b);
        return out.toByteArray();
    }
}
