package io.ncf.data;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Interns ids given as UTF-8 byte ranges into an {@link IdVocabulary} without creating a String per row: an
 * open-addressing hash table over the raw bytes, so a String is made only for an id not seen before.
 * Indices equal the vocabulary's (first appearance order).
 */
final class ByteInterner {

    private final IdVocabulary vocab;
    private int[] table;          // slot -> id index, -1 empty
    private int[] hashes;         // id index -> hash
    private int[] offsets;        // id index -> start in arena; offsets[n] = end
    private byte[] arena;
    private int n;

    ByteInterner(IdVocabulary vocab) {
        this.vocab = vocab;
        this.table = new int[1 << 12];
        Arrays.fill(table, -1);
        this.hashes = new int[1024];
        this.offsets = new int[1025];
        this.arena = new byte[1 << 14];
        // an existing vocabulary keeps its indices
        for (String id : vocab.ids()) insertNew(id.getBytes(StandardCharsets.UTF_8), 0, id.getBytes(StandardCharsets.UTF_8).length, null);
    }

    private static int hash(byte[] b, int from, int to) {
        int h = 0x811C9DC5;
        for (int k = from; k < to; k++) h = (h ^ b[k]) * 0x01000193;
        return h ^ (h >>> 16);
    }

    /** Index of the id {@code b[from .. to)}, adding it (and its String to the vocabulary) if new. */
    int intern(byte[] b, int from, int to) {
        int h = hash(b, from, to);
        int mask = table.length - 1;
        int len = to - from;
        for (int slot = h & mask; ; slot = (slot + 1) & mask) {
            int id = table[slot];
            if (id < 0) break;
            if (hashes[id] == h) {
                int s = offsets[id];
                if (offsets[id + 1] - s == len && Arrays.equals(arena, s, s + len, b, from, to)) return id;
            }
        }
        return insertNew(b, from, to, new String(b, from, len, StandardCharsets.UTF_8));
    }

    /** True when id {@code index} has exactly the bytes {@code b[from .. to)}. */
    boolean equals(int index, byte[] b, int from, int to) {
        int s = offsets[index];
        return offsets[index + 1] - s == to - from && Arrays.equals(arena, s, s + (to - from), b, from, to);
    }

    private int insertNew(byte[] b, int from, int to, String s) {
        int len = to - from;
        if (s != null) {
            int v = vocab.add(s);
            if (v != n) throw new IllegalStateException("vocabulary changed outside the interner");
        }
        if (n + 1 >= hashes.length) {
            hashes = Arrays.copyOf(hashes, hashes.length * 2);
            offsets = Arrays.copyOf(offsets, offsets.length * 2);
        }
        int at = offsets[n];
        if (at + len > arena.length) arena = Arrays.copyOf(arena, Math.max(at + len, arena.length * 2));
        System.arraycopy(b, from, arena, at, len);
        offsets[n + 1] = at + len;
        int h = hash(b, from, to);
        hashes[n] = h;
        int id = n++;
        if (n * 2 > table.length) rehash();
        else place(id, h);
        return id;
    }

    private void place(int id, int h) {
        int mask = table.length - 1;
        int slot = h & mask;
        while (table[slot] >= 0) slot = (slot + 1) & mask;
        table[slot] = id;
    }

    private void rehash() {
        table = new int[table.length * 2];
        Arrays.fill(table, -1);
        for (int id = 0; id < n; id++) place(id, hashes[id]);
    }

    int size() { return n; }
}
