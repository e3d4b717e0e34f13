package io.ncf.spark;

import org.apache.spark.Partitioner;

import scala.Tuple2;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The executor side of {@link SparkPreparation}: the rows grouped by user into one {@link Block} per partition; the
 * counts the driver needs; ids numbered in order of their first position; dense ids joined within co-partitioned
 * partitions ({@code zipPartitions}).
 * <p>
 * No record per row crosses a shuffle or sits in a cache: rows travel as chunks per user, (user, item) pairs as one
 * batch per pair of partitions, the cache holds a Block per partition. Spark Java-serializes shuffled records one by
 * one and estimates the size of what it buffers or caches by walking the objects; per row (and worst in
 * {@code groupByKey} and {@code join}, which group values in such a map) that cost more than all the rest.
 */
final class PrepUsers {

    private PrepUsers() {}

    /**
     * Some rows of one user, from one chunk of an input partition: the map side groups rows by user in chunks of
     * at most {@link #CHUNK} rows, so that a record per user and chunk, not per row, is serialized and sorted. The
     * items travel serialized: Spark's sorter estimates its size by walking the records' objects, and an array of
     * bytes it measures at once.
     */
    record UserRows(byte[] items, long[] times, long[] positions) implements Serializable {
        static UserRows of(Object[] items, long[] times, long[] positions) {
            var bytes = new java.io.ByteArrayOutputStream();
            try (var out = new java.io.ObjectOutputStream(bytes)) {
                out.writeObject(items);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return new UserRows(bytes.toByteArray(), times, positions);
        }

        Object[] itemArray() {
            try (var in = new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(items))) {
                return (Object[]) in.readObject();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
        }

        int size() { return times.length; }
    }

    /** Rows per chunk of an input partition (bounds the map side's memory). */
    static final int CHUNK = 1 << 16;

    /** The map side: an input partition's {@code (user, (item, time, position))} rows → {@code (user, rows)} by chunk. */
    static Iterator<Tuple2<Object, UserRows>> chunked(Iterator<Tuple2<Object, Object[]>> rows) {
        return new Iterator<>() {
            Iterator<Tuple2<Object, UserRows>> pending = java.util.Collections.emptyIterator();

            @Override public boolean hasNext() {
                if (!pending.hasNext() && rows.hasNext()) pending = nextChunk();
                return pending.hasNext();
            }

            @Override public Tuple2<Object, UserRows> next() {
                if (!hasNext()) throw new java.util.NoSuchElementException();
                return pending.next();
            }

            private Iterator<Tuple2<Object, UserRows>> nextChunk() {
                Map<Object, List<Object[]>> byUser = new LinkedHashMap<>();
                for (int n = 0; n < CHUNK && rows.hasNext(); n++) {
                    Tuple2<Object, Object[]> r = rows.next();
                    byUser.computeIfAbsent(r._1(), k -> new ArrayList<>()).add(r._2());
                }
                List<Tuple2<Object, UserRows>> out = new ArrayList<>(byUser.size());
                for (Map.Entry<Object, List<Object[]>> e : byUser.entrySet()) {
                    List<Object[]> l = e.getValue();
                    Object[] items = new Object[l.size()];
                    long[] times = new long[l.size()], positions = new long[l.size()];
                    for (int k = 0; k < items.length; k++) {
                        items[k] = l.get(k)[0];
                        times[k] = (Long) l.get(k)[1];
                        positions[k] = (Long) l.get(k)[2];
                    }
                    out.add(new Tuple2<>(e.getKey(), UserRows.of(items, times, positions)));
                }
                return out.iterator();
            }
        };
    }

    /** Orders raw ids: the ids of one column are of one Comparable type. */
    static final class IdOrder implements Comparator<Object>, Serializable {
        private static final long serialVersionUID = 1L;

        @SuppressWarnings({"unchecked", "rawtypes"})
        @Override public int compare(Object a, Object b) { return ((Comparable) a).compareTo(b); }
    }

    /** Raw ids by hash: the one partitioning of users and items by raw id. */
    static final class ById extends Partitioner {
        private static final long serialVersionUID = 1L;

        private final int partitions;

        ById(int partitions) { this.partitions = partitions; }

        @Override public int numPartitions() { return partitions; }

        @Override public int getPartition(Object key) { return Math.floorMod(key.hashCode(), partitions); }

        @Override public boolean equals(Object o) { return o instanceof ById b && b.partitions == partitions; }

        @Override public int hashCode() { return partitions; }
    }

    /**
     * Sends an id, keyed by its first position, to the bucket of that position's input partition: buckets hold
     * consecutive ranges of positions, so numbering them bucket after bucket follows the positions.
     */
    static final class ByPosition extends Partitioner {
        private static final long serialVersionUID = 1L;

