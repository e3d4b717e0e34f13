package io.ncf.data;

/**
 * One epoch of training samples as parallel arrays; entries {@code [0, size())} are valid. Allocated once with
 * the epoch size and refilled every epoch (ml-20m: 99.3M samples, 1.2 GB), so the arrays are exposed directly:
 * read them, do not keep references across a refill.
 */
public final class TrainingSamples {

    private final int[] users;
    private final int[] items;
    private final float[] labels;
    private int size;

    public TrainingSamples(int capacity) {
        if (capacity < 0) throw new IllegalArgumentException("capacity must be >= 0, got " + capacity);
        this.users = new int[capacity];
        this.items = new int[capacity];
        this.labels = new float[capacity];
    }

    public int[] users() { return users; }

    public int[] items() { return items; }

    /** 1 for a positive, 0 for a negative. */
    public float[] labels() { return labels; }

    public int size() { return size; }

    public int capacity() { return users.length; }

    void setSize(int size) {
        if (size > users.length) throw new IllegalArgumentException("size " + size + " exceeds capacity " + users.length);
        this.size = size;
    }
}
