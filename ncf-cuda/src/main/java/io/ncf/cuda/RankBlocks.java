package io.ncf.cuda;

import io.ncf.core.UserItemIndex;

/** Host-side planning of {@link CudaRanker}'s blocks: how many users per block, and each block's excluded items. */
final class RankBlocks {

    private RankBlocks() {}

    /** The block users' excluded items as CSR: row j is {@code items[offsets[j] .. offsets[j+1])}. */
    record Slice(int[] offsets, int[] items) {}

    /**
     * Users per block: as many whole rows as fit {@code maxPairs} pairs (at least one), no more than the users, and
     * at most 65,535 (one device block per row in the selection kernels).
     */
    static int usersPerBlock(long maxPairs, int numItems, int numUsers) {
        if (maxPairs < 1 || numItems < 1 || numUsers < 1) throw new IllegalArgumentException("need positive sizes, got pairs " + maxPairs + ", items " + numItems + ", users " + numUsers);
        long byPairs = Math.max(1, maxPairs / numItems);
        return (int) Math.min(Math.min(byPairs, numUsers), 65_535);
    }

    /** The excluded items of users[from .. from+count) (none when {@code exclude} is null). */
    static Slice slice(UserItemIndex exclude, int[] users, int from, int count) {
        int[] offsets = new int[count + 1];
        if (exclude == null) return new Slice(offsets, new int[0]);
        long total = 0;
        for (int j = 0; j < count; j++) {
            total += exclude.count(users[from + j]);
            if (total > Integer.MAX_VALUE) throw new IllegalArgumentException("a block's excluded items overflow an int: use fewer pairs per block");
            offsets[j + 1] = (int) total;
        }
        int[] items = new int[(int) total];
        int[] all = exclude.itemsArray();
        for (int j = 0; j < count; j++) {
            int u = users[from + j];
            System.arraycopy(all, exclude.start(u), items, offsets[j], exclude.count(u));
        }
        return new Slice(offsets, items);
    }
}