        private final int inputPartitions, buckets;

        ByPosition(int inputPartitions, int buckets) {
            this.inputPartitions = inputPartitions;
            this.buckets = buckets;
        }

        int bucket(long position) { return (int) ((long) PrepInput.partitionOf(position) * buckets / inputPartitions); }

        @Override public int numPartitions() { return buckets; }

        @Override public int getPartition(Object key) { return bucket((Long) key); }

        @Override public boolean equals(Object o) {
            return o instanceof ByPosition b && b.inputPartitions == inputPartitions && b.buckets == buckets;
        }

        @Override public int hashCode() { return 31 * inputPartitions + buckets; }
    }

    /**
     * The users of one partition: raw rows and first position of each; for a kept user also its distinct items in
     * the order of their first row by (time, position) (ncf prepare's stable sort, then dedupe), each with its
     * first position in the input.
     */
    static final class Block implements Serializable {
        private static final long serialVersionUID = 1L;

        final Object[] users;
        final long[] rows, first;
        final boolean[] kept;
        /** User u's items are {@code items[itemStart[u] .. itemStart[u + 1])}; none for a dropped user. */
        final int[] itemStart;
        final Object[] items;
        final long[] itemFirst;

        private Block(Object[] users, long[] rows, long[] first, boolean[] kept, int[] itemStart, Object[] items, long[] itemFirst) {
            this.users = users;
            this.rows = rows;
            this.first = first;
            this.kept = kept;
            this.itemStart = itemStart;
            this.items = items;
            this.itemFirst = itemFirst;
        }

        /** From the partition's chunks of rows, sorted by user. */
        static Iterator<Block> of(Iterator<Tuple2<Object, UserRows>> sorted, int minRatings) {
            List<Object> users = new ArrayList<>(), items = new ArrayList<>();
            LongList rows = new LongList(), first = new LongList(), itemFirst = new LongList(), itemStart = new LongList();
            List<Boolean> kept = new ArrayList<>();
            List<UserRows> chunks = new ArrayList<>();
            Tuple2<Object, UserRows> next = sorted.hasNext() ? sorted.next() : null;
            while (next != null) {
                Object user = next._1();
                chunks.clear();
                for (; next != null && next._1().equals(user); next = sorted.hasNext() ? sorted.next() : null) chunks.add(next._2());
                int n = 0;
                for (UserRows c : chunks) n += c.size();
                Object[] its = new Object[n];
                long[] times = new long[n], positions = new long[n];
                int at = 0;
                for (UserRows c : chunks) {
                    int len = c.size();
                    System.arraycopy(c.itemArray(), 0, its, at, len);
                    System.arraycopy(c.times(), 0, times, at, len);
                    System.arraycopy(c.positions(), 0, positions, at, len);
                    at += len;
                }
                long firstPos = Long.MAX_VALUE;
                for (long p : positions) firstPos = Math.min(firstPos, p);
                users.add(user);
                rows.add(n);
                first.add(firstPos);
                itemStart.add(items.size());
                kept.add(n >= minRatings);
                if (n >= minRatings) {
                    // (time, position): ncf prepare's stable order; positions are distinct, so the order is total
                    Integer[] order = new Integer[n];
                    for (int k = 0; k < n; k++) order[k] = k;
                    Arrays.sort(order, (x, y) -> times[x] != times[y] ? Long.compare(times[x], times[y]) : Long.compare(positions[x], positions[y]));
                    Map<Object, long[]> userItems = new LinkedHashMap<>(); // insertion order = rank of the item's first row
                    for (int k : order) {
                        long[] f = userItems.computeIfAbsent(its[k], x -> new long[]{Long.MAX_VALUE});
                        f[0] = Math.min(f[0], positions[k]);
                    }
                    for (Map.Entry<Object, long[]> e : userItems.entrySet()) {
                        items.add(e.getKey());
                        itemFirst.add(e.getValue()[0]);
                    }
                }
            }
            itemStart.add(items.size());
            boolean[] k = new boolean[kept.size()];
            for (int u = 0; u < k.length; u++) k[u] = kept.get(u);
            int[] starts = Arrays.stream(itemStart.toArray()).mapToInt(Math::toIntExact).toArray();
            return List.of(new Block(users.toArray(), rows.toArray(), first.toArray(), k, starts, items.toArray(),
                    itemFirst.toArray())).iterator();
        }

        /** {@code (first position, raw user)} of the kept users. */
        Iterator<Tuple2<Long, Object>> keptFirsts() {
            List<Tuple2<Long, Object>> out = new ArrayList<>();
            for (int u = 0; u < users.length; u++) if (kept[u]) out.add(new Tuple2<>(first[u], users[u]));
            return out.iterator();
        }

