package io.ncf.data;

/**
 * Per evaluated user, the held-out item followed by {@code negativesPerUser} sampled negatives, stored flat:
 * row r (user {@code users[r]}) is {@code items[r*width .. (r+1)*width)} with the held-out item at column 0,
 * {@code width = 1 + negativesPerUser}. Negatives may repeat within a row (sampled with replacement);
 * metrics mask duplicates.
 */
public record EvalCandidates(int[] users, int[] items, int negativesPerUser) {

    public EvalCandidates {
        if (items.length != (long) users.length * (1 + negativesPerUser))
            throw new IllegalArgumentException("candidate array has " + items.length + " entries, expected "
                    + users.length + " users × " + (1 + negativesPerUser));
    }

    public int width() { return 1 + negativesPerUser; }

    public int numUsers() { return users.length; }

    public int heldOut(int row) { return items[row * width()]; }
}
