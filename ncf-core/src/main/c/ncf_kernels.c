/*
 * ncf's own AVX-512 kernels for the scoring kernel (io.ncf.core.rank.ScoringKernel), called through JNI by
 * io.ncf.core.blas.NativeKernels. Built by ncf-core's build (build-native.sh) with the system's gcc into
 * target/classes/io/ncf/core/blas/native/linux-x86_64/; where it is missing or the CPU has no AVX-512F, the scoring
 * kernel runs on the BLAS library as before.
 *
 * Why a kernel of our own: a scoring layer is C = relu-split(A B) with A a chunk of 256 pairs, B a dense layer's
 * weights (K, N of 64-256). The BLAS path runs the product (OpenBLAS repacks B on every call) and then a separate
 * element-wise max over C (on OpenBLAS through Java arrays). Here B is packed once per model into 32-column panels
 * and the max is the product's epilogue, applied while the 8 x 32 block of C is still in registers: C is written
 * once and never read back. Measured on a 2-core Ice Lake Xeon, one core, 256 x 128 x 256: 120-130 GFLOP/s with the
 * max, against 100 for MKL's sgemm and 85 for OpenBLAS's without it.
 *
 * No jni.h: the entry points take (JNIEnv *, jclass) as opaque pointers and only primitive arguments (native
 * addresses as 64-bit integers), so the file builds without a JDK's headers.
 */
#define _GNU_SOURCE   /* syscall() under -std=c11 */
#include <immintrin.h>
#include <stdint.h>

#define EXPORT __attribute__((visibility("default")))
#define AVX512 __attribute__((target("avx512f")))

typedef int32_t jint;
typedef int64_t jlong;
typedef float jfloat;

/* Kernel ABI version: NativeKernels checks it, so a stale library next to newer classes is not used. */
EXPORT jint Java_io_ncf_core_blas_NativeKernels_version(void *env, void *cls) {
    (void) env; (void) cls;
    return 2;
}

/* 1 where the CPU runs the kernels (AVX-512F), else 0. */
EXPORT jint Java_io_ncf_core_blas_NativeKernels_cpuSupported(void *env, void *cls) {
    (void) env; (void) cls;
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") ? 1 : 0;
}

static inline __mmask16 lanes(int valid) {
    return valid >= 16 ? (__mmask16) 0xFFFF : valid <= 0 ? (__mmask16) 0 : (__mmask16) ((1u << valid) - 1);
}

/* Epilogue of one row's two vectors: max with the row's neg (if any), stored under the panel's masks. */
AVX512 static inline void put_row(float *c, const float *ng, __m512 lo, __m512 hi, __mmask16 mlo, __mmask16 mhi) {
    if (ng) {
        lo = _mm512_max_ps(lo, _mm512_maskz_loadu_ps(mlo, ng));
        hi = _mm512_max_ps(hi, _mm512_maskz_loadu_ps(mhi, ng + 16));
    }
    _mm512_mask_storeu_ps(c, mlo, lo);
    _mm512_mask_storeu_ps(c + 16, mhi, hi);
}

/*
 * C[m, n] (ldc) = max(A[m, k] (lda) B[k, n], NEG[r mod negRows, n] (ld n)), or without the max where neg is 0.
 * B packed by NativeKernels.pack: ceil(n / 32) panels, each k rows of 32 floats (columns past n zero), 64-byte aligned.
 * Every element of C is the sum over q = 0 .. k-1 in that order, one FMA per term, whatever m, the row or the panel:
 * a pair's score does not depend on where in a chunk it sits.
 */
EXPORT AVX512 void Java_io_ncf_core_blas_NativeKernels_gemmMax0(void *env, void *cls, jint m, jint n, jint k,
        jlong aAddr, jint lda, jlong bpAddr, jlong negAddr, jint negRows, jlong cAddr, jint ldc) {
    (void) env; (void) cls;
    const float *a = (const float *) (intptr_t) aAddr, *bp = (const float *) (intptr_t) bpAddr;
    const float *neg = (const float *) (intptr_t) negAddr;
    float *c = (float *) (intptr_t) cAddr;
    int panels = (n + 31) / 32;
    for (int p = 0; p < panels; p++) {  /* panel outer: its k x 32 floats (32 KB at k = 256) stay in L1 */
        const float *b = bp + (size_t) p * k * 32;
        int col = p * 32, valid = n - col;
        __mmask16 mlo = lanes(valid), mhi = lanes(valid - 16);
        int r0 = 0;
        for (; r0 + 8 <= m; r0 += 8) {
            __m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00,
                   c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00, c70 = c00, c71 = c00;
            const float *a0 = a + (size_t) r0 * lda;
            for (int q = 0; q < k; q++) {
                __m512 b0 = _mm512_load_ps(b + (size_t) q * 32), b1 = _mm512_load_ps(b + (size_t) q * 32 + 16), x;
#define NCF_ROW(i, lo, hi) x = _mm512_set1_ps(a0[(size_t) (i) * lda + q]); lo = _mm512_fmadd_ps(x, b0, lo); hi = _mm512_fmadd_ps(x, b1, hi);
                NCF_ROW(0, c00, c01) NCF_ROW(1, c10, c11) NCF_ROW(2, c20, c21) NCF_ROW(3, c30, c31)
                NCF_ROW(4, c40, c41) NCF_ROW(5, c50, c51) NCF_ROW(6, c60, c61) NCF_ROW(7, c70, c71)
#undef NCF_ROW
            }
#define NCF_OUT(i, lo, hi) put_row(c + (size_t) (r0 + (i)) * ldc + col, \
                neg ? neg + (size_t) ((r0 + (i)) % negRows) * n + col : 0, lo, hi, mlo, mhi);
            NCF_OUT(0, c00, c01) NCF_OUT(1, c10, c11) NCF_OUT(2, c20, c21) NCF_OUT(3, c30, c31)
            NCF_OUT(4, c40, c41) NCF_OUT(5, c50, c51) NCF_OUT(6, c60, c61) NCF_OUT(7, c70, c71)
#undef NCF_OUT
        }
        for (; r0 < m; r0++) {  /* rows past the last whole block of 8: the same sums, one row at a time */
            __m512 lo = _mm512_setzero_ps(), hi = lo;
            const float *a0 = a + (size_t) r0 * lda;
            for (int q = 0; q < k; q++) {
                __m512 x = _mm512_set1_ps(a0[q]);
                lo = _mm512_fmadd_ps(x, _mm512_load_ps(b + (size_t) q * 32), lo);
                hi = _mm512_fmadd_ps(x, _mm512_load_ps(b + (size_t) q * 32 + 16), hi);
            }
            put_row(c + (size_t) r0 * ldc + col, neg ? neg + (size_t) (r0 % negRows) * n + col : 0, lo, hi, mlo, mhi);
        }
    }
}

