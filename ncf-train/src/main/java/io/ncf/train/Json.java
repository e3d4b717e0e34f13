package io.ncf.train;

import java.util.Map;

/** Minimal JSON encoding for flat log records (strings, numbers, booleans, nested maps); no library needed. */
public final class Json {

    private Json() {}

    public static String object(Map<String, ?> fields) {
        StringBuilder sb = new StringBuilder("{");
        boolean first = true;
        for (var e : fields.entrySet()) {
            if (!first) sb.append(',');
            first = false;
            string(sb, e.getKey());
            sb.append(':');
            value(sb, e.getValue());
        }
        return sb.append('}').toString();
    }

    @SuppressWarnings("unchecked")
    private static void value(StringBuilder sb, Object v) {
        if (v == null) sb.append("null");
        else if (v instanceof Boolean b) sb.append(b);
        else if (v instanceof Double d) sb.append(Double.isFinite(d) ? Double.toString(d) : "null");
        else if (v instanceof Float f) sb.append(Float.isFinite(f) ? Float.toString(f) : "null");
        else if (v instanceof Number n) sb.append(n);
        else if (v instanceof Map<?, ?> m) sb.append(object((Map<String, ?>) m));
        else if (v instanceof int[] a) { sb.append('['); for (int i = 0; i < a.length; i++) sb.append(i > 0 ? "," : "").append(a[i]); sb.append(']'); }
        else if (v instanceof double[] a) { sb.append('['); for (int i = 0; i < a.length; i++) { if (i > 0) sb.append(','); value(sb, a[i]); } sb.append(']'); }
        else string(sb, v.toString());
    }

    private static void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> { if (c < 0x20) sb.append(String.format("\\u%04x", (int) c)); else sb.append(c); }
            }
        }
        sb.append('"');
    }
}
