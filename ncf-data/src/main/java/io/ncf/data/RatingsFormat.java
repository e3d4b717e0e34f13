package io.ncf.data;

import java.util.List;
import java.util.Locale;

/**
 * The ratings file layouts ncf reads out of the box. Each has a CLI name (plus aliases) and a {@link ColumnSpec}.
 * The MovieLens header format is matched by column name, so a file whose header does not name
 * {@code userId} and {@code movieId} is refused with a message saying so.
 */
public enum RatingsFormat {
    /** {@code userId,movieId,rating,timestamp} with a header (ml-20m, ml-25m, ml-latest, ml-latest-small). */
    ML_20M("ml-20m", List.of("ml-25m", "ml-latest", "ml-latest-small"),
            ColumnSpec.byName("userId", "movieId", "timestamp", ",")),
    /** {@code UserID::MovieID::Rating::Timestamp}, no header (ml-1m, ml-10m). */
    ML_1M("ml-1m", List.of("ml-10m"), new ColumnSpec(0, 1, 3, "::", false)),
    /** {@code user<TAB>item<TAB>rating<TAB>timestamp}, no header (ml-100k u.data). */
    ML_100K("ml-100k", List.of(), new ColumnSpec(0, 1, 3, "\t", false)),
    /** Generic delimited file: user, item, timestamp in the first three columns, comma, with header (override with a ColumnSpec). */
    CSV("csv", List.of(), new ColumnSpec(0, 1, 2, ",", true));

    private final String cliName;
    private final List<String> aliases;
    private final ColumnSpec spec;

    RatingsFormat(String cliName, List<String> aliases, ColumnSpec spec) {
        this.cliName = cliName;
        this.aliases = aliases;
        this.spec = spec;
    }

    public String cliName() { return cliName; }

    public List<String> aliases() { return aliases; }

    public ColumnSpec spec() { return spec; }

    /** Fields every row must have (MovieLens: 4), or 0 when the header or first row decides. */
    public int fieldCount() { return this == CSV ? 0 : 4; }

    /** Whether values may be wrapped in double quotes (only the generic format; MovieLens files never quote). */
    public boolean quoted() { return this == CSV; }

    /** Looks up a format by CLI name or alias (case-insensitive). */
    public static RatingsFormat fromName(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        for (RatingsFormat f : values()) if (f.cliName.equals(n) || f.aliases.contains(n)) return f;
        StringBuilder known = new StringBuilder();
        for (RatingsFormat f : values()) {
            if (known.length() > 0) known.append(", ");
            known.append(f.cliName);
            for (String a : f.aliases) known.append(", ").append(a);
        }
        throw new IllegalArgumentException("unknown ratings format '" + name + "' (known: " + known + ")");
    }
}
