package io.ncf.cli;

import io.ncf.data.Progress;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

class ProgressRendererTest {

    private final StringWriter buf = new StringWriter();
    private final AtomicLong now = new AtomicLong();

    private ProgressRenderer renderer(boolean bar) { return new ProgressRenderer(new PrintWriter(buf, true), bar, now::get); }

    private static final long S = 1_000_000_000L;

    @Test void linesComeEveryTenSecondsAndADoneLineEndsAStepThatPrintedOne() {
        ProgressRenderer p = renderer(false);
        p.update("epoch 0", 1, 100);
        now.set(5 * S);
        p.update("epoch 0", 10, 100);
        assertEquals("", buf.toString(), "nothing before 10 s");
        now.set(11 * S);
        p.update("epoch 0", 50, 100);
        assertEquals("epoch 0:  50% (50/100), 11 s, ETA 11 s\n", buf.toString().replace("\r", "").replace(System.lineSeparator(), "\n"));
        now.set(12 * S);
        p.update("epoch 0", 60, 100);
        assertEquals(1, buf.toString().lines().count(), "at most one line per 10 s");
        now.set(20 * S);
        p.update("epoch 0", 100, 100);
        p.update("epoch 0", 100, 100); // repeated final update: ignored
        String[] lines = buf.toString().split("\\R");
        assertEquals(2, lines.length, buf.toString());
        assertEquals("epoch 0: done, 100/100 in 20 s", lines[1]);
        assertFalse(buf.toString().contains("\r"), "no carriage returns in line mode");
    }

    @Test void aShortStepPrintsNothingInLineMode() {
        ProgressRenderer p = renderer(false);
        for (int i = 1; i <= 10; i++) { now.addAndGet(S / 2); p.update("evaluate", i, 10); }
        assertEquals("", buf.toString());
    }

    @Test void barRedrawsInPlaceAndIsErasedWhenDone() {
        ProgressRenderer p = renderer(true);
        p.update("read", 0, 1_000_000);
        now.set(S);
        p.update("read", 500_000, 1_000_000);
        String s = buf.toString();
        assertTrue(s.startsWith("\rread"), s);
        assertTrue(s.contains("[###############---------------]  50% (0.5 of 1.0 MB)"), s);
        now.set(2 * S);
        p.update("read", 1_000_000, 1_000_000);
        assertTrue(buf.toString().endsWith("\r"), "erased: the next line starts at column 0");
        assertFalse(buf.toString().contains("\n"), "a bar never scrolls");
    }

    @Test void quietAndNoneRenderNothing() {
        PrintWriter err = new PrintWriter(buf, true);
        assertSame(Progress.NONE, ProgressRenderer.create(ProgressRenderer.Mode.lines, true, err));
        assertSame(Progress.NONE, ProgressRenderer.create(ProgressRenderer.Mode.none, false, err));
        assertInstanceOf(ProgressRenderer.class, ProgressRenderer.create(ProgressRenderer.Mode.bar, false, err));
    }
}