/* out[j] = max(a[j], b[j]) for j in [0, n) (out may be a); a NaN in a gives b[j], as MKL's vsFmax. */
EXPORT AVX512 void Java_io_ncf_core_blas_NativeKernels_fmax0(void *env, void *cls, jint n, jlong aAddr, jlong bAddr, jlong outAddr) {
    (void) env; (void) cls;
    const float *a = (const float *) (intptr_t) aAddr, *b = (const float *) (intptr_t) bAddr;
    float *out = (float *) (intptr_t) outAddr;
    int j = 0;
    for (; j + 16 <= n; j += 16) _mm512_storeu_ps(out + j, _mm512_max_ps(_mm512_loadu_ps(a + j), _mm512_loadu_ps(b + j)));
    if (j < n) {
        __mmask16 t = lanes(n - j);
        _mm512_mask_storeu_ps(out + j, t, _mm512_max_ps(_mm512_maskz_loadu_ps(t, a + j), _mm512_maskz_loadu_ps(t, b + j)));
    }
}

/*
 * out[r] = A[r, 0:n) . V[idx[r], 0:n) for r in [0, m) (V's rows ldv apart; every row against V's row 0 where idx
 * is 0): the scoring kernel's heads, the MLP head against w_mlp and the GMF head against each pair's user vector.
 * The sum runs in a fixed order per row (two vector accumulators over 32-column steps, a masked tail, one
 * reduction), so a row's result does not depend on m or on its position.
 */
EXPORT AVX512 void Java_io_ncf_core_blas_NativeKernels_rowDots0(void *env, void *cls, jint m, jint n, jlong aAddr, jint lda,
        jlong vAddr, jint ldv, jlong idxAddr, jlong outAddr) {
    (void) env; (void) cls;
    const float *a = (const float *) (intptr_t) aAddr, *v = (const float *) (intptr_t) vAddr;
    const int32_t *idx = (const int32_t *) (intptr_t) idxAddr;
    float *out = (float *) (intptr_t) outAddr;
    for (int r = 0; r < m; r++) {
        const float *ar = a + (size_t) r * lda, *vr = v + (idx ? (size_t) idx[r] * ldv : 0);
        __m512 s0 = _mm512_setzero_ps(), s1 = s0;
        int j = 0;
        for (; j + 32 <= n; j += 32) {
            s0 = _mm512_fmadd_ps(_mm512_loadu_ps(ar + j), _mm512_loadu_ps(vr + j), s0);
            s1 = _mm512_fmadd_ps(_mm512_loadu_ps(ar + j + 16), _mm512_loadu_ps(vr + j + 16), s1);
        }
        if (j < n) {
            __mmask16 t0 = lanes(n - j), t1 = lanes(n - j - 16);
            s0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(t0, ar + j), _mm512_maskz_loadu_ps(t0, vr + j), s0);
            s1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(t1, ar + j + 16), _mm512_maskz_loadu_ps(t1, vr + j + 16), s1);
        }
        out[r] = _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
    }
}

/*
 * ---------------------------------------------------------------------------------------------------------------
 * The 16-bit training path of the fused CPU engine (io.ncf.model.fused.FusedCpuEngine with BF16 or FP16 compute):
 * the element-wise kernels around its products, which read the products' FP32 output and write the next product's
 * 16-bit input in the same pass (a separate conversion pass would read and write every activation once more).
 * Formats: 0 = bfloat16 (round to nearest even, NaN kept quiet), 1 = IEEE half (vcvtps2ph, round to nearest even).
 * The dropout mask is DropoutMask's: draw q of a row is splitmix64(rowState + (q + 1) * STEP), its 16-bit lane b
 * keeps unit 4q + b when the lane is >= threshold; kept units are multiplied by keep. Needs AVX-512F, DQ (64-bit
 * multiply) and BW (16-bit compares): trainingSupported() says whether the CPU has them.
 * ---------------------------------------------------------------------------------------------------------------
 */
#define AVX512T __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl")))

EXPORT jint Java_io_ncf_core_blas_NativeKernels_trainingSupported(void *env, void *cls) {
    (void) env; (void) cls;
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw")
            && __builtin_cpu_supports("avx512vl") ? 1 : 0;
}

