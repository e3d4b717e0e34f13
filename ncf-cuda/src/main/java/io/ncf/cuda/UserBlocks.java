package io.ncf.cuda;

import io.ncf.core.ParamShapes;

import java.util.ArrayList;
import java.util.List;

/**
 * Which GPU owns which users in user-sharded data parallelism ({@link GpuTraining.Exchange#USER_SHARDS}): rank r owns
 * the contiguous users {@code [lo(r), hi(r))}, trains every sample of a global batch whose user it owns, and is the
 * only one to update those users' embedding rows (and their Adam moments). Blocks are cut where the training
 * positives (hence, in expectation, the samples of every step) split evenly, so no GPU waits for a heavier one;
 * boundaries are multiples of 4 users, so each block's rows start on a 16-byte boundary (the Adam and
 * finiteness kernels load 4 floats at a time). Pure arithmetic: tested on the CPU.
 */
public final class UserBlocks {

    private final int[] bounds;      // ranks + 1 entries, bounds[0] = 0, bounds[ranks] = numUsers
    private final long[] positives;  // training positives of each block

    private UserBlocks(int[] bounds, long[] positives) {
        this.bounds = bounds;
        this.positives = positives;
    }

    /** Blocks of {@code numUsers} users over {@code ranks} GPUs, balanced by the users' counts in {@code posUsers}. */
    public static UserBlocks balanced(int numUsers, int[] posUsers, int ranks) {
        if (ranks < 1) throw new IllegalArgumentException("ranks must be positive, got " + ranks);
        if (numUsers < 1) throw new IllegalArgumentException("numUsers must be positive, got " + numUsers);
        long[] perUser = new long[numUsers];
        for (int u : posUsers) {
            if (u < 0 || u >= numUsers) throw new IllegalArgumentException("positive of user " + u + " outside 0.." + (numUsers - 1));
            perUser[u]++;
        }
        long total = posUsers.length;
        int[] b = new int[ranks + 1];
        b[ranks] = numUsers;
        long seen = 0;
        int u = 0;
        for (int r = 1; r < ranks; r++) {
            long target = Math.round((double) total * r / ranks);
            // advance in steps of 4 users while the block stays at or below its share (a cut nearer the target wins)
            while (u + 4 <= numUsers && seen + count(perUser, u, u + 4) <= target) {
                seen += count(perUser, u, u + 4);
                u += 4;
            }
            if (u + 4 <= numUsers) {
                long over = seen + count(perUser, u, u + 4) - target;
                if (over < target - seen) { seen += count(perUser, u, u + 4); u += 4; }
            }
            b[r] = Math.max(b[r - 1], u);
        }
        long[] pos = new long[ranks];
        for (int r = 0; r < ranks; r++) pos[r] = count(perUser, b[r], b[r + 1]);
        return new UserBlocks(b, pos);
    }

    private static long count(long[] perUser, int from, int to) {
        long s = 0;
        for (int i = from; i < Math.min(to, perUser.length); i++) s += perUser[i];
        return s;
    }

    public int ranks() { return positives.length; }

    /** First user of rank r's block. */
    public int lo(int r) { return bounds[r]; }

    /** One past the last user of rank r's block. */
    public int hi(int r) { return bounds[r + 1]; }

    /** Training positives whose user rank r owns. */
    public long positives(int r) { return positives[r]; }

    /** The heaviest block's share of the positives over an even share (1.0 = perfectly even). */
    public double imbalance() {
        long total = 0, max = 0;
        for (long p : positives) { total += p; max = Math.max(max, p); }
        return total == 0 ? 1.0 : (double) max * ranks() / total;
    }

    /** Rank r's rows of the user tables, {offset, length} in {@link ParamLayout} floats: its block of mf_user, then of mlp_user. */
    public List<long[]> ownedRanges(ParamLayout layout, int r) {
        List<long[]> out = new ArrayList<>(2);
        for (String t : new String[]{ParamShapes.MF_USER, ParamShapes.MLP_USER}) {
            ParamLayout.Tensor x = layout.get(t);
            out.add(new long[]{x.offset() + (long) lo(r) * x.cols(), (long) (hi(r) - lo(r)) * x.cols()});
        }
        return out;
    }

    /**
     * What every rank trains and all-reduces, {offset, length}: the item tables and everything after mlp_item (dense
     * layers, final layer), as the layout's two stretches that are not user rows.
     */
    public static List<long[]> sharedRanges(ParamLayout layout) {
        ParamLayout.Tensor mfItem = layout.get(ParamShapes.MF_ITEM), mlpItem = layout.get(ParamShapes.MLP_ITEM);
        return List.of(new long[]{mfItem.offset(), mfItem.length()},
                new long[]{mlpItem.offset(), layout.totalLength() - mlpItem.offset()});
    }

    /** Whether a model's layout keeps every range above on a 16-byte boundary (factor and MLP-embedding widths divisible by 4). */
    public static boolean fits(ParamLayout layout) {
        return layout.get(ParamShapes.MF_USER).cols() % 4 == 0 && layout.get(ParamShapes.MLP_USER).cols() % 4 == 0;
    }

    @Override public String toString() {
        StringBuilder s = new StringBuilder("users");
        for (int r = 0; r < ranks(); r++) s.append(r == 0 ? " " : ", ").append('[').append(lo(r)).append(", ").append(hi(r)).append(')');
        return s.append(String.format(" (heaviest block %.3f× an even share)", imbalance())).toString();
    }
}
