package io.ncf.train.engine;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * The engines on the class path, found with {@link ServiceLoader} as JDBC finds drivers: ncf-train registers the CPU
 * engines (fused, samediff), ncf-cuda the GPU engine. A provider class that cannot be loaded (its module's
 * dependencies missing) is skipped, so a thin class path still lists what it can run.
 */
public final class EngineRegistry {

    private EngineRegistry() {}

    /** Every provider, in {@link EngineProvider#order()} then name order. */
    public static List<EngineProvider> providers() {
        List<EngineProvider> out = new ArrayList<>();
        var it = ServiceLoader.load(EngineProvider.class, EngineRegistry.class.getClassLoader()).iterator();
        while (true) {
            try {
                if (!it.hasNext()) break;
                out.add(it.next());
            } catch (ServiceConfigurationError | LinkageError e) {
                // a provider whose classes do not load here is not an engine of this class path
            }
        }
        out.sort(Comparator.comparingInt(EngineProvider::order).thenComparing(EngineProvider::name));
        return out;
    }

    public static List<String> names() { return providers().stream().map(EngineProvider::name).toList(); }

    /** The provider named {@code name} (case-insensitive). */
    public static EngineProvider get(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        for (EngineProvider p : providers()) if (p.name().equals(n)) return p;
        throw new UnknownEngineException(name, names());
    }
}