/* 16 floats to 16 halves of the format, as one 256-bit vector. */
AVX512T static inline __m256i to_half(__m512 v, int fmt) {
    if (fmt == 1) return _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512i b = _mm512_castps_si512(v);
    __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(b, 16), _mm512_set1_epi32(1));
    __m512i r = _mm512_srli_epi32(_mm512_add_epi32(b, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7FFF))), 16);
    __mmask16 nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    r = _mm512_mask_or_epi32(r, nan, _mm512_srli_epi32(b, 16), _mm512_set1_epi32(0x40));
    return _mm512_cvtepi32_epi16(r);
}

/* 16 halves of the format to floats (exact). */
AVX512T static inline __m512 from_half(__m256i h, int fmt) {
    if (fmt == 1) return _mm512_cvtph_ps(h);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

static inline uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

#define STATE_STEP 0x9E3779B97F4A7C15ULL

AVX512T static inline __m512i mix_v(__m512i z) {
    z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 30)), _mm512_set1_epi64((long long) 0xBF58476D1CE4E5B9ULL));
    z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 27)), _mm512_set1_epi64((long long) 0x94D049BB133111EBULL));
    return _mm512_xor_si512(z, _mm512_srli_epi64(z, 31));
}

/*
 * Kept-unit bits of a row's units [0, w) into keepBits (one bit per unit, w rounded up to 32): 8 draws per vector,
 * whose 32 16-bit lanes are units 32t .. 32t+31 in order (draw q's lane b is unit 4q + b, little-endian).
 */
AVX512T static inline void mask_bits(uint64_t state, int w, uint32_t threshold, uint32_t *keepBits) {
    const __m512i qs = _mm512_set_epi64(8, 7, 6, 5, 4, 3, 2, 1), step = _mm512_set1_epi64((long long) STATE_STEP);
    const __m512i thr = _mm512_set1_epi16((short) (threshold > 65535 ? 65535 : threshold));
    for (int t = 0; t * 32 < w; t++) {
        /* state + (8t + q) * STEP for q = 1..8 (wrapping 64-bit arithmetic, as Java's) */
        __m512i z = _mm512_add_epi64(_mm512_set1_epi64((long long) (state + (uint64_t) (8 * t) * STATE_STEP)), _mm512_mullo_epi64(qs, step));
        __m512i r = mix_v(z);
        uint32_t bits = (uint32_t) _mm512_cmpge_epu16_mask(r, thr);
        if (threshold > 65535) bits = 0;
        keepBits[t] = bits;
    }
}

/*
 * The forward epilogues' last step for units [j, j + 16) of a row (lanes m): the dropout mask (bits: the row's
 * kept-unit bits, or 0 for no dropout) times keep, then the row's 16-bit value and, where outF is not 0, its float.
 */
AVX512T static inline void put_act(__m512 v, const uint32_t *bits, int j, __m512 kv, __mmask16 m, uint16_t *out16, float *outF, int fmt) {
    if (bits) v = _mm512_maskz_mul_ps((__mmask16) (bits[j >> 5] >> (j & 16)), v, kv);
    _mm256_mask_storeu_epi16(out16 + j, m, to_half(v, fmt));
    if (outF) _mm512_mask_storeu_ps(outF + j, m, v);
}

/*
 * Forward epilogue over rows [0, rows) of width w: v = max(z + bias, 0) * mask; writes v as 16-bit into out16 (ld w)
 * and, where outF32 is not 0, as float into outF32 (ld w; may be z). states: one DropoutMask row state per row, or 0
 * for no dropout.
 */
EXPORT AVX512T void Java_io_ncf_core_blas_NativeKernels_forwardAct0(void *env, void *cls, jint rows, jint w, jlong zAddr, jlong biasAddr,
        jlong statesAddr, jint threshold, jfloat keep, jlong out16Addr, jint fmt, jlong outF32Addr) {
    (void) env; (void) cls;
    const float *z = (const float *) (intptr_t) zAddr, *bias = (const float *) (intptr_t) biasAddr;
    const uint64_t *states = (const uint64_t *) (intptr_t) statesAddr;
    uint16_t *out16 = (uint16_t *) (intptr_t) out16Addr;
    float *outF = (float *) (intptr_t) outF32Addr;
    uint32_t bits[64];
    const __m512 kv = _mm512_set1_ps(keep), zero = _mm512_setzero_ps();
    for (int r = 0; r < rows; r++) {
        if (states) mask_bits(states[r], w, (uint32_t) threshold, bits);
        const float *zr = z + (size_t) r * w;
        for (int j = 0; j < w; j += 16) {
            __mmask16 m = lanes(w - j);
            __m512 v = _mm512_max_ps(_mm512_add_ps(_mm512_maskz_loadu_ps(m, zr + j), _mm512_maskz_loadu_ps(m, bias + j)), zero);
            put_act(v, states ? bits : 0, j, kv, m, out16 + (size_t) r * w, outF ? outF + (size_t) r * w : 0, fmt);
        }
    }
}

/*
 * The factored first layer's forward for samples [0, n): x = max(pu[users[s]] + pi[items[s]] + bias, 0) * mask,
 * width w, into out16 (and outF32 where not 0), rows w apart.
 */
