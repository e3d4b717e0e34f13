package io.ncf.cuda;

import java.util.Locale;

/**
 * Arithmetic of the CUDA engine. Parameters, gradients and Adam state are always FP32 (master weights);
 * the precision decides how activations are stored and how the GEMMs compute.
 */
public enum Precision {
    /** FP32 activations, FP32 GEMMs: the mode that must match the CPU engines to 1e-5. */
    FP32(4, null, false),
    /** FP32 activations, GEMMs on the tensor cores with TF32 inputs (10-bit mantissa), FP32 accumulation. */
    TF32(4, null, true),
    /** FP16 activations and GEMM inputs, FP32 accumulation; needs loss scaling. */
    FP16(2, "ACT_F16", false),
    /** BF16 activations and GEMM inputs, FP32 accumulation; FP32's range, so loss scaling is optional. */
    BF16(2, "ACT_BF16", false);

    private final int activationBytes;
    private final String define;
    private final boolean tf32;

    Precision(int activationBytes, String define, boolean tf32) {
        this.activationBytes = activationBytes;
        this.define = define;
        this.tf32 = tf32;
    }

    public int activationBytes() { return activationBytes; }

    /** Preprocessor symbol selecting the activation type in the kernel source, or null for float. */
    public String kernelDefine() { return define; }

    public boolean usesTf32() { return tf32; }

    public boolean halfActivations() { return activationBytes == 2; }

    /** cuBLAS's data type of activations and GEMM inputs ({@code cudaDataType}). */
    public int cudaDataType() {
        return switch (this) {
            case FP32, TF32 -> org.bytedeco.cuda.global.cudart.CUDA_R_32F;
            case FP16 -> org.bytedeco.cuda.global.cudart.CUDA_R_16F;
            case BF16 -> org.bytedeco.cuda.global.cudart.CUDA_R_16BF;
        };
    }

    /** cuBLAS's compute type: FP32 accumulation, on TF32 tensor cores for TF32. */
    public int cublasComputeType() {
        return tf32 ? org.bytedeco.cuda.global.cublas.CUBLAS_COMPUTE_32F_FAST_TF32 : org.bytedeco.cuda.global.cublas.CUBLAS_COMPUTE_32F;
    }

    /** Whether gradients can overflow or underflow in this precision, so dynamic loss scaling is needed. */
    public boolean needsLossScaling() { return this == FP16; }

    public static Precision parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown precision '" + s + "': use fp32, tf32, fp16 or bf16");
        }
    }
}
