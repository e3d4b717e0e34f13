package io.ncf.model.fused;

import io.ncf.core.blas.Workers;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.*;

class WorkersTest {

    @Test
    void everyIndexRunsExactlyOnceAcrossManyCalls() {
        try (Workers w = new Workers(3)) {
            for (int n : new int[]{0, 1, 2, 3, 7, 1000}) {
                for (int rep = 0; rep < 50; rep++) {
                    AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(n, 1));
                    w.run(n, (worker, from, to) -> {
                        assertTrue(worker >= 0 && worker < 3);
                        for (int i = from; i < to; i++) hits.incrementAndGet(i);
                    });
                    for (int i = 0; i < n; i++) assertEquals(1, hits.get(i), "index " + i + " of " + n);
                }
            }
        }
    }

    @Test
    void everyWorkerIndexIsCalledOnceEvenForTinyRanges() {
        try (Workers w = new Workers(3)) {
            AtomicIntegerArray calls = new AtomicIntegerArray(3);
            w.run(1, (worker, from, to) -> calls.incrementAndGet(worker));
            for (int k = 0; k < 3; k++) assertEquals(1, calls.get(k), "worker " + k);
        }
    }

    @Test
    void aFailureInAWorkerReachesTheCaller() {
        try (Workers w = new Workers(2)) {
            var ex = assertThrows(IllegalStateException.class, () -> w.run(100, (worker, from, to) -> {
                if (worker == 1) throw new IllegalStateException("boom in worker 1");
            }));
            assertEquals("boom in worker 1", ex.getMessage());
            // the pool still works afterwards
            AtomicIntegerArray hits = new AtomicIntegerArray(10);
            w.run(10, (worker, from, to) -> { for (int i = from; i < to; i++) hits.incrementAndGet(i); });
            for (int i = 0; i < 10; i++) assertEquals(1, hits.get(i));
        }
    }
}
