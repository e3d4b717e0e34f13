package io.ncf.data;

import io.ncf.core.IdVocabulary;

import java.util.Arrays;

/**
 * Interactions as read, before any filtering: parallel growable arrays (user index, item index, timestamp)
 * in input order, with the vocabularies that map the indices back to the original string ids (indices in
 * order of first appearance). Without timestamps the input order is the time order.
 */
public final class RawInteractions {

    private final String source;
    private final boolean hasTimestamps;
    private final IdVocabulary userIds;
    private final IdVocabulary itemIds;
    private int[] users;
    private int[] items;
    private long[] timestamps;
    private int size;

    public RawInteractions(String source, boolean hasTimestamps) {
        this(source, hasTimestamps, new IdVocabulary(), new IdVocabulary(), 1024);
    }

    public RawInteractions(String source, boolean hasTimestamps, IdVocabulary userIds, IdVocabulary itemIds, int capacity) {
        this.source = source;
        this.hasTimestamps = hasTimestamps;
        this.userIds = userIds;
        this.itemIds = itemIds;
        int c = Math.max(16, capacity);
        this.users = new int[c];
        this.items = new int[c];
        this.timestamps = hasTimestamps ? new long[c] : null;
    }

    /** Wraps filled arrays (entries {@code [0, size)}); they are not copied. */
    RawInteractions(String source, IdVocabulary userIds, IdVocabulary itemIds, int[] users, int[] items, long[] timestamps, int size) {
        this.source = source;
        this.hasTimestamps = timestamps != null;
        this.userIds = userIds;
        this.itemIds = itemIds;
        this.users = users;
        this.items = items;
        this.timestamps = timestamps;
        this.size = size;
    }

    /** Appends a row of already interned indices. */
    public void add(int user, int item, long timestamp) {
        if (size == users.length) grow();
        users[size] = user;
        items[size] = item;
        if (timestamps != null) timestamps[size] = timestamp;
        size++;
    }

    /** Appends a row, interning the ids. */
    public void add(String user, String item, long timestamp) {
        add(userIds.add(user), itemIds.add(item), timestamp);
    }

    private void grow() {
        // 1.5x keeps the peak for a 20M-row file near 1.5x the final arrays instead of 2x.
        long n = Math.min(Integer.MAX_VALUE - 8, (long) users.length + (users.length >> 1) + 16);
        if (n <= size) throw new IllegalStateException("too many interactions for int indexing: " + size);
        users = Arrays.copyOf(users, (int) n);
        items = Arrays.copyOf(items, (int) n);
        if (timestamps != null) timestamps = Arrays.copyOf(timestamps, (int) n);
    }

    public int size() { return size; }

    public String source() { return source; }

    public boolean hasTimestamps() { return hasTimestamps; }

    public IdVocabulary userIds() { return userIds; }

    public IdVocabulary itemIds() { return itemIds; }

    public int user(int row) { return users[row]; }

    public int item(int row) { return items[row]; }

    /** Timestamp of a row; without timestamps the row number (input order is time order). */
    public long timestamp(int row) { return timestamps != null ? timestamps[row] : row; }

    /** Backing array; valid entries are {@code [0, size())}. Do not modify. */
    public int[] usersArray() { return users; }

    /** Backing array; valid entries are {@code [0, size())}. Do not modify. */
    public int[] itemsArray() { return items; }

    /** Backing array (valid entries {@code [0, size())}), or null without timestamps. Do not modify. */
    public long[] timestampsArray() { return timestamps; }

    /** Same rows, same ids, same order, same timestamps (source name not compared). */
    public boolean sameContent(RawInteractions o) {
        if (o.size != size || o.hasTimestamps != hasTimestamps) return false;
        if (!userIds.equals(o.userIds) || !itemIds.equals(o.itemIds)) return false;
        if (!Arrays.equals(users, 0, size, o.users, 0, size)) return false;
        if (!Arrays.equals(items, 0, size, o.items, 0, size)) return false;
        return timestamps == null || Arrays.equals(timestamps, 0, size, o.timestamps, 0, size);
    }

    @Override public String toString() {
        return "RawInteractions[" + source + ": " + size + " rows, " + userIds.size() + " users, " + itemIds.size()
                + " items" + (hasTimestamps ? "" : ", no timestamps") + "]";
    }
}
