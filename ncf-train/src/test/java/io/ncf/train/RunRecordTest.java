package io.ncf.train;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class RunRecordTest {

    @Test void bestIsStrictlyHigherAndTargetIsTheFirstEpochReachingIt() {
        RunRecord r = new RunRecord(0.6);
        assertTrue(r.recordEvaluation(0, 0.5, 0.3, 10));
        assertFalse(r.recordEvaluation(1, 0.5, 0.4, 20), "a tie is not a new best (the seed's rule)");
        assertEquals(-1, r.firstToHit());
        assertTrue(r.recordEvaluation(2, 0.61, 0.35, 30));
        assertTrue(r.recordEvaluation(3, 0.7, 0.36, 40));
        assertFalse(r.recordEvaluation(4, 0.65, 0.5, 50));
        assertEquals(2, r.firstToHit());
        assertEquals(30, r.timeToTrain());
        assertEquals(3, r.bestEpoch());
        assertEquals(0.7, r.bestHr());
        assertEquals(0.36, r.bestNdcg());
        assertEquals(40, r.timeToBest());
        TrainingSummary s = r.summary(List.of(), 55);
        assertEquals(0.7, s.bestHitRate());
        assertEquals(2, s.firstEpochToHit());
        assertEquals(55, s.totalSeconds());
    }

    @Test void aRunWithoutEvaluationHasNoBest() {
        TrainingSummary s = new RunRecord(0.6).summary(List.of(), 1);
        assertEquals(-1, s.bestEpoch());
        assertTrue(Double.isNaN(s.bestHitRate()));
        assertTrue(Double.isNaN(s.timeToTrain()));
    }
}
