package io.ncf.cuda;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The multi-GPU failure rule on the CPU: a rank that fails while the others wait in a collective ends the call on
 * every rank (the abort hook releases the waiters, as ncclCommAbort does), with the failed rank and its cause named,
 * instead of hanging.
 */
class RankGroupTest {

    @Test void allRanksRunAndResultsComeBackInRankOrder() {
        try (RankGroup g = new RankGroup(3, "t", () -> fail("no abort without a failure"), 1000)) {
            assertEquals(List.of(0, 10, 20), g.onEach(r -> r * 10));
            assertEquals(List.of(1, 11, 21), g.onEach(r -> r * 10 + 1), "a group runs call after call");
            assertFalse(g.isAborted());
        }
    }

    @Test void aFailedRankAbortsTheCollectiveTheOthersWaitInAndIsNamed() {
        CountDownLatch collective = new CountDownLatch(1); // stands for an all-reduce that needs every rank
        AtomicInteger aborts = new AtomicInteger();
        try (RankGroup g = new RankGroup(4, "t", () -> { aborts.incrementAndGet(); collective.countDown(); }, 5000)) {
            long t0 = System.nanoTime();
            RankGroup.RankFailedException e = assertThrows(RankGroup.RankFailedException.class, () -> g.onEach(r -> {
                if (r == 2) throw new IllegalStateException("injected fault: out of device memory");
                if (!collective.await(60, TimeUnit.SECONDS)) throw new AssertionError("rank " + r + " hung in the collective");
                throw new IllegalStateException("ncclAllReduce: aborted"); // what a rank sees after the abort
            }));
            assertTrue((System.nanoTime() - t0) / 1e9 < 30, "ended promptly");
            assertEquals(2, e.rank(), "the first failure is reported, not the aborted collectives");
            assertTrue(e.getMessage().contains("GPU 2") && e.getMessage().contains("injected fault"), e.getMessage());
            assertEquals(1, aborts.get());
            assertTrue(g.isAborted());
            assertThrows(IllegalStateException.class, () -> g.onEach(r -> r), "an aborted group cannot run again");
        }
    }

    @Test void aRankThatNeverReturnsIsGivenUpAfterTheWait() {
        CountDownLatch never = new CountDownLatch(1);
        try (RankGroup g = new RankGroup(2, "t", () -> {}, 200)) {
            long t0 = System.nanoTime();
            var e = assertThrows(RankGroup.RankFailedException.class, () -> g.onEach(r -> {
                if (r == 0) throw new IllegalStateException("boom");
                never.await();
                return r;
            }));
            assertEquals(0, e.rank());
            assertTrue((System.nanoTime() - t0) / 1e9 < 10, "did not wait for the stuck rank beyond the abort wait");
        }
    }

    @Test void oneGpuRethrowsTheCauseAsItIs() {
        try (RankGroup g = new RankGroup(1, "t", () -> fail("one GPU has no collective to abort"), 100)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> g.onEach(r -> { throw new IllegalArgumentException("bad batch"); }));
            assertEquals("bad batch", e.getMessage());
        }
    }
}