        /** {@code (raw item, its first position among the user's rows)} for each item of a kept user. */
        Iterator<Tuple2<Object, Long>> itemFirsts() {
            List<Tuple2<Object, Long>> out = new ArrayList<>(items.length);
            for (int k = 0; k < items.length; k++) out.add(new Tuple2<>(items[k], itemFirst[k]));
            return out.iterator();
        }

        /**
         * {@code (raw item, dense user << 32 | rank)} for each item of a kept user, given the partition's dense user
         * ids: one batch per partition of {@code byItem}, rather than a record per pair, crosses the shuffle.
         */
        Iterator<Tuple2<Integer, ItemPairs>> ranked(Iterator<Tuple2<Object, Integer>> userIds, ById byItem) {
            Map<Object, Integer> dense = new HashMap<>();
            userIds.forEachRemaining(t -> dense.put(t._1(), t._2()));
            int parts = byItem.numPartitions();
            List<List<Object>> ids = new ArrayList<>(parts);
            List<LongList> values = new ArrayList<>(parts);
            for (int p = 0; p < parts; p++) {
                ids.add(new ArrayList<>());
                values.add(new LongList());
            }
            for (int u = 0; u < users.length; u++) {
                if (!kept[u]) continue;
                Integer d = dense.get(users[u]);
                if (d == null) throw new IllegalStateException("kept user " + users[u] + " has no dense id");
                for (int k = itemStart[u]; k < itemStart[u + 1]; k++) {
                    int p = byItem.getPartition(items[k]);
                    ids.get(p).add(items[k]);
                    values.get(p).add((long) d << 32 | (k - itemStart[u]));
                }
            }
            List<Tuple2<Integer, ItemPairs>> out = new ArrayList<>(parts);
            for (int p = 0; p < parts; p++) out.add(new Tuple2<>(p, new ItemPairs(ids.get(p).toArray(), values.get(p).toArray())));
            return out.iterator();
        }
    }

    /** Raw items, each with {@code dense user << 32 | rank}. */
    record ItemPairs(Object[] items, long[] userRanks) implements Serializable {}

    /** {@code dense user << 32 | rank}, each with its dense item. */
    record UserPairs(long[] userRanks, int[] items) implements Serializable {}

    /** Batches keyed by the number of the partition they are for. */
    static final class Direct extends Partitioner {
        private static final long serialVersionUID = 1L;

        private final int partitions;

        Direct(int partitions) { this.partitions = partitions; }

        @Override public int numPartitions() { return partitions; }

        @Override public int getPartition(Object key) { return (Integer) key; }

        @Override public boolean equals(Object o) { return o instanceof Direct b && b.partitions == partitions; }

        @Override public int hashCode() { return partitions; }
    }

    /**
     * The partition's {@link ItemPairs} with its {@code (raw item, dense item)} → {@link UserPairs}, one batch per
     * partition of dense users ({@code user % partitions}).
     */
    static Iterator<Tuple2<Integer, UserPairs>> joinItems(Iterator<Tuple2<Integer, ItemPairs>> ranked,
                                                          Iterator<Tuple2<Object, Integer>> itemIds, int partitions) {
        Map<Object, Integer> dense = new HashMap<>();
        itemIds.forEachRemaining(t -> dense.put(t._1(), t._2()));
        List<LongList> userRanks = new ArrayList<>(partitions);
        List<LongList> items = new ArrayList<>(partitions);
        for (int p = 0; p < partitions; p++) {
            userRanks.add(new LongList());
            items.add(new LongList());
        }
        while (ranked.hasNext()) {
            ItemPairs b = ranked.next()._2();
            for (int k = 0; k < b.items().length; k++) {
                Integer d = dense.get(b.items()[k]);
                if (d == null) throw new IllegalStateException("item " + b.items()[k] + " has no dense id");
                int p = (int) ((b.userRanks()[k] >>> 32) % partitions);
                userRanks.get(p).add(b.userRanks()[k]);
                items.get(p).add(d);
            }
        }
        List<Tuple2<Integer, UserPairs>> out = new ArrayList<>(partitions);
        for (int p = 0; p < partitions; p++) {
            long[] it = items.get(p).toArray();
            int[] ints = new int[it.length];
            for (int k = 0; k < it.length; k++) ints[k] = (int) it[k];
            out.add(new Tuple2<>(p, new UserPairs(userRanks.get(p).toArray(), ints)));
        }
        return out.iterator();
    }

    /**
     * The sorted {@code (first position, id)} of bucket {@code bucket} → {@code (id, dense id)}, numbered from the
     * ids of the buckets before it.
     */
    static Iterator<Tuple2<Object, Integer>> number(long[] starts, int bucket, Iterator<Tuple2<Long, Object>> sorted) {
        return new Iterator<>() {
            long next = starts[bucket];

            @Override public boolean hasNext() { return sorted.hasNext(); }

            @Override public Tuple2<Object, Integer> next() { return new Tuple2<>(sorted.next()._2(), Math.toIntExact(next++)); }
        };
    }

