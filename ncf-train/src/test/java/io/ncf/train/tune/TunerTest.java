package io.ncf.train.tune;

import io.ncf.data.DemoData;
import io.ncf.data.NcfDataset;
import io.ncf.data.Preprocessor;
import io.ncf.data.RawInteractions;
import io.ncf.model.ModelKind;
import io.ncf.train.Recipe;
import io.ncf.train.engine.EngineRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class TunerTest {

    /** The demo data's first 150 users: seconds per trial. */
    static final NcfDataset DS = smallDemo(7, 150);

    static Tuner.Options trials(int n, int maxEpochs, long seed) {
        SearchSpace space = new SearchSpace(List.of(ModelKind.NEUMF), DS.trainSize(), maxEpochs);
        return new Tuner.Options(null, n, maxEpochs, 2, seed, 10, space);
    }

    @Test
    void picksTheBestValidationTrialAndItsEpochCountReproducibly() {
        List<String> events = new ArrayList<>();
        Tuner.Result r = new Tuner(DS, EngineRegistry.get("fused"), trials(4, 3, 42)).run(new Tuner.Listener() {
            @Override public void onTrialStart(int id, Recipe recipe) { events.add("start " + id); }

            @Override public void onTrialEnd(Tuner.Trial t) { events.add("end " + t.id()); }
        });
        assertEquals(List.of("start 0", "end 0", "start 1", "end 1", "start 2", "end 2", "start 3", "end 3"), events);
        assertEquals(4, r.trials().size());
        Tuner.Trial best = r.best();
        for (Tuner.Trial t : r.trials()) {
            assertTrue(t.bestHr() <= best.bestHr(), "trial " + t.id() + " beat the winner");
            assertTrue(t.epochsRun() >= 1 && t.epochsRun() <= 3);
            assertTrue(List.of("patience", "median", "max-epochs").contains(t.stop()), t.stop());
            assertEquals(t.hitRates()[t.bestEpoch()], t.bestHr());
        }
        assertEquals(trials(4, 3, 42).space().anchor(), r.trials().get(0).recipe(), "trial 0 is the anchor");
        assertEquals(best.bestEpoch() + 1, r.recipe().epochs(), "the recipe trains to the best validation epoch");
        assertTrue(best.bestHr() > 0.3, "a tuned model learned something: " + best.bestHr());
        // the same seed repeats every trial exactly (CPU engine, trial budget)
        Tuner.Result again = new Tuner(DS, EngineRegistry.get("fused"), trials(4, 3, 42)).run(new Tuner.Listener() {});
        for (int k = 0; k < 4; k++) {
            assertEquals(r.trials().get(k).recipe(), again.trials().get(k).recipe());
            assertArrayEquals(r.trials().get(k).hitRates(), again.trials().get(k).hitRates(), 0.0, "trial " + k);
        }
    }

    @Test
    void aWallTimeBudgetEndsTheTuneAndKeepsWhatWasReached() {
        SearchSpace space = new SearchSpace(List.of(ModelKind.NEUMF), DS.trainSize(), 50);
        Tuner.Options o = new Tuner.Options(Duration.ofSeconds(6), 0, 50, 50, 3, 10, space);
        long t0 = System.nanoTime();
        Tuner.Result r = new Tuner(DS, EngineRegistry.get("fused"), o).run(new Tuner.Listener() {});
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertTrue(seconds < 30, "the budget stops the tune (took " + seconds + " s)");
        Tuner.Trial last = r.trials().get(r.trials().size() - 1);
        assertEquals("budget", last.stop());
        assertTrue(last.epochsRun() >= 1);
    }

    @Test
    void searchSpaceDrawsAreAFunctionOfSeedAndTrial() {
        SearchSpace s = new SearchSpace(List.of(ModelKind.NEUMF, ModelKind.GMF), 100_000, 20);
        assertEquals(s.draw(1, 5), s.draw(1, 5));
        assertNotEquals(s.draw(1, 5), s.draw(2, 5));
        assertEquals(s.anchor(), s.draw(99, 0));
        assertEquals(1024, s.anchor().batchSize(), "ml-latest-small's size gets the batch the anchor was measured with");
        assertEquals(0.001f, s.anchor().learningRate());
        Recipe ml1m = new SearchSpace(List.of(ModelKind.NEUMF), 1_000_000, 20).anchor();
        assertEquals(8192, ml1m.batchSize());
        assertEquals(0.0028f, ml1m.learningRate(), "√8 × 0.001, two digits");
        int als = 0;
        for (int t = 1; t < 50; t++) {
            Recipe r = s.draw(3, t);
            double scale = Math.sqrt(Math.max(1, r.batchSize() / 1024.0)); // lr grows as √batch above 1,024
            assertTrue(r.learningRate() >= 3e-4f * 0.99 && r.learningRate() <= 4e-3f * scale * 1.01, r.toString());
            assertTrue(Integer.bitCount(r.batchSize()) == 1 && r.batchSize() >= s.anchor().batchSize() / 2, "no batch far below the anchor's: " + r);
            assertTrue(List.of(ModelKind.NEUMF, ModelKind.GMF).contains(r.model()));
            if (r.start().kind() == io.ncf.train.Start.Kind.ALS) {
                als++;
                assertEquals(0f, r.embeddingL2(), "no embedding decay pulling the ALS factors to 0: " + r);
            }
        }
        assertTrue(als > 10 && als < 40, "about half the draws start from ALS: " + als + " of 49");
        assertEquals(io.ncf.train.Start.Kind.ALS, s.draw(99, 1).start().kind(), "trial 1 is the anchor from ALS");
        assertEquals(s.anchor().batchSize(), s.draw(99, 1).batchSize(), "the anchor's settings otherwise");
        assertEquals(0.0003f, s.draw(99, 1).learningRate(), "a third of the anchor's rate at its batch: fine-tuning from ALS");
        assertEquals(256, s.draw(99, 1).factors(), "ALS of rank 256");
        assertNull(new SearchSpace(List.of(ModelKind.MLP), 100_000, 20).alsAnchor(), "an MLP has no GMF branch to start from ALS");
    }

    static NcfDataset smallDemo(long seed, int users) {
        RawInteractions all = DemoData.raw(seed), some = new RawInteractions("demo-" + users, all.hasTimestamps());
        for (int r = 0; r < all.size(); r++)
            if (all.user(r) < users) some.add(all.userIds().id(all.user(r)), all.itemIds().id(all.item(r)), all.timestamp(r));
        return new Preprocessor(new Preprocessor.Options(20, 100, seed)).run(some);
    }
}