EXPORT AVX512T void Java_io_ncf_core_blas_NativeKernels_gatherAct0(void *env, void *cls, jint n, jint w, jlong usersAddr, jlong itemsAddr,
        jlong puAddr, jlong piAddr, jlong biasAddr, jlong statesAddr, jint threshold, jfloat keep, jlong out16Addr, jint fmt, jlong outF32Addr) {
    (void) env; (void) cls;
    const int32_t *users = (const int32_t *) (intptr_t) usersAddr, *items = (const int32_t *) (intptr_t) itemsAddr;
    const float *pu = (const float *) (intptr_t) puAddr, *pi = (const float *) (intptr_t) piAddr, *bias = (const float *) (intptr_t) biasAddr;
    const uint64_t *states = (const uint64_t *) (intptr_t) statesAddr;
    uint16_t *out16 = (uint16_t *) (intptr_t) out16Addr;
    float *outF = (float *) (intptr_t) outF32Addr;
    uint32_t bits[64];
    const __m512 kv = _mm512_set1_ps(keep), zero = _mm512_setzero_ps();
    for (int s = 0; s < n; s++) {
        if (s + 4 < n) {   /* the next rows' lines: random rows of tables far larger than the caches */
            _mm_prefetch((const char *) (pu + (size_t) users[s + 4] * w), _MM_HINT_T0);
            _mm_prefetch((const char *) (pi + (size_t) items[s + 4] * w), _MM_HINT_T0);
        }
        if (states) mask_bits(states[s], w, (uint32_t) threshold, bits);
        const float *ur = pu + (size_t) users[s] * w, *ir = pi + (size_t) items[s] * w;
        for (int j = 0; j < w; j += 16) {
            __mmask16 m = lanes(w - j);
            __m512 v = _mm512_add_ps(_mm512_add_ps(_mm512_maskz_loadu_ps(m, ur + j), _mm512_maskz_loadu_ps(m, ir + j)), _mm512_maskz_loadu_ps(m, bias + j));
            v = _mm512_max_ps(v, zero);
            put_act(v, states ? bits : 0, j, kv, m, out16 + (size_t) s * w, outF ? outF + (size_t) s * w : 0, fmt);
        }
    }
}

/*
 * Backward epilogue over rows [0, rows) of width w: v = d * keep * [x > 0] with x the forward's 16-bit output (a
 * ReLU output: +0 or positive); adds v into biasAcc[0, w) (per column, rows in order) and writes v as 16-bit into
 * out16 where it is not 0, else as float back into d.
 */
EXPORT AVX512T void Java_io_ncf_core_blas_NativeKernels_backwardAct0(void *env, void *cls, jint rows, jint w, jlong dAddr, jlong x16Addr,
        jfloat keep, jlong out16Addr, jint fmt, jlong biasAccAddr) {
    (void) env; (void) cls;
    float *d = (float *) (intptr_t) dAddr, *acc = (float *) (intptr_t) biasAccAddr;
    const uint16_t *x16 = (const uint16_t *) (intptr_t) x16Addr;
    uint16_t *out16 = (uint16_t *) (intptr_t) out16Addr;
    const __m512 kv = _mm512_set1_ps(keep);
    const __m256i zero16 = _mm256_setzero_si256();
    /* rows outer (sequential reads), the column sums in L1; each column still sums its rows in order */
    for (int r = 0; r < rows; r++) {
        for (int j = 0; j < w; j += 16) {
            __mmask16 m = lanes(w - j);
            size_t at = (size_t) r * w + j;
            __m256i x = _mm256_maskz_loadu_epi16(m, x16 + at);
            __mmask16 pos = _mm256_cmpgt_epi16_mask(x, zero16) & m;   /* sign clear and not zero: positive */
            __m512 v = _mm512_maskz_mul_ps(pos, _mm512_maskz_loadu_ps(m, d + at), kv);
            _mm512_mask_storeu_ps(acc + j, m, _mm512_add_ps(_mm512_maskz_loadu_ps(m, acc + j), v));
            if (out16) _mm256_mask_storeu_epi16(out16 + at, m, to_half(v, fmt));
            else _mm512_mask_storeu_ps(d + at, m, v);
        }
    }
}

/* dst[i] = 16-bit src[i] for i in [0, n). */
EXPORT AVX512T void Java_io_ncf_core_blas_NativeKernels_toHalf0(void *env, void *cls, jlong n, jlong srcAddr, jlong dstAddr, jint fmt) {
    (void) env; (void) cls;
    const float *src = (const float *) (intptr_t) srcAddr;
    uint16_t *dst = (uint16_t *) (intptr_t) dstAddr;
    for (jlong i = 0; i < n; i += 16) {
        __mmask16 m = lanes((int) (n - i < 16 ? n - i : 16));
        _mm256_mask_storeu_epi16(dst + i, m, to_half(_mm512_maskz_loadu_ps(m, src + i), fmt));
    }
}

/* dst[i] = float of 16-bit src[i] for i in [0, n) (exact). */
EXPORT AVX512T void Java_io_ncf_core_blas_NativeKernels_fromHalf0(void *env, void *cls, jlong n, jlong srcAddr, jlong dstAddr, jint fmt) {
    (void) env; (void) cls;
    const uint16_t *src = (const uint16_t *) (intptr_t) srcAddr;
    float *dst = (float *) (intptr_t) dstAddr;
    for (jlong i = 0; i < n; i += 16) {
        __mmask16 m = lanes((int) (n - i < 16 ? n - i : 16));
        _mm512_mask_storeu_ps(dst + i, m, from_half(_mm256_maskz_loadu_epi16(m, src + i), fmt));
    }
}

