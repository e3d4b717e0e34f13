package io.ncf.core.blas;

/**
 * A 16-bit floating-point format of GEMM inputs, stored as {@code short}s: {@link #BF16} (bfloat16: float's 8-bit
 * exponent, 8 bits of precision; needs no loss scaling) or {@link #FP16} (IEEE half: 5-bit exponent, 11 bits of
 * precision; gradients need loss scaling to stay above its smallest normal).
 */
public enum HalfFormat {
    BF16(0), FP16(1);

    /** The kernels' code for the format. */
    final int code;

    HalfFormat(int code) { this.code = code; }

    /** The float nearest to {@code bits} of this format (exact: every 16-bit value is a float). */
    public float toFloat(short bits) {
        if (this == BF16) return Float.intBitsToFloat((bits & 0xFFFF) << 16);
        int h = bits & 0xFFFF, exp = (h >>> 10) & 0x1F, mant = h & 0x3FF;
        float mag = exp == 0 ? Math.scalb((float) mant, -24)
                : exp == 31 ? (mant == 0 ? Float.POSITIVE_INFINITY : Float.NaN)
                : Math.scalb(1f + mant / 1024f, exp - 15);
        return (h & 0x8000) != 0 ? -mag : mag;
    }

    /** {@code v} rounded to this format (to nearest even; NaN stays NaN), as the kernels round. */
    public short fromFloat(float v) {
        if (this == FP16) return toFp16(v);
        int b = Float.floatToRawIntBits(v);
        if (Float.isNaN(v)) return (short) ((b >>> 16) | 0x40);
        return (short) ((b + 0x7FFF + ((b >>> 16) & 1)) >>> 16);
    }

    /** IEEE half of {@code v}, round to nearest even, as vcvtps2ph does (Java 17 has no Float.floatToFloat16). */
    private static short toFp16(float v) {
        int b = Float.floatToRawIntBits(v), sign = (b >>> 16) & 0x8000, abs = b & 0x7FFFFFFF;
        if (Float.isNaN(v)) return (short) (sign | 0x7E00 | ((abs >>> 13) & 0x3FF));
        float a = Math.abs(v);
        int h;
        if (a < 0x1p-14f) h = (int) Math.rint(a * 0x1p24f);              // subnormal (or zero): exact scaling, then RNE
        else h = Math.min(((abs + 0xFFF + ((abs >>> 13) & 1)) >>> 13) - ((127 - 15) << 10), 0x7C00);
        return (short) (sign | h);
    }

    /** {@code v} rounded to this format and back. */
    public float round(float v) { return toFloat(fromFloat(v)); }
}
