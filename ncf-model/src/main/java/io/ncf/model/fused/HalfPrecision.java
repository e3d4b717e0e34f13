package io.ncf.model.fused;

import io.ncf.core.Precision;
import io.ncf.core.blas.Blas;
import io.ncf.core.blas.CpuFeatures;
import io.ncf.core.blas.NativeKernels;

import java.util.Locale;
import java.util.Optional;

/**
 * Whether the fused engine's 16-bit training ({@link FusedCpuEngine#FusedCpuEngine(io.ncf.model.ParamSet, int, int, io.ncf.core.blas.HalfFormat)})
 * runs well on this machine, decided at run time from the CPU's extensions and the BLAS library: BF16 products need
 * AMX-BF16 or AVX512-BF16 and Intel MKL, FP16 products AMX-FP16 and Intel MKL. Elsewhere the products would be
 * widened to FP32 (the same numbers, no faster than FP32), so a 16-bit run is refused with the reason, unless the
 * fallback is allowed ({@code -Dncf.halfFallback=allow} or {@code NCF_HALF_FALLBACK=allow}), e.g. to check 16-bit
 * numerics on any machine.
 */
public final class HalfPrecision {

    public static final String PROPERTY = "ncf.halfFallback", ENV = "NCF_HALF_FALLBACK";

    private HalfPrecision() {}

    /** Empty where {@code p} runs here (FP32 always); else why not, for a refusal. */
    public static Optional<String> unavailable(Precision p) {
        if (p == Precision.FP32) return Optional.empty();
        boolean fallback = fallbackAllowed();   // first: a bad value is refused even on a CPU that would not need it
        if (!NativeKernels.trainingAvailable())
            return Optional.of("16-bit training needs ncf's AVX-512 kernels (F, DQ, BW, VL): " + NativeKernels.status());
        String why = Blas.backend().gemm16Reason(p.halfFormat(), CpuFeatures.detect());
        if (why == null || fallback) return Optional.empty();
        return Optional.of(why + "; " + ENV + "=allow runs it anyway on FP32 products of the rounded values (the same numbers, about FP32 speed)");
    }

    /** One line for start-up and benchmark tables: how {@code p}'s products run here. */
    public static String describe(Precision p) {
        if (p == Precision.FP32) return "FP32 products (" + Blas.describe() + ")";
        CpuFeatures cpu = CpuFeatures.detect();
        String why = Blas.backend().gemm16Reason(p.halfFormat(), cpu);
        String unit = p == Precision.BF16 ? (cpu.has("amx_bf16") ? "AMX-BF16" : "AVX512-BF16") : "AMX-FP16";
        String products = why != null ? "widened to FP32 on " + Blas.describe() + ": " + ENV + "=allow"
                : p == Precision.BF16 && NativeKernels.amxAvailable() ? "layers on ncf's AMX-BF16 kernels with fused epilogues, weight gradients on " + Blas.describe() + " on " + unit
                : Blas.describe() + " on " + unit;
        return p.name() + " products, FP32 accumulation and master weights (" + products + ")";
    }

    /** Whether the widening fallback was allowed ({@link #PROPERTY}, else {@link #ENV}: {@code allow} or {@code refuse}). */
    public static boolean fallbackAllowed() {
        String source = Blas.settingSource(PROPERTY, System.getProperty(PROPERTY), ENV, System.getenv(ENV));
        if (source == null) return false;
        return switch (source.substring(source.indexOf('=') + 1).trim().toLowerCase(Locale.ROOT)) {
            case "allow" -> true;
            case "refuse" -> false;
            default -> throw new IllegalArgumentException(source + ": unknown setting: expected allow or refuse");
        };
    }
}