/*
 * ---------------------------------------------------------------------------------------------------------------
 * AMX-BF16 products with the epilogues fused (Sapphire Rapids and later). MKL's cblas_gemm_bf16bf16f32 reaches
 * 300-530 GFLOP/s per core at the engine's skinny shapes (K, N of 64-256); this kernel 460-880 on the same core,
 * bit for bit the same sums, and it applies the layer's epilogue (bias, ReLU, dropout, rounding; or the ReLU gate,
 * bias sums and rounding) to each 32 x 32 block while it is in L1, so the FP32 product is never written to memory.
 * Tiles: 0-3 C (2 x 2 blocks of 16 x 16 floats), 4-5 A (16 rows x 32 bf16), 6-7 B (32 k x 16 n, VNNI pairs).
 * B is packed once per step by amxPack0: for each 16-column block, for each 32-row k block, 16 rows of k pairs.
 * Needs K % 32 == 0 and N % 16 == 0 (the caller checks); any row count (a last partial block is padded).
 * ---------------------------------------------------------------------------------------------------------------
 */
#include <unistd.h>
#include <sys/syscall.h>
#include <stdlib.h>
#include <string.h>

#define AMXT __attribute__((target("amx-tile,amx-bf16,avx512f,avx512dq,avx512bw,avx512vl,avx512bf16")))

/*
 * bf16 of 16 floats in one instruction (vcvtneps2bf16: AVX512-BF16, which every AMX-BF16 CPU has): round to nearest
 * even like to_half, but denormal inputs and outputs flush to zero; activations that small change nothing.
 */
AMXT static inline __m256i bf16_of(__m512 v) { return (__m256i) _mm512_cvtneps_pbh(v); }

typedef struct { uint8_t palette; uint8_t start; uint8_t reserved[14]; uint16_t colsb[16]; uint8_t rows[16]; } tile_config;

/* 1 where the CPU has AMX-BF16 and Linux lets this process use the tile registers (ARCH_REQ_XCOMP_PERM), else 0. */
EXPORT jint Java_io_ncf_core_blas_NativeKernels_amxSupported(void *env, void *cls) {
    (void) env; (void) cls;
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("amx-bf16") || !__builtin_cpu_supports("avx512bf16") || !__builtin_cpu_supports("avx512bw")
            || !__builtin_cpu_supports("avx512dq") || !__builtin_cpu_supports("avx512vl")) return 0;
    return syscall(SYS_arch_prctl, 0x1023 /* ARCH_REQ_XCOMP_PERM */, 18 /* XFEATURE_XTILEDATA */) == 0 ? 1 : 0;
}

/* Rounds w (K x N, or its transpose: B[k][n] = w[n][k], ld ldw) to bf16 into AMX's B layout (K * N shorts). */
EXPORT AVX512T void Java_io_ncf_core_blas_NativeKernels_amxPack0(void *env, void *cls, jint K, jint N, jlong wAddr, jint ldw, jint trans, jlong outAddr) {
    (void) env; (void) cls;
    const float *w = (const float *) (intptr_t) wAddr;
    uint16_t *out = (uint16_t *) (intptr_t) outAddr;
    size_t o = 0;
    float tmp[16];
    for (int nb = 0; nb < N / 16; nb++)
        for (int kb = 0; kb < K / 32; kb++)
            for (int r = 0; r < 16; r++)
                for (int t = 0; t < 2; t++) {
                    int k = kb * 32 + 2 * r + t;
                    for (int c = 0; c < 16; c++) {
                        int n = nb * 16 + c;
                        tmp[c] = trans ? w[(size_t) n * ldw + k] : w[(size_t) k * ldw + n];
                    }
                    uint16_t h[16];
                    _mm256_storeu_si256((__m256i *) h, to_half(_mm512_loadu_ps(tmp), 0));
                    for (int c = 0; c < 16; c++) out[o + (size_t) c * 2 + t] = h[c];
                    if (t == 1) o += 32;
                }
}

/* C[32 x (16 or 32)] of rows [0, 32) of a (ld lda) times column blocks nb, nb + 1 of bp, into buf (ld 32). */
AMXT static inline void amx_block(const uint16_t *a, int lda, const uint16_t *bp, int kbs, int nb, int two, float *buf) {
    _tile_zero(0); _tile_zero(1); _tile_zero(2); _tile_zero(3);
    const uint16_t *a1 = a + (size_t) 16 * lda;
    const uint16_t *b0 = bp + (size_t) nb * kbs * 512, *b1 = b0 + (size_t) kbs * 512;
    for (int kb = 0; kb < kbs; kb++) {
        _tile_loadd(4, a + kb * 32, lda * 2);
        _tile_loadd(5, a1 + kb * 32, lda * 2);
        _tile_loadd(6, b0 + (size_t) kb * 512, 64);
        _tile_dpbf16ps(0, 4, 6);
        _tile_dpbf16ps(1, 5, 6);
        if (two) {
            _tile_loadd(7, b1 + (size_t) kb * 512, 64);
            _tile_dpbf16ps(2, 4, 7);
            _tile_dpbf16ps(3, 5, 7);
        }
    }
    _tile_stored(0, buf, 128);
    _tile_stored(1, buf + 16 * 32, 128);
    if (two) {
        _tile_stored(2, buf + 16, 128);
        _tile_stored(3, buf + 16 * 32 + 16, 128);
    }
}

AMXT static void amx_config(void) {
    tile_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.palette = 1;
    for (int t = 0; t < 8; t++) { cfg.colsb[t] = 64; cfg.rows[t] = 16; }
    _tile_loadconfig(&cfg);
}

/*
 * Rows [r0, r0 + 32) of A as a 32-row block: A itself where 32 rows exist, else a zero-padded copy of the rest
 * (pad holds 32 x K shorts).
 */
