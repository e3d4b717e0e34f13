package io.ncf.data;

import io.ncf.core.IdVocabulary;

import java.util.SplittableRandom;

/**
 * A small deterministic dataset with planted structure, made in memory (no files): 1,500 users and 800 items in
 * 10 latent groups. Every user belongs to one group and draws {@value #OWN_GROUP_PERCENT}% of its 20–90
 * interactions from its group's 80 items (popularity varies within a group, Zipf-like), the rest uniformly from
 * all items; timestamps are random, so the held-out (latest) item is a random one of the user's items.
 * <p>
 * The held-out item is therefore predictable from the user's group (a model that learns the groups ranks it
 * high) but not from global popularity: every group has its own popular items, and they are no more popular
 * overall than other groups' ones. About 68k interactions, so a NeuMF epoch takes well under a second.
 * It goes through the same {@link Preprocessor} as real data (min 20 ratings, leave-latest-out, 100 negatives).
 */
public final class DemoData {

    public static final int USERS = 1500;
    public static final int ITEMS = 800;
    public static final int GROUPS = 10;
    public static final int OWN_GROUP_PERCENT = 85;
    static final int MIN_PER_USER = 20;
    static final int MAX_PER_USER = 90;
    static final double ZIPF_EXPONENT = 0.8;

    private DemoData() {}

    /** The preprocessed demo dataset (candidates seeded with {@code seed} too). */
    public static NcfDataset generate(long seed) {
        return new Preprocessor(new Preprocessor.Options(20, 100, seed)).run(raw(seed));
    }

    /** The raw interactions ("u17", "i301", timestamps), before preprocessing. */
    public static RawInteractions raw(long seed) {
        SplittableRandom rnd = Seeds.random(seed, 0x64656d6fL);
        // items dealt to groups by a random permutation, each with a random popularity rank in its group
        int[] perm = new int[ITEMS];
        for (int i = 0; i < ITEMS; i++) perm[i] = i;
        shuffle(perm, rnd);
        int perGroup = ITEMS / GROUPS;
        int[][] groupItems = new int[GROUPS][perGroup];
        for (int k = 0; k < ITEMS; k++) groupItems[k / perGroup][k % perGroup] = perm[k];
        double[] cumulative = new double[perGroup];
        double total = 0;
        for (int r = 0; r < perGroup; r++) cumulative[r] = total += Math.pow(r + 1, -ZIPF_EXPONENT);
        for (int r = 0; r < perGroup; r++) cumulative[r] /= total;

        RawInteractions raw = new RawInteractions("demo", true, new IdVocabulary(), new IdVocabulary(), USERS * 50);
        for (int i = 0; i < ITEMS; i++) raw.itemIds().add("i" + i);
        boolean[] taken = new boolean[ITEMS];
        int[] mine = new int[MAX_PER_USER];
        for (int u = 0; u < USERS; u++) {
            int g = rnd.nextInt(GROUPS);
            int count = MIN_PER_USER + (int) Math.min(MAX_PER_USER - MIN_PER_USER, -Math.log(1 - rnd.nextDouble()) * 25);
            int uid = raw.userIds().add("u" + u);
            for (int k = 0; k < count; k++) {
                int item;
                do {
                    item = rnd.nextInt(100) < OWN_GROUP_PERCENT ? groupItems[g][draw(cumulative, rnd.nextDouble())] : rnd.nextInt(ITEMS);
                } while (taken[item]);
                taken[item] = true;
                mine[k] = item;
                raw.add(uid, item, 1_000_000_000L + rnd.nextInt(10_000_000));
            }
            for (int k = 0; k < count; k++) taken[mine[k]] = false;
        }
        return raw;
    }

    /** The latent group of every item of a dataset made by {@link #generate} with the same seed (by original id). */
    public static int[] itemGroups(long seed, IdVocabulary itemIds) {
        SplittableRandom rnd = Seeds.random(seed, 0x64656d6fL);
        int[] perm = new int[ITEMS];
        for (int i = 0; i < ITEMS; i++) perm[i] = i;
        shuffle(perm, rnd);
        int[] groupOfOriginal = new int[ITEMS];
        for (int k = 0; k < ITEMS; k++) groupOfOriginal[perm[k]] = k / (ITEMS / GROUPS);
        int[] out = new int[itemIds.size()];
        for (int i = 0; i < out.length; i++) out[i] = groupOfOriginal[Integer.parseInt(itemIds.id(i).substring(1))];
        return out;
    }

    private static int draw(double[] cumulative, double x) {
        int lo = 0, hi = cumulative.length - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (cumulative[mid] < x) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    private static void shuffle(int[] a, SplittableRandom rnd) {
        for (int k = a.length - 1; k > 0; k--) {
            int j = rnd.nextInt(k + 1);
            int t = a[k]; a[k] = a[j]; a[j] = t;
        }
    }
}
