package io.ncf.cuda;

import io.ncf.core.UserItemIndex;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The CUDA ranker's host-side planning, on the CPU: block sizes and each block's CSR slice of excluded items. */
class RankBlocksTest {

    @Test void blocksHoldWholeRowsWithinThePairBudget() {
        assertEquals(156, RankBlocks.usersPerBlock(1L << 22, 26_744, 138_493));
        assertEquals(1, RankBlocks.usersPerBlock(100, 26_744, 138_493), "at least one user, even over budget");
        assertEquals(7, RankBlocks.usersPerBlock(1L << 30, 10, 7), "never more than the users");
        assertEquals(65_535, RankBlocks.usersPerBlock(1L << 40, 1, 1 << 20), "one device block per row");
        assertThrows(IllegalArgumentException.class, () -> RankBlocks.usersPerBlock(0, 10, 10));
    }

    @Test void sliceConcatenatesTheBlockUsersRowsInOrder() {
        // user 0: {1, 4}; user 1: {}; user 2: {0, 2, 3}
        UserItemIndex seen = UserItemIndex.build(3, new int[]{0, 2, 0, 2, 2}, new int[]{4, 3, 1, 0, 2}, 5);
        int[] users = {9, 2, 1, 0, 2};
        RankBlocks.Slice s = RankBlocks.slice(seen, users, 1, 4);
        assertArrayEquals(new int[]{0, 3, 3, 5, 8}, s.offsets());
        int[] want = new int[8];
        System.arraycopy(seen.items(2), 0, want, 0, 3);
        System.arraycopy(seen.items(0), 0, want, 3, 2);
        System.arraycopy(seen.items(2), 0, want, 5, 3);
        assertArrayEquals(want, s.items());
        RankBlocks.Slice none = RankBlocks.slice(null, users, 0, 2);
        assertArrayEquals(new int[3], none.offsets());
        assertEquals(0, none.items().length);
    }
}