    /** What the driver learns in one job: input and filter counts, and the kept users and items per bucket. */
    static final class Totals implements Serializable {
        private static final long serialVersionUID = 1L;

        long rawUsers, rawRows, keptUsers, keptRows, pairs;
        final long[] usersPerBucket, itemsPerBucket;

        Totals(int buckets) {
            usersPerBucket = new long[buckets];
            itemsPerBucket = new long[buckets];
        }

        static Iterator<Totals> ofUsers(Iterator<Block> blocks, ByPosition buckets) {
            Totals t = new Totals(buckets.numPartitions());
            while (blocks.hasNext()) {
                Block b = blocks.next();
                for (int u = 0; u < b.users.length; u++) {
                    t.rawUsers++;
                    t.rawRows += b.rows[u];
                    if (!b.kept[u]) continue;
                    t.keptUsers++;
                    t.keptRows += b.rows[u];
                    t.usersPerBucket[buckets.bucket(b.first[u])]++;
                }
                t.pairs += b.items.length;
            }
            return List.of(t).iterator();
        }

        static Iterator<Totals> ofItems(Iterator<Tuple2<Object, Long>> items, ByPosition buckets) {
            Totals t = new Totals(buckets.numPartitions());
            while (items.hasNext()) t.itemsPerBucket[buckets.bucket(items.next()._2())]++;
            return List.of(t).iterator();
        }

        Totals plus(Totals o) {
            Totals t = new Totals(usersPerBucket.length);
            t.rawUsers = rawUsers + o.rawUsers;
            t.rawRows = rawRows + o.rawRows;
            t.keptUsers = keptUsers + o.keptUsers;
            t.keptRows = keptRows + o.keptRows;
            t.pairs = pairs + o.pairs;
            for (int b = 0; b < usersPerBucket.length; b++) {
                t.usersPerBucket[b] = usersPerBucket[b] + o.usersPerBucket[b];
                t.itemsPerBucket[b] = itemsPerBucket[b] + o.itemsPerBucket[b];
            }
            return t;
        }

        long numItems() { return Arrays.stream(itemsPerBucket).sum(); }

        /** The first dense id of each bucket. */
        static long[] starts(long[] perBucket) {
            long[] s = new long[perBucket.length];
            for (int b = 1; b < s.length; b++) s[b] = s[b - 1] + perBucket[b - 1];
            return s;
        }
    }

    /** A user's dense result: items in rank order (the last is the test item) and the evaluation negatives. */
    record Result(int user, int[] items, int[] negatives) implements Serializable {

        /** The partition's {@link UserPairs} → one result per user, users ascending. */
        static Iterator<Result> of(Iterator<Tuple2<Integer, UserPairs>> batches, long seed, int numItems, int negatives) {
            Map<Integer, int[]> ranked = new HashMap<>(); // per user: items by rank, item + 1 (0: not yet seen)
            while (batches.hasNext()) {
                UserPairs b = batches.next()._2();
                for (int k = 0; k < b.items().length; k++) {
                    long v = b.userRanks()[k];
                    int user = (int) (v >>> 32), rank = (int) v;
                    int[] items = ranked.get(user);
                    if (items == null || rank >= items.length) {
                        items = Arrays.copyOf(items == null ? new int[0] : items, Math.max(16, Math.max(rank + 1, 2 * (items == null ? 0 : items.length))));
                        ranked.put(user, items);
                    }
                    items[rank] = b.items()[k] + 1;
                }
            }
            int[] users = ranked.keySet().stream().mapToInt(Integer::intValue).sorted().toArray();
            return Arrays.stream(users).mapToObj(user -> {
                int[] items = ranked.remove(user);
                int n = 0;
                while (n < items.length && items[n] != 0) n++;
                for (int k = n; k < items.length; k++)
                    if (items[k] != 0) throw new IllegalStateException("user " + user + "'s ranks are not 0, 1, …");
                int[] dense = new int[n];
                for (int k = 0; k < n; k++) dense[k] = items[k] - 1;
                return new Result(user, dense, PrepNegatives.draw(seed, user, dense, numItems, negatives));
            }).iterator();
        }
    }

    /** A growable long array. */
    private static final class LongList {
        private long[] values = new long[64];
        private int size;

        void add(long v) {
            if (size == values.length) values = Arrays.copyOf(values, Math.multiplyExact(size, 2));
            values[size++] = v;
        }

        long[] toArray() { return Arrays.copyOf(values, size); }
    }
}