static const uint16_t *block_rows(const uint16_t *a, int lda, int r0, int rows, int K, uint16_t *pad) {
    if (r0 + 32 <= rows) return a + (size_t) r0 * lda;
    memset(pad, 0, (size_t) 32 * K * 2);
    for (int r = 0; r < rows - r0; r++) memcpy(pad + (size_t) r * K, a + (size_t) (r0 + r) * lda, (size_t) K * 2);
    return pad;
}

/*
 * The AMX layer loop shared by the kernels below: rows of A in blocks of 32 (a last partial block padded), columns
 * of the product in pairs of 16-column tiles; each 32 x 16|32 block of the product lands in buf (ld 32) and goes to
 * the kernel's epilogue (block: its first row, its row count, its first column, whether it is 32 columns wide). The
 * forward kernel's per-row mask bits are made per row block by rows().
 */
typedef struct amx_epilogue {
    void (*rows)(struct amx_epilogue *self, int r0, int nr);                    /* once per row block, or 0 */
    void (*block)(struct amx_epilogue *self, const float *buf, int r0, int nr, int col, int two);
} amx_epilogue;

AMXT static void amx_layer(int rows, int K, int N, const uint16_t *a, int lda, const uint16_t *bp, amx_epilogue *epi) {
    int kbs = K / 32;
    float buf[32 * 32] __attribute__((aligned(64)));
    uint16_t *pad = rows % 32 ? (uint16_t *) malloc((size_t) 32 * K * 2) : NULL;
    amx_config();
    for (int r0 = 0; r0 < rows; r0 += 32) {
        int nr = rows - r0 < 32 ? rows - r0 : 32;
        const uint16_t *ab = block_rows(a, lda, r0, rows, K, pad);
        if (epi->rows) epi->rows(epi, r0, nr);
        for (int nb = 0; nb < N / 16; nb += 2) {
            int two = nb + 1 < N / 16;
            amx_block(ab, ab == pad ? K : lda, bp, kbs, nb, two, buf);
            epi->block(epi, buf, r0, nr, nb * 16, two);
        }
    }
    _tile_release();
    free(pad);
}

/* The forward epilogue: v = max(z + bias, 0) * mask, into out16 (and outF). */
typedef struct {
    amx_epilogue base;
    int N, words, threshold;
    float keep;
    const float *bias;
    const uint64_t *states;
    uint16_t *out16;
    float *outF;
    uint32_t bits[32 * 64];
} forward_epilogue;

AMXT static void forward_rows(amx_epilogue *self, int r0, int nr) {
    forward_epilogue *e = (forward_epilogue *) self;
    if (e->states) for (int r = 0; r < nr; r++) mask_bits(e->states[r0 + r], e->N, (uint32_t) e->threshold, e->bits + r * e->words);
}

AMXT static void forward_block(amx_epilogue *self, const float *buf, int r0, int nr, int col0, int two) {
    forward_epilogue *e = (forward_epilogue *) self;
    const __m512 kv = _mm512_set1_ps(e->keep), zero = _mm512_setzero_ps();
    for (int r = 0; r < nr; r++)
        for (int h = 0; h <= two; h++) {
            int col = col0 + h * 16;
            __m512 v = _mm512_max_ps(_mm512_add_ps(_mm512_load_ps(buf + r * 32 + h * 16), _mm512_loadu_ps(e->bias + col)), zero);
            if (e->states) v = _mm512_maskz_mul_ps((__mmask16) (e->bits[r * e->words + (col >> 5)] >> (col & 16)), v, kv);
            size_t at = (size_t) (r0 + r) * e->N + col;
            _mm256_storeu_si256((__m256i *) (e->out16 + at), bf16_of(v));
            if (e->outF) _mm512_storeu_ps(e->outF + at, v);
        }
}

/*
 * A dense layer's forward on AMX: z = A (rows x K bf16, ld lda) B (packed K x N), then forwardAct's epilogue
 * (v = max(z + bias, 0) * mask) into out16 (ld N, bf16) and, where not 0, outF32 (ld N).
 */
EXPORT AMXT void Java_io_ncf_core_blas_NativeKernels_amxForward0(void *env, void *cls, jint rows, jint K, jint N, jlong aAddr, jint lda,
        jlong bpAddr, jlong biasAddr, jlong statesAddr, jint threshold, jfloat keep, jlong out16Addr, jlong outF32Addr) {
    (void) env; (void) cls;
    forward_epilogue e;
    e.base.rows = forward_rows;
    e.base.block = forward_block;
    e.N = N;
    e.words = (N + 31) / 32;
    e.threshold = threshold;
    e.keep = keep;
    e.bias = (const float *) (intptr_t) biasAddr;
    e.states = (const uint64_t *) (intptr_t) statesAddr;
    e.out16 = (uint16_t *) (intptr_t) out16Addr;
    e.outF = (float *) (intptr_t) outF32Addr;
    amx_layer(rows, K, N, (const uint16_t *) (intptr_t) aAddr, lda, (const uint16_t *) (intptr_t) bpAddr, &e.base);
}

/* The backward epilogue: v = d * keep * [x16 > 0], column sums into acc, v into out16 or outF. */
typedef struct {
    amx_epilogue base;
    int N;
    float keep;
    const uint16_t *x16;
    uint16_t *out16;
    float *outF, *acc;
} backward_epilogue;

