package io.ncf.core;

import io.ncf.core.blas.HalfFormat;

import java.util.Locale;

/**
 * The compute precision of a training run: FP32, or 16-bit GEMM inputs with FP32 accumulation and FP32 master
 * weights ({@link #BF16}: bfloat16, float's exponent range, no loss scaling needed; {@link #FP16}: IEEE half, the
 * seed's mixed precision, with loss scaling).
 */
public enum Precision {
    FP32, BF16, FP16;

    /** The 16-bit format of the products' inputs, or null for FP32. */
    public HalfFormat halfFormat() {
        return switch (this) {
            case FP32 -> null;
            case BF16 -> HalfFormat.BF16;
            case FP16 -> HalfFormat.FP16;
        };
    }

    /** Whether gradients need loss scaling to stay representable (FP16's 5-bit exponent). */
    public boolean needsLossScaling() { return this == FP16; }

    /** {@code fp32}, {@code bf16} or {@code fp16}: how users write it. */
    public String id() { return name().toLowerCase(Locale.ROOT); }

    /**
     * @throws IllegalArgumentException naming the accepted values
     */
    public static Precision parse(String s) {
        if (s != null) for (Precision p : values()) if (p.id().equalsIgnoreCase(s.trim())) return p;
        throw new IllegalArgumentException("unknown precision '" + s + "': expected fp32, bf16 or fp16");
    }
}
