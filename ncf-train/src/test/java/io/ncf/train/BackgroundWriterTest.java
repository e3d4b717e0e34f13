package io.ncf.train;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

class BackgroundWriterTest {

    @Test void writesRunInOrderBehindTheCallerAndCloseWaitsForThem() throws Exception {
        List<Integer> done = new CopyOnWriteArrayList<>();
        CountDownLatch gate = new CountDownLatch(1);
        try (BackgroundWriter w = new BackgroundWriter(2)) {
            w.submit(() -> { await(gate); done.add(1); });
            w.submit(() -> done.add(2));
            assertTrue(done.isEmpty(), "the caller did not wait for the writes");
            gate.countDown();
        }
        assertEquals(List.of(1, 2), done, "close waited for both, in order");
    }

    @Test void atMostMaxPendingWritesAreInFlight() throws Exception {
        AtomicInteger running = new AtomicInteger(), most = new AtomicInteger();
        try (BackgroundWriter w = new BackgroundWriter(2)) {
            for (int i = 0; i < 6; i++)
                w.submit(() -> {
                    most.accumulateAndGet(running.incrementAndGet(), Math::max);
                    try { Thread.sleep(20); } catch (InterruptedException e) { throw new RuntimeException(e); }
                    running.decrementAndGet();
                });
        }
        assertEquals(1, most.get(), "one writer thread");
    }

    @Test void aFailedWriteIsRethrownAndLaterWritesAreNotRun() {
        AtomicInteger later = new AtomicInteger();
        BackgroundWriter w = new BackgroundWriter(1);
        w.submit(() -> { throw new java.io.UncheckedIOException(new java.io.IOException("disk full")); });
        RuntimeException e = assertThrows(RuntimeException.class, () -> {
            w.submit(later::incrementAndGet); // waits for the slot, then sees the failure
            w.close();
        });
        assertTrue(e.getMessage().contains("disk full"), e.getMessage());
        assertEquals(0, later.get());
    }

    private static void await(CountDownLatch l) {
        try { l.await(); } catch (InterruptedException e) { throw new RuntimeException(e); }
    }
}
