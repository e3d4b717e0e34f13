package io.ncf.spark;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SparkSmokeTest {
    @Test void sessionRunsAJobBesideNd4j() {
        long n = SparkTests.spark().range(0, 1000, 1, 2).filter("id % 2 = 0").count();
        assertEquals(500, n);
        assertEquals(3.0, org.nd4j.linalg.factory.Nd4j.create(new float[]{1, 2}).sumNumber().doubleValue(), 1e-6);
    }
}
