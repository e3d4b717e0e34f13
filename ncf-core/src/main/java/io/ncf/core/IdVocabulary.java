package io.ncf.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Dense index ↔ original id (any string). Indices are assigned in the order ids are first added,
 * so a vocabulary built from the same input in the same order is identical.
 */
public final class IdVocabulary {

    private final List<String> ids;
    private final Map<String, Integer> index;

    public IdVocabulary() { this(new ArrayList<>()); }

    private IdVocabulary(List<String> ids) {
        this.ids = ids;
        this.index = new HashMap<>(Math.max(16, ids.size() * 2));
        for (int i = 0; i < ids.size(); i++) {
            if (index.put(ids.get(i), i) != null) throw new IllegalArgumentException("duplicate id in vocabulary: '" + ids.get(i) + "'");
        }
    }

    public static IdVocabulary of(List<String> ids) { return new IdVocabulary(new ArrayList<>(ids)); }

    /** Index of {@code id}, adding it if new. */
    public int add(String id) {
        Integer i = index.get(id);
        if (i != null) return i;
        int n = ids.size();
        ids.add(id);
        index.put(id, n);
        return n;
    }

    /** Index of {@code id}, or -1 if unknown. */
    public int indexOf(String id) {
        Integer i = index.get(id);
        return i == null ? -1 : i;
    }

    public String id(int index) { return ids.get(index); }

    public int size() { return ids.size(); }

    public List<String> ids() { return Collections.unmodifiableList(ids); }

    /** A vocabulary of only the given old indices, renumbered 0.. in the given order. */
    public IdVocabulary select(int[] oldIndices) {
        List<String> out = new ArrayList<>(oldIndices.length);
        for (int i : oldIndices) out.add(ids.get(i));
        return new IdVocabulary(out);
    }

    @Override public boolean equals(Object o) { return o instanceof IdVocabulary v && v.ids.equals(ids); }

    @Override public int hashCode() { return ids.hashCode(); }
}
