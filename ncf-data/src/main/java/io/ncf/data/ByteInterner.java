package io.ncf.data;

import io.ncf.core.IdVocabulary;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Interns ids given as UTF-8 byte ranges into an {@link IdVocabulary} without creating a String per row, so a
 * String is made only for an id not seen before. Indices equal the vocabulary's (first appearance order).
 * <p>
 * Ids of up to 7 bytes (every MovieLens id) are packed with their length into one long and looked up in an
 * open-addressing table of such longs: one hash of a long and usually one probe, with no byte-by-byte
 * comparison. Longer ids go to a second table over an arena of their bytes.
 */
final class ByteInterner {

    private static final int SHORT = 7;
    private static final java.lang.invoke.VarHandle LONG_LE =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);

    private final IdVocabulary vocab;
    private int n;

    // ids of <= 7 bytes: slot s holds the packed key at [2s] (0 = empty: a real key has its length, >= 1, in
    // the top byte) and the id at [2s+1], so a probe touches one cache line
    private long[] shortTable = new long[2 << 12];
    private int shortCount;

    // longer ids: slot -> id (-1 empty); per long id: hash and bytes in the arena
    private int[] longTable = filled(1 << 8);
    private int[] longHashes = new int[64];
    private int[] longStart = new int[65];
    private int[] longOwner = new int[64];   // long-id ordinal -> vocabulary index
    private byte[] arena = new byte[1 << 10];
    private int longCount;

    ByteInterner(IdVocabulary vocab) {
        this.vocab = vocab;
        // an existing vocabulary keeps its indices
        for (String id : vocab.ids()) {
            byte[] b = id.getBytes(StandardCharsets.UTF_8);
            insert(b, 0, b.length, n++);
        }
    }

    private static int[] filled(int size) {
        int[] a = new int[size];
        Arrays.fill(a, -1);
        return a;
    }

    /** The bytes packed with their length (top byte), for ids of at most 7 bytes. */
    static long pack(byte[] b, int from, int to) {
        int len = to - from;
        if (from + 8 <= b.length) {
            // one unaligned 8-byte load, bytes past the id masked off (len <= 7, so the shift is < 64)
            long v = (long) LONG_LE.get(b, from);
            return (v & ((1L << (len << 3)) - 1)) | ((long) len << 56);
        }
        long k = (long) len << 56;
        for (int j = from, shift = 0; j < to; j++, shift += 8) k |= (b[j] & 0xFFL) << shift;
        return k;
    }

    private static int mix(long k) {
        k *= 0x9E3779B97F4A7C15L;
        return (int) (k ^ (k >>> 29) ^ (k >>> 41));
    }

    private static int hashBytes(byte[] b, int from, int to) {
        int h = 0x811C9DC5;
        for (int k = from; k < to; k++) h = (h ^ b[k]) * 0x01000193;
        return h ^ (h >>> 16);
    }

    /** Index of the id {@code b[from .. to)}, adding it (and its String to the vocabulary) if new. */
    int intern(byte[] b, int from, int to) {
        if (to - from <= SHORT) {
            long key = pack(b, from, to);
            long[] t = shortTable;
            int mask = (t.length >>> 1) - 1;
            for (int slot = mix(key) & mask; ; slot = (slot + 1) & mask) {
                long k = t[slot << 1];
                if (k == 0) break;
                if (k == key) return (int) t[(slot << 1) + 1];
            }
        } else {
            int h = hashBytes(b, from, to);
            int mask = longTable.length - 1;
            for (int slot = h & mask; ; slot = (slot + 1) & mask) {
                int ord = longTable[slot];
                if (ord < 0) break;
                if (longHashes[ord] == h && sameLong(ord, b, from, to)) return longOwner[ord];
            }
        }
        int id = vocab.add(new String(b, from, to - from, StandardCharsets.UTF_8));
        if (id != n) throw new IllegalStateException("vocabulary changed outside the interner");
        insert(b, from, to, n++);
        return id;
    }

    /** Packed key of an interned id of at most 7 bytes, to compare a row's id with a remembered one cheaply. */
    static boolean isShort(int from, int to) { return to - from <= SHORT; }

    private boolean sameLong(int ord, byte[] b, int from, int to) {
        int s = longStart[ord], len = to - from;
        if (longStart[ord + 1] - s != len) return false;
        for (int k = 0; k < len; k++) if (arena[s + k] != b[from + k]) return false;
        return true;
    }

    private void insert(byte[] b, int from, int to, int id) {
        if (to - from <= SHORT) {
            if (++shortCount * 2 > shortTable.length >>> 1) rehashShort();
            placeShort(pack(b, from, to), id);
        } else {
            int len = to - from;
            if (longCount + 1 >= longHashes.length) {
                longHashes = Arrays.copyOf(longHashes, longHashes.length * 2);
                longOwner = Arrays.copyOf(longOwner, longOwner.length * 2);
                longStart = Arrays.copyOf(longStart, longStart.length * 2);
            }
            int at = longStart[longCount];
            if (at + len > arena.length) arena = Arrays.copyOf(arena, Math.max(at + len, arena.length * 2));
            System.arraycopy(b, from, arena, at, len);
            longStart[longCount + 1] = at + len;
            longHashes[longCount] = hashBytes(b, from, to);
            longOwner[longCount] = id;
            int ord = longCount++;
            if (longCount * 2 > longTable.length) rehashLong();
            else placeLong(ord);
        }
    }

    private void placeShort(long key, int id) {
        int mask = (shortTable.length >>> 1) - 1;
        int slot = mix(key) & mask;
        while (shortTable[slot << 1] != 0) slot = (slot + 1) & mask;
        shortTable[slot << 1] = key;
        shortTable[(slot << 1) + 1] = id;
    }

    private void rehashShort() {
        long[] old = shortTable;
        shortTable = new long[old.length * 2];
        for (int s = 0; s < old.length; s += 2) if (old[s] != 0) placeShort(old[s], (int) old[s + 1]);
    }

    private void placeLong(int ord) {
        int mask = longTable.length - 1;
        int slot = longHashes[ord] & mask;
        while (longTable[slot] >= 0) slot = (slot + 1) & mask;
        longTable[slot] = ord;
    }

    private void rehashLong() {
        longTable = filled(longTable.length * 2);
        for (int ord = 0; ord < longCount; ord++) placeLong(ord);
    }

    int size() { return n; }
}
