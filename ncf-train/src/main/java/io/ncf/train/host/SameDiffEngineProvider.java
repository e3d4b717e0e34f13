package io.ncf.train.host;

import io.ncf.train.EngineKind;
import io.ncf.train.Engines;
import io.ncf.train.engine.Availability;
import io.ncf.train.engine.EngineProvider;
import io.ncf.train.engine.EngineSetup;
import io.ncf.train.engine.TrainingEngine;

/** {@code samediff}: the SameDiff graph, the definition of NeuMF; any ND4J backend, FLOAT or HALF. */
public final class SameDiffEngineProvider implements EngineProvider {

    @Override public String name() { return "samediff"; }

    @Override public String description() { return "ND4J SameDiff graph: the definition of NeuMF; FLOAT or HALF (--fp16) on any ND4J backend"; }

    @Override public int order() { return 20; }

    @Override public Availability availability() { return HostAvailability.probe(true); }

    @Override public java.util.List<String> startupLines(boolean fp16) {
        return java.util.List.of(io.ncf.train.BackendInfo.current(fp16).line());
    }

    @Override public java.util.Optional<String> unsupported(io.ncf.train.engine.Feature f) {
        return switch (f) {
            case RANKING -> java.util.Optional.of("ranking a trained model is inference: it runs on the fused CPU kernel (--engine fused) or the GPU (--engine cuda)");
            case BF16 -> java.util.Optional.of("the graph runs in FLOAT or HALF; BF16 products run on the fused engine");
            default -> java.util.Optional.empty();
        };
    }

    @Override public int defaultMicroBatch() { return EngineKind.SAMEDIFF.defaultMicroBatch(); }

    @Override public TrainingEngine open(EngineSetup s) {
        requireAll(s);
        int mb = s.options().microBatch();
        String d = "samediff (" + (s.fp16() ? "HALF compute, FLOAT master weights" : "FLOAT") + "), micro-batch " + mb
                + (s.workers() > 1 ? ", " + s.workers() + " workers" : "");
        return new HostTrainingEngine(d, s, p -> Engines.create(EngineKind.SAMEDIFF, p, mb, s.fp16(), s.workers()));
    }

    @Override public java.util.Map<String, Object> logParameters(boolean fp16) { return io.ncf.train.BackendInfo.current(fp16).asParameters(); }
}