AMXT static void backward_block(amx_epilogue *self, const float *buf, int r0, int nr, int col0, int two) {
    backward_epilogue *e = (backward_epilogue *) self;
    const __m512 kv = _mm512_set1_ps(e->keep);
    const __m256i zero16 = _mm256_setzero_si256();
    for (int h = 0; h <= two; h++) {
        int col = col0 + h * 16;
        __m512 sum = _mm512_loadu_ps(e->acc + col);
        for (int r = 0; r < nr; r++) {
            size_t at = (size_t) (r0 + r) * e->N + col;
            __mmask16 pos = _mm256_cmpgt_epi16_mask(_mm256_loadu_si256((const __m256i *) (e->x16 + at)), zero16);
            __m512 v = _mm512_maskz_mul_ps(pos, _mm512_load_ps(buf + r * 32 + h * 16), kv);
            sum = _mm512_add_ps(sum, v);
            if (e->out16) _mm256_storeu_si256((__m256i *) (e->out16 + at), bf16_of(v));
            else _mm512_storeu_ps(e->outF + at, v);
        }
        _mm512_storeu_ps(e->acc + col, sum);
    }
}

/*
 * A dense layer's input gradient on AMX: d = dZ (rows x K bf16, ld lda) B (packed W^T: K = the layer's output width,
 * N = its input width), then backwardAct's epilogue: v = d * keep * [x16 > 0] (x16 ld N), column sums into
 * biasAcc[0, N), v into out16 (bf16, ld N) where it is not 0, else into outF32 (ld N).
 */
EXPORT AMXT void Java_io_ncf_core_blas_NativeKernels_amxBackward0(void *env, void *cls, jint rows, jint K, jint N, jlong aAddr, jint lda,
        jlong bpAddr, jlong x16Addr, jfloat keep, jlong out16Addr, jlong outF32Addr, jlong biasAccAddr) {
    (void) env; (void) cls;
    backward_epilogue e;
    e.base.rows = 0;
    e.base.block = backward_block;
    e.N = N;
    e.keep = keep;
    e.x16 = (const uint16_t *) (intptr_t) x16Addr;
    e.out16 = (uint16_t *) (intptr_t) out16Addr;
    e.outF = (float *) (intptr_t) outF32Addr;
    e.acc = (float *) (intptr_t) biasAccAddr;
    amx_layer(rows, K, N, (const uint16_t *) (intptr_t) aAddr, lda, (const uint16_t *) (intptr_t) bpAddr, &e.base);
}

/* One side of a sample's scatter: gmf[j] += (g * fw[j]) * other[j] (f wide), to[j] += src[j] (len wide). */
AVX512 static inline void scatter_row(__m512 g, const float *fw, const float *other, float *gmf, int f, const float *src, float *to, int len) {
    for (int j = 0; j < f; j += 16) {
        __mmask16 m = lanes(f - j);
        __m512 v = _mm512_mul_ps(_mm512_mul_ps(g, _mm512_maskz_loadu_ps(m, fw + j)), _mm512_maskz_loadu_ps(m, other + j));
        _mm512_mask_storeu_ps(gmf + j, m, _mm512_add_ps(_mm512_maskz_loadu_ps(m, gmf + j), v));
    }
    for (int j = 0; j < len; j += 16) {
        __mmask16 m = lanes(len - j);
        _mm512_mask_storeu_ps(to + j, m, _mm512_add_ps(_mm512_maskz_loadu_ps(m, to + j), _mm512_maskz_loadu_ps(m, src + j)));
    }
}

/*
 * The fused engine's scatter of per-sample embedding gradients (FP32, any precision of the products), for worker w of
 * t: every sample s whose user u has u % t == w adds g fw[j] mfItem[i][j] into gMfUser[u][j] (f wide) and
 * src[s][userAt + j] into toUser[u][j] (len wide); likewise for items with i % t == w. Each worker owns its rows,
 * so duplicates accumulate without atomics in sample order. The arithmetic is the Java loop's, operation for
 * operation ((g * fw) * x, then the add; no fused multiply-add), so the sums are the same bits.
 */
EXPORT AVX512 void Java_io_ncf_core_blas_NativeKernels_scatterRows0(void *env, void *cls, jint n, jlong usersAddr, jlong itemsAddr, jlong dzAddr,
        jint threads, jint worker, jint f, jlong fwAddr, jlong mfUserAddr, jlong mfItemAddr, jlong gMfUserAddr, jlong gMfItemAddr,
        jlong srcAddr, jint stride, jint userAt, jint itemAt, jint len, jlong toUserAddr, jlong toItemAddr) {
    (void) env; (void) cls;
    const int32_t *users = (const int32_t *) (intptr_t) usersAddr, *items = (const int32_t *) (intptr_t) itemsAddr;
    const float *dz = (const float *) (intptr_t) dzAddr, *fw = (const float *) (intptr_t) fwAddr;
    const float *mfUser = (const float *) (intptr_t) mfUserAddr, *mfItem = (const float *) (intptr_t) mfItemAddr, *src = (const float *) (intptr_t) srcAddr;
    float *gMfUser = (float *) (intptr_t) gMfUserAddr, *gMfItem = (float *) (intptr_t) gMfItemAddr;
    float *toUser = (float *) (intptr_t) toUserAddr, *toItem = (float *) (intptr_t) toItemAddr;
    for (int s = 0; s < n; s++) {
        if (s + 8 < n) {   /* rows of later samples: random rows of tables far larger than the caches */
            int u8 = users[s + 8], i8 = items[s + 8];
            if (u8 % threads == worker) _mm_prefetch((const char *) (toUser + (size_t) u8 * len), _MM_HINT_T0);
            if (i8 % threads == worker) {
                _mm_prefetch((const char *) (toItem + (size_t) i8 * len), _MM_HINT_T0);
                _mm_prefetch((const char *) (gMfItem + (size_t) i8 * f), _MM_HINT_T0);
            }
        }
        int u = users[s], i = items[s];
        __m512 g = _mm512_set1_ps(dz[s]);
        if (u % threads == worker)
            scatter_row(g, fw, mfItem + (size_t) i * f, gMfUser + (size_t) u * f, f, src + (size_t) s * stride + userAt, toUser + (size_t) u * len, len);
        if (i % threads == worker)
            scatter_row(g, fw, mfUser + (size_t) u * f, gMfItem + (size_t) i * f, f, src + (size_t) s * stride + itemAt, toItem + (size_t) i * len, len);
    }
}

