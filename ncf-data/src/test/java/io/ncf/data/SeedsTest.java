package io.ncf.data;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class SeedsTest {

    @Test
    void belowStaysInRangeAndIsUniform() {
        SplittableRandom r = new SplittableRandom(1);
        int bound = 7;
        int[] counts = new int[bound];
        int n = 700_000;
        for (int k = 0; k < n; k++) counts[Seeds.below(r, bound)]++;
        for (int c : counts) assertEquals(n / (double) bound, c, 5 * Math.sqrt(n / (double) bound)); // 5 sigma
        for (int b : new int[]{1, 2, 3, 1 << 30, Integer.MAX_VALUE}) {
            for (int k = 0; k < 1000; k++) {
                int v = Seeds.below(r, b);
                assertTrue(v >= 0 && v < b, v + " not below " + b);
            }
        }
    }

    @Test
    void streamsForNeighbouringKeysDiffer() {
        assertNotEquals(Seeds.random(1, 0).nextLong(), Seeds.random(1, 1).nextLong());
        assertNotEquals(Seeds.mix(1, 2), Seeds.mix(2, 1));
        // SplittableRandom(seed + k) would make stream k+1 a shifted copy of stream k; ours must not
        SplittableRandom a = Seeds.random(9, 5), b = Seeds.random(9, 6);
        long first = a.nextLong();
        a.nextLong();
        for (int k = 0; k < 10; k++) assertNotEquals(first, b.nextLong());
    }
}
