package io.ncf.cuda;

import io.ncf.core.NeuMFConfig;
import io.ncf.core.ParamShapes;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** The user blocks of user-sharded multi-GPU training: they cover every user once, stay aligned, and balance the samples. */
class UserBlocksTest {

    /** Positives with a heavy tail, most users light, a few very heavy (as MovieLens). */
    static int[] skewed(int users, long seed) {
        Random r = new Random(seed);
        List<Integer> out = new ArrayList<>();
        for (int u = 0; u < users; u++) {
            int n = 20 + (int) Math.min(5000, 20 / Math.pow(1 - r.nextDouble(), 1.2));
            for (int k = 0; k < n; k++) out.add(u);
        }
        int[] a = out.stream().mapToInt(Integer::intValue).toArray();
        for (int i = a.length - 1; i > 0; i--) { int j = r.nextInt(i + 1); int t = a[i]; a[i] = a[j]; a[j] = t; }
        return a;
    }

    @Test void blocksCoverEveryUserOnceAlignedAndBalanced() {
        int users = 13_849;
        int[] pos = skewed(users, 1);
        for (int ranks : new int[]{1, 2, 3, 4, 8}) {
            UserBlocks b = UserBlocks.balanced(users, pos, ranks);
            assertEquals(0, b.lo(0));
            assertEquals(users, b.hi(ranks - 1));
            long total = 0;
            for (int r = 0; r < ranks; r++) {
                assertTrue(b.lo(r) <= b.hi(r));
                if (r > 0) assertEquals(b.hi(r - 1), b.lo(r), "contiguous");
                if (r < ranks - 1) assertEquals(0, b.hi(r) % 4, "block ends on a multiple of 4 users: " + b);
                total += b.positives(r);
            }
            assertEquals(pos.length, total);
            assertTrue(b.imbalance() < 1.01, ranks + " ranks: " + b);
        }
    }

    /** Splitting users evenly by count would not balance a skewed set; cutting by positives does. */
    @Test void cutsFollowThePositivesNotTheUserCount() {
        int users = 1000;
        List<Integer> p = new ArrayList<>();
        for (int u = 0; u < users; u++) for (int k = 0; k < (u < 100 ? 90 : 10); k++) p.add(u); // the first 100 users hold half
        UserBlocks b = UserBlocks.balanced(users, p.stream().mapToInt(Integer::intValue).toArray(), 2);
        assertEquals(100, b.hi(0), b.toString());
        assertEquals(1.0, b.imbalance(), 1e-9);
    }

    @Test void rangesAreTheUserRowsAndEverythingElseIsShared() {
        NeuMFConfig c = new NeuMFConfig(1000, 300, 8, new int[]{16, 16, 8}, 0f);
        ParamLayout layout = new ParamLayout(c);
        int[] pos = skewed(1000, 2);
        UserBlocks b = UserBlocks.balanced(1000, pos, 3);
        long[] covered = new long[(int) layout.totalLength()];
        for (int r = 0; r < 3; r++)
            for (long[] x : b.ownedRanges(layout, r)) {
                assertEquals(0, x[0] % 4, "16-byte aligned");
                for (long i = x[0]; i < x[0] + x[1]; i++) covered[(int) i]++;
            }
        for (long[] x : UserBlocks.sharedRanges(layout)) {
            assertEquals(0, x[0] % 4);
            for (long i = x[0]; i < x[0] + x[1]; i++) covered[(int) i]++;
        }
        for (int i = 0; i < covered.length; i++) assertEquals(1, covered[i], "entry " + i + " in exactly one range");
        ParamLayout.Tensor mlpUser = layout.get(ParamShapes.MLP_USER);
        assertEquals(mlpUser.offset() + (long) b.lo(1) * mlpUser.cols(), b.ownedRanges(layout, 1).get(1)[0]);
        assertTrue(UserBlocks.fits(layout));
        assertFalse(UserBlocks.fits(new ParamLayout(new NeuMFConfig(10, 10, 6, new int[]{16, 8}, 0f))));
    }

    @Test void rejectsBadInput() {
        assertThrows(IllegalArgumentException.class, () -> UserBlocks.balanced(10, new int[]{3, 10}, 2));
        assertThrows(IllegalArgumentException.class, () -> UserBlocks.balanced(10, new int[]{3}, 0));
        UserBlocks more = UserBlocks.balanced(6, new int[]{0, 1, 2, 3, 4, 5}, 4); // more ranks than 4-user steps: empty blocks are allowed
        assertEquals(6, more.hi(3));
    }
}