/* The scoring epilogue: v = max(product, neg[r mod negRows]), into out16 or outF. */
typedef struct {
    amx_epilogue base;
    int N, negRows;
    const float *neg;
    uint16_t *out16;
    float *outF;
} max_epilogue;

AMXT static void max_block(amx_epilogue *self, const float *buf, int r0, int nr, int col0, int two) {
    max_epilogue *e = (max_epilogue *) self;
    for (int r = 0; r < nr; r++)
        for (int h = 0; h <= two; h++) {
            int col = col0 + h * 16;
            __m512 v = _mm512_max_ps(_mm512_load_ps(buf + r * 32 + h * 16), _mm512_loadu_ps(e->neg + (size_t) ((r0 + r) % e->negRows) * e->N + col));
            size_t at = (size_t) (r0 + r) * e->N + col;
            if (e->out16) _mm256_storeu_si256((__m256i *) (e->out16 + at), bf16_of(v));
            else _mm512_storeu_ps(e->outF + at, v);
        }
}

/*
 * The scoring kernel's BF16 layer on AMX: C = max(A (rows x K bf16, ld lda) B (packed), NEG[r mod negRows]) (NEG
 * rows N floats apart), into out16 (bf16, ld N) or, where it is 0, outF32 (ld N). A row's result does not depend on
 * the call's row count or the row's position (each element sums its K terms in one order; padding rows are zeros).
 */
EXPORT AMXT void Java_io_ncf_core_blas_NativeKernels_amxGemmMax0(void *env, void *cls, jint rows, jint K, jint N, jlong aAddr, jint lda,
        jlong bpAddr, jlong negAddr, jint negRows, jlong out16Addr, jlong outF32Addr) {
    (void) env; (void) cls;
    max_epilogue e;
    e.base.rows = 0;
    e.base.block = max_block;
    e.N = N;
    e.negRows = negRows;
    e.neg = (const float *) (intptr_t) negAddr;
    e.out16 = (uint16_t *) (intptr_t) out16Addr;
    e.outF = (float *) (intptr_t) outF32Addr;
    amx_layer(rows, K, N, (const uint16_t *) (intptr_t) aAddr, lda, (const uint16_t *) (intptr_t) bpAddr, &e.base);
}

/*
 * Adam over n floats (PyTorch's formulation, the engines' AdamKernels.dense): m = b1 m + c1 g, v = b2 v + (c2 g) g,
 * p = p - (stepSize m) / (sqrt(v) ib2 + eps), and g = 0 where clearGrad. The same operations in the same order as the
 * Java loop, no fused multiply-add, and correctly rounded sqrt and division: the same bits.
 */
EXPORT AVX512 void Java_io_ncf_core_blas_NativeKernels_adam0(void *env, void *cls, jlong n, jlong pAddr, jlong gAddr, jlong mAddr, jlong vAddr,
        jfloat b1, jfloat b2, jfloat c1, jfloat c2, jfloat eps, jfloat stepSize, jfloat ib2, jint clearGrad) {
    (void) env; (void) cls;
    float *p = (float *) (intptr_t) pAddr, *g = (float *) (intptr_t) gAddr, *m = (float *) (intptr_t) mAddr, *v = (float *) (intptr_t) vAddr;
    const __m512 B1 = _mm512_set1_ps(b1), B2 = _mm512_set1_ps(b2), C1 = _mm512_set1_ps(c1), C2 = _mm512_set1_ps(c2),
                 E = _mm512_set1_ps(eps), S = _mm512_set1_ps(stepSize), I = _mm512_set1_ps(ib2), Z = _mm512_setzero_ps();
    for (jlong i = 0; i < n; i += 16) {
        __mmask16 k = lanes((int) (n - i < 16 ? n - i : 16));
        __m512 gi = _mm512_maskz_loadu_ps(k, g + i);
        __m512 mi = _mm512_add_ps(_mm512_mul_ps(B1, _mm512_maskz_loadu_ps(k, m + i)), _mm512_mul_ps(C1, gi));
        __m512 vi = _mm512_add_ps(_mm512_mul_ps(B2, _mm512_maskz_loadu_ps(k, v + i)), _mm512_mul_ps(_mm512_mul_ps(C2, gi), gi));
        __m512 den = _mm512_add_ps(_mm512_mul_ps(_mm512_sqrt_ps(vi), I), E);
        __m512 pi = _mm512_sub_ps(_mm512_maskz_loadu_ps(k, p + i), _mm512_div_ps(_mm512_mul_ps(S, mi), den));
        _mm512_mask_storeu_ps(m + i, k, mi);
        _mm512_mask_storeu_ps(v + i, k, vi);
        _mm512_mask_storeu_ps(p + i, k, pi);
        if (clearGrad) _mm512_mask_storeu_ps(g + i, k, Z);
    }
}
