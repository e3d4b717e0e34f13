package io.ncf.train.host;

import io.ncf.train.BackendInfo;
import io.ncf.train.engine.Availability;

/** Whether ND4J's backend loads here (the CPU engines' runtime), without throwing. */
final class HostAvailability {

    private HostAvailability() {}

    static Availability probe(boolean anyBackend) {
        try {
            String backend = org.nd4j.linalg.factory.Nd4j.getBackend().getClass().getSimpleName();
            if (!anyBackend && BackendInfo.isCudaBackend(backend))
                return Availability.no("ND4J runs on its CUDA backend (" + backend + "); the fused engine needs the CPU backend");
            return Availability.yes("ND4J " + backend);
        } catch (Throwable t) { // NoClassDefFoundError, UnsatisfiedLinkError, ExceptionInInitializerError on a thin class path
            Throwable c = t;
            while (c.getCause() != null && c.getCause() != c) c = c.getCause();
            return Availability.no("ND4J's native backend does not load here (" + c.getClass().getSimpleName()
                    + (c.getMessage() == null ? "" : ": " + c.getMessage()) + ")");
        }
    }
}
