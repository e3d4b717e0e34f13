package io.ncf.train.engine;

import java.util.List;

/** No registered engine has the name asked for; the message lists those that exist. */
public final class UnknownEngineException extends IllegalArgumentException {
    private final List<String> known;

    public UnknownEngineException(String name, List<String> known) {
        super("unknown engine '" + name + "' (engines: " + String.join(", ", known) + ")");
        this.known = List.copyOf(known);
    }

    public List<String> known() { return known; }
}
