// NeuMF kernels for ncf-cuda, compiled at run time by NVRTC for the GPU found (see KernelModule.java).
// Activations are act_t: float (FP32/TF32), or 16-bit storage for FP16 / BF16 (-DACT_F16 / -DACT_BF16),
// converted with single PTX instructions so the source needs no CUDA headers (NVRTC may lack them).
// Parameters, gradients and Adam state are always FP32 (master weights).
// Layouts are row-major: activations [B, width], tables [rows, width].

typedef unsigned long long u64;
typedef long long i64;

#if defined(ACT_F16)
typedef unsigned short act_t;
__device__ __forceinline__ float toF(act_t x) { float f; asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(x)); return f; }
__device__ __forceinline__ act_t fromF(float f) { act_t h; asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f)); return h; }
#elif defined(ACT_BF16)
typedef unsigned short act_t;
__device__ __forceinline__ float toF(act_t x) { return __uint_as_float(((unsigned) x) << 16); }
__device__ __forceinline__ act_t fromF(float f) { act_t h; asm("cvt.rn.bf16.f32 %0, %1;" : "=h"(h) : "f"(f)); return h; }
#else
typedef float act_t;
__device__ __forceinline__ float toF(act_t x) { return x; }
__device__ __forceinline__ act_t fromF(float f) { return f; }
#endif

// Four consecutive activations in one access (16 bytes for float, 8 for 16-bit types); callers guarantee the
// index is a multiple of 4 (all widths divisible by 4, buffers 256-byte aligned).
#if defined(ACT_F16) || defined(ACT_BF16)
__device__ __forceinline__ void load4(const act_t* p, float* o) {
    uint2 v = *(const uint2*) p;
    o[0] = toF((act_t) (v.x & 0xFFFFu)); o[1] = toF((act_t) (v.x >> 16));
    o[2] = toF((act_t) (v.y & 0xFFFFu)); o[3] = toF((act_t) (v.y >> 16));
}
__device__ __forceinline__ void store4(act_t* p, const float* i) {
    uint2 v;
    v.x = (unsigned) fromF(i[0]) | ((unsigned) fromF(i[1]) << 16);
    v.y = (unsigned) fromF(i[2]) | ((unsigned) fromF(i[3]) << 16);
    *(uint2*) p = v;
}
#else
__device__ __forceinline__ void load4(const act_t* p, float* o) {
    float4 v = *(const float4*) p;
    o[0] = v.x; o[1] = v.y; o[2] = v.z; o[3] = v.w;
}
__device__ __forceinline__ void store4(act_t* p, const float* i) {
    float4 v;
    v.x = i[0]; v.y = i[1]; v.z = i[2]; v.w = i[3];
    *(float4*) p = v;
}
#endif

#define GOLD 0x9E3779B97F4A7C15ULL

// SplitMix64's finaliser: io.ncf.model.DropoutMask.mix, bit for bit.
__device__ __forceinline__ u64 mix64(u64 z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

// The row state of DropoutMask.fillRow for (layer, sample); unit block q (units 4q..4q+3) hashes state + (q+1)*GOLD.
__device__ __forceinline__ u64 maskRowState(u64 seed, int layer, i64 sample) {
    return mix64(seed ^ (GOLD * (u64) (layer + 1)) ^ mix64((u64) sample + 0x632BE59BD9B4E019ULL));
}

// Balanced 4-round Feistel network on 2h-bit integers: a keyed bijection of [0, 4^h).
__device__ __forceinline__ u64 feistel(u64 x, int h, u64 key) {
    u64 mask = (1ULL << h) - 1ULL;
    u64 L = x >> h, R = x & mask;
    for (int r = 0; r < 4; r++) {
        u64 F = mix64(R ^ (key + GOLD * (u64) (r + 1))) & mask;
        u64 nL = R;
        R = L ^ F;
        L = nL;
    }
    return (L << h) | R;
}

// Epoch position -> sample index: a bijection of [0, n) by cycle-walking the Feistel permutation.
__device__ __forceinline__ u64 permute(u64 t, u64 n, int h, u64 key) {
    u64 x = feistel(t, h, key);
    while (x >= n) x = feistel(x, h, key);
    return x;
}

// Builds samples [t0, t0+count) of the shuffled epoch: sample index s = permute(t) is positive s/(1+neg);
// its slot s%(1+neg) is the positive itself (0) or an unverified uniform negative (NVIDIA's shortcut).
extern "C" __global__ void make_batch(i64 t0, int count, i64 n, int h, u64 permKey, u64 negKey, int negPerPos,
                                      const int* posU, const int* posI, int numItems,
                                      int* outU, int* outI, float* outL) {
    for (i64 b = blockIdx.x * (i64) blockDim.x + threadIdx.x; b < count; b += (i64) gridDim.x * blockDim.x) {
        u64 s = permute((u64) (t0 + b), (u64) n, h, permKey);
        u64 p = s / (u64) (negPerPos + 1);
        int slot = (int) (s - p * (u64) (negPerPos + 1));
        outU[b] = posU[p];
        if (slot == 0) {
            outI[b] = posI[p];
            outL[b] = 1.f;
        } else {
            u64 r = mix64(negKey ^ mix64(s));
            outI[b] = (int) (((r >> 32) * (u64) numItems) >> 32);
            outL[b] = 0.f;
        }
    }
}

// gmf[b] = mf_user[u] * mf_item[i]; h0[b] = concat(mlp_user[u], mlp_item[i]).
extern "C" __global__ void gather(const int* U, const int* I, int B, const float* mfU, const float* mfI,
                                  const float* mlpU, const float* mlpI, int f, int e, act_t* gmf, act_t* h0) {
    int w = f + 2 * e;
    i64 total = (i64) B * w;
    for (i64 t = blockIdx.x * (i64) blockDim.x + threadIdx.x; t < total; t += (i64) gridDim.x * blockDim.x) {
        i64 b = t / w;
        int c = (int) (t - b * w);
        int u = U[b], it = I[b];
        if (c < f) {
            gmf[b * f + c] = fromF(mfU[(i64) u * f + c] * mfI[(i64) it * f + c]);
        } else if (c < f + e) {
            h0[b * 2 * e + (c - f)] = fromF(mlpU[(i64) u * e + (c - f)]);
        } else {
            h0[b * 2 * e + (c - f)] = fromF(mlpI[(i64) it * e + (c - f - e)]);
        }
    }
}

// gather with 16-byte table reads and 4-wide activation writes; needs f % 4 == 0 and e % 4 == 0.
extern "C" __global__ void gather4(const int* U, const int* I, int B, const float* mfU, const float* mfI,
                                   const float* mlpU, const float* mlpI, int f, int e, act_t* gmf, act_t* h0) {
    int q = (f + 2 * e) >> 2, qf = f >> 2, qe = e >> 2;
    i64 total = (i64) B * q;
    for (i64 t = blockIdx.x * (i64) blockDim.x + threadIdx.x; t < total; t += (i64) gridDim.x * blockDim.x) {
        i64 b = t / q;
        int c = (int) (t - b * q);
        int u = U[b], it = I[b];
        float o[4];
        if (c < qf) {
            float4 x = ((const float4*) (mfU + (i64) u * f))[c], y = ((const float4*) (mfI + (i64) it * f))[c];
            o[0] = x.x * y.x; o[1] = x.y * y.y; o[2] = x.z * y.z; o[3] = x.w * y.w;
            store4(gmf + b * f + 4 * c, o);
        } else {
            int c2 = c - qf;
            float4 x = c2 < qe ? ((const float4*) (mlpU + (i64) u * e))[c2] : ((const float4*) (mlpI + (i64) it * e))[c2 - qe];
            o[0] = x.x; o[1] = x.y; o[2] = x.z; o[3] = x.w;
            store4(h0 + b * 2 * e + 4 * c2, o);
        }
    }
}

// In place: z = relu(z + bias) * mask, the mask being DropoutMask's for (layer, pos0 + row). threshold 0: no dropout.
// posIdx non-null: row b's dropout row is epoch position pos0 + posIdx[b] (samples selected out of a global batch
// keep the masks of a single-GPU run); null: pos0 + b.
extern "C" __global__ void bias_relu_dropout(act_t* Z, const float* bias, int B, int n, int layer, u64 seed,
                                             int threshold, float keep, i64 pos0, const int* posIdx) {
    int quads = (n + 3) >> 2;
    bool vec = (n & 3) == 0;
    i64 total = (i64) B * quads;
    for (i64 t = blockIdx.x * (i64) blockDim.x + threadIdx.x; t < total; t += (i64) gridDim.x * blockDim.x) {
        i64 row = t / quads;
        int q = (int) (t - row * quads);
        u64 r = 0;
        if (threshold > 0) r = mix64(maskRowState(seed, layer, pos0 + (posIdx ? (i64) posIdx[row] : row)) + GOLD * (u64) (q + 1));
        act_t* z = Z + row * n + 4 * q;
        float v[4];
        if (vec) load4(z, v);
        else for (int k = 0; k < 4; k++) v[k] = 4 * q + k < n ? toF(z[k]) : 0.f;
        #pragma unroll
        for (int k = 0; k < 4; k++) {
            float m = 1.f;
            if (threshold > 0) m = ((int) ((r >> (16 * k)) & 0xFFFFULL)) >= threshold ? keep : 0.f;
            float x = v[k] + (4 * q + k < n ? bias[4 * q + k] : 0.f);
            v[k] = x > 0.f ? x * m : 0.f;
        }
        if (vec) store4(z, v);
        else for (int k = 0; k < 4; k++) if (4 * q + k < n) z[k] = fromF(v[k]);
    }
}

// Four float atomic adds in one instruction (sm_90 vector reduction); p must be 16-byte aligned.
__device__ __forceinline__ void red4(float* p, const float* v) {
#if __CUDA_ARCH__ >= 900
    asm volatile("red.global.add.v4.f32 [%0], {%1, %2, %3, %4};" :: "l"(p), "f"(v[0]), "f"(v[1]), "f"(v[2]), "f"(v[3]) : "memory");
#else
    for (int k = 0; k < 4; k++) atomicAdd(p + k, v[k]);
#endif
}

#define HEAD_MAX_PER_LANE 8

// The final layer, loss and the head of backward, one warp per sample:
// z = concat(gmf, hL) . fw + fb; mode 1 writes z to scores and stops. Mode 0: loss = softplus form of the
// sigmoid cross-entropy, dl = weight * (sigmoid(z) - y); adds dl*x into fw's gradient, dl into fb's,
// scatters GMF's gradient into the MF tables' gradients, and writes dZ of the last dense layer
// (dl * fw * relu'/mask, using hL > 0 <=> unit active and kept).
extern "C" __global__ void head(const act_t* gmf, const act_t* hL, const float* fw, const float* fb,
                                const float* labels, const int* U, const int* I, const float* mfU, const float* mfI,
                                int B, int f, int l, float weight, float keepLast, act_t* dZ,
                                float* gfw, float* gfb, float* gMfU, float* gMfI, double* lossSum,
                                float* scores, int mode) {
    int lane = threadIdx.x & 31;
    i64 warp = (blockIdx.x * (i64) blockDim.x + threadIdx.x) >> 5;
    i64 warps = ((i64) gridDim.x * blockDim.x) >> 5;
    int W = f + l;
    float acc[HEAD_MAX_PER_LANE];
    #pragma unroll
    for (int k = 0; k < HEAD_MAX_PER_LANE; k++) acc[k] = 0.f;
    float accB = 0.f;
    double lossAcc = 0.0;
    float bias = fb[0];
    for (i64 b = warp; b < B; b += warps) {
        float x[HEAD_MAX_PER_LANE];
        float part = 0.f;
        #pragma unroll
        for (int k = 0; k < HEAD_MAX_PER_LANE; k++) {
            int c = lane + 32 * k;
            x[k] = 0.f;
            if (c < W) {
                x[k] = c < f ? toF(gmf[b * f + c]) : toF(hL[b * l + (c - f)]);
                part += x[k] * fw[c];
            }
        }
        #pragma unroll
        for (int o = 16; o > 0; o >>= 1) part += __shfl_xor_sync(0xffffffffu, part, o);
        float z = part + bias;
        if (mode == 1) {
            if (lane == 0) scores[b] = z;
            continue;
        }
        float y = labels[b];
        float dl = weight * (1.f / (1.f + expf(-z)) - y);
        if (lane == 0) {
            lossAcc += (double) (fmaxf(z, 0.f) - z * y + log1pf(expf(-fabsf(z))));
            accB += dl;
        }
        int u = U[b], it = I[b];
        #pragma unroll
        for (int k = 0; k < HEAD_MAX_PER_LANE; k++) {
            int c = lane + 32 * k;
            if (c < W) {
                acc[k] += dl * x[k];
                float g = dl * fw[c];
                if (c < f) {
                    // scalar atomics spread over all lanes measured faster here than 4-wide ones on 16 lanes
                    atomicAdd(&gMfU[(i64) u * f + c], g * mfI[(i64) it * f + c]);
                    atomicAdd(&gMfI[(i64) it * f + c], g * mfU[(i64) u * f + c]);
                } else {
                    float h = toF(hL[b * l + (c - f)]);
                    dZ[b * l + (c - f)] = fromF(h > 0.f ? g * keepLast : 0.f);
                }
            }
        }
    }
    if (mode == 1) return;
    #pragma unroll
    for (int k = 0; k < HEAD_MAX_PER_LANE; k++) {
        int c = lane + 32 * k;
        if (c < W) atomicAdd(&gfw[c], acc[k]);
    }
    if (lane == 0) {
        atomicAdd(gfb, accB);
        atomicAdd(lossSum, lossAcc);
    }
}

// In place: dH = dH * relu'(.) * mask of the layer that produced H (H > 0 <=> active and kept, value keep).
extern "C" __global__ void relu_dropout_bwd(act_t* dH, const act_t* H, i64 n, float keep) {
    for (i64 t = blockIdx.x * (i64) blockDim.x + threadIdx.x; t < n; t += (i64) gridDim.x * blockDim.x) {
        dH[t] = fromF(toF(H[t]) > 0.f ? toF(dH[t]) * keep : 0.f);
    }
}

// relu_dropout_bwd over n4 groups of 4 elements (n % 4 == 0).
extern "C" __global__ void relu_dropout_bwd4(act_t* dH, const act_t* H, i64 n4, float keep) {
    for (i64 t = blockIdx.x * (i64) blockDim.x + threadIdx.x; t < n4; t += (i64) gridDim.x * blockDim.x) {
        float d[4], h[4];
        load4(dH + 4 * t, d);
        load4(H + 4 * t, h);
        #pragma unroll
        for (int k = 0; k < 4; k++) d[k] = h[k] > 0.f ? d[k] * keep : 0.f;
        store4(dH + 4 * t, d);
    }
}

// relu_dropout_bwd4 that also adds the result's column sums into db[in]: the result is the dZ of the layer below,
// so this is that layer's bias gradient (dZ^T 1), without a GEMV reading dZ again. Needs in <= 1024 and (in / 4)
// dividing blockDim.x, so a thread keeps the same 4 columns on every grid-stride row; it sums the values as stored
// (rounded to act_t), as the GEMV would read them. Per block, one shared-memory sum per column, then one atomic.
extern "C" __global__ void relu_dropout_bwd_bias4(act_t* dH, const act_t* H, i64 n4, float keep, int in, float* db) {
    __shared__ float part[1024];
    for (int c = threadIdx.x; c < in; c += blockDim.x) part[c] = 0.f;
    __syncthreads();
    float s[4] = {0.f, 0.f, 0.f, 0.f};
    i64 t0 = blockIdx.x * (i64) blockDim.x + threadIdx.x;
    for (i64 t = t0; t < n4; t += (i64) gridDim.x * blockDim.x) {
        float d[4], h[4];
        load4(dH + 4 * t, d);
        load4(H + 4 * t, h);
        #pragma unroll
        for (int k = 0; k < 4; k++) d[k] = toF(fromF(h[k] > 0.f ? d[k] * keep : 0.f));
        store4(dH + 4 * t, d);
        #pragma unroll
        for (int k = 0; k < 4; k++) s[k] += d[k];
    }
    int c = (int) ((4 * t0) % in);
    #pragma unroll
    for (int k = 0; k < 4; k++) if (s[k] != 0.f) atomicAdd(&part[c + k], s[k]);
    __syncthreads();
    for (int j = threadIdx.x; j < in; j += blockDim.x) if (part[j] != 0.f) atomicAdd(&db[j], part[j]);
}

// Scatter-adds the gradient of h0 = concat(mlp_user[u], mlp_item[i]) into the MLP tables' gradients.
extern "C" __global__ void scatter_mlp(const act_t* dH0, const int* U, const int* I, int B, int e,
                                       float* gU, float* gI) {
    i64 total = (i64) B * 2 * e;
    for (i64 t = blockIdx.x * (i64) blockDim.x + threadIdx.x; t < total; t += (i64) gridDim.x * blockDim.x) {
        i64 b = t / (2 * e);
        int c = (int) (t - b * 2 * e);
        float g = toF(dH0[t]);
        if (g == 0.f) continue;  // dropout and relu zero many entries; skip their atomics
        if (c < e) atomicAdd(&gU[(i64) U[b] * e + c], g);
        else atomicAdd(&gI[(i64) I[b] * e + (c - e)], g);
    }
}

// scatter_mlp with 4 columns per thread and vector atomics; needs e % 4 == 0.
extern "C" __global__ void scatter_mlp4(const act_t* dH0, const int* U, const int* I, int B, int e,
                                        float* gU, float* gI) {
    int q = e >> 1;  // quads per row of 2e columns
    i64 total = (i64) B * q;
    for (i64 t = blockIdx.x * (i64) blockDim.x + threadIdx.x; t < total; t += (i64) gridDim.x * blockDim.x) {
        i64 b = t / q;
        int c = 4 * (int) (t - b * q);
        float g[4];
        load4(dH0 + b * 2 * e + c, g);
        if (g[0] == 0.f && g[1] == 0.f && g[2] == 0.f && g[3] == 0.f) continue;
        if (c < e) red4(gU + (i64) U[b] * e + c, g);
        else red4(gI + (i64) I[b] * e + (c - e), g);
    }
}

// Sets *flag to 1 if any gradient is inf or NaN (loss scaling skips such steps). 16-byte loads; the n % 4 tail
// is read by the first threads.
extern "C" __global__ void check_finite(const float* g, i64 n, int* flag) {
    i64 n4 = n >> 2;
    const float4* g4 = (const float4*) g;
    int bad = 0;
    for (i64 t = blockIdx.x * (i64) blockDim.x + threadIdx.x; t < n4; t += (i64) gridDim.x * blockDim.x) {
        float4 x = g4[t];
        if (!isfinite(x.x) || !isfinite(x.y) || !isfinite(x.z) || !isfinite(x.w)) bad = 1;
    }
    i64 tail = blockIdx.x * (i64) blockDim.x + threadIdx.x;
    if (tail < n - 4 * n4 && !isfinite(g[4 * n4 + tail])) bad = 1;
    if (__syncthreads_or(bad) && threadIdx.x == 0) atomicExch(flag, 1);
}

__device__ __forceinline__ void adamOne(float& p, float& g, float& m, float& v, float lrT, float b1, float b2,
                                        float eps, float invBc2, float invScale, int skip) {
    float gg = g * invScale;
    g = 0.f;
    if (skip) return;
    m = b1 * m + (1.f - b1) * gg;
    v = b2 * v + (1.f - b2) * gg * gg;
    p -= lrT * m / (sqrtf(v) * invBc2 + eps);
}

// Adam (PyTorch's form) on FP32 master weights; gradients are unscaled by invScale and cleared. A step whose
// gradients were not finite (*flag) only clears them. Memory-bound: 16-byte accesses, 7 streams of n floats.
extern "C" __global__ void adam(float* p, float* g, float* m, float* v, i64 n, float lrT, float b1, float b2,
                                float eps, float invBc2, float invScale, const int* flag) {
    int skip = *flag;
    i64 n4 = n >> 2;
    float4 *p4 = (float4*) p, *g4 = (float4*) g, *m4 = (float4*) m, *v4 = (float4*) v;
    for (i64 t = blockIdx.x * (i64) blockDim.x + threadIdx.x; t < n4; t += (i64) gridDim.x * blockDim.x) {
        float4 pp = p4[t], gg = g4[t], mm = m4[t], vv = v4[t];
        adamOne(pp.x, gg.x, mm.x, vv.x, lrT, b1, b2, eps, invBc2, invScale, skip);
        adamOne(pp.y, gg.y, mm.y, vv.y, lrT, b1, b2, eps, invBc2, invScale, skip);
        adamOne(pp.z, gg.z, mm.z, vv.z, lrT, b1, b2, eps, invBc2, invScale, skip);
        adamOne(pp.w, gg.w, mm.w, vv.w, lrT, b1, b2, eps, invBc2, invScale, skip);
        g4[t] = gg;
        if (!skip) { p4[t] = pp; m4[t] = mm; v4[t] = vv; }
    }
    i64 tail = blockIdx.x * (i64) blockDim.x + threadIdx.x;
    if (tail < n - 4 * n4) {
        i64 i = 4 * n4 + tail;
        adamOne(p[i], g[i], m[i], v[i], lrT, b1, b2, eps, invBc2, invScale, skip);
    }
}

// User-sharded data parallelism: of a global batch's n samples (every GPU holds all of them after an all-gather),
// keeps those whose user is in [lo, hi), with each one's index in the batch (its dropout row), compacted to the
// front of the s* arrays; *count ends as their number. One atomic per warp; the order of the kept samples depends
// on scheduling, which changes sums only by rounding (the gradient atomics already do).
extern "C" __global__ void select_owned(const int* gU, const int* gI, const float* gL, int n, int lo, int hi,
                                        int* sU, int* sI, float* sL, int* sPos, int* count) {
    int lane = threadIdx.x & 31;
    for (i64 base = (blockIdx.x * (i64) blockDim.x + threadIdx.x) & ~31LL; base < n; base += (i64) gridDim.x * blockDim.x) {
        i64 t = base + lane;
        int u = t < n ? gU[t] : -1;
        bool keep = t < n && u >= lo && u < hi;
        unsigned m = __ballot_sync(0xffffffffu, keep);
        int start = 0;
        if (lane == 0 && m) start = atomicAdd(count, __popc(m));
        start = __shfl_sync(0xffffffffu, start, 0);
        if (keep) {
            int at = start + __popc(m & ((1u << lane) - 1u));
            sU[at] = u;
            sI[at] = gI[t];
            sL[at] = gL[t];
            sPos[at] = (int) t;
        }
    }
}

// dst[i] += src[i]: a collective's sum when the ranks share one GPU (the checks of user-sharded training on one card).
extern "C" __global__ void add_f32(float* dst, const float* src, i64 n) {
    for (i64 t = blockIdx.x * (i64) blockDim.x + threadIdx.x; t < n; t += (i64) gridDim.x * blockDim.x) dst[t] += src[t];
}

extern "C" __global__ void add_i32(int* dst, const int* src, i64 n) {
    for (i64 t = blockIdx.x * (i64) blockDim.x + threadIdx.x; t < n; t += (i64) gridDim.x * blockDim.x) dst[t] += src[t];
}

extern "C" __global__ void to_act(const float* src, act_t* dst, i64 n) {
    for (i64 t = blockIdx.x * (i64) blockDim.x + threadIdx.x; t < n; t += (i64) gridDim.x * blockDim.x) dst[t] = fromF(src[t]);
}

extern "C" __global__ void fill_act(act_t* dst, i64 n, float value) {
    for (i64 t = blockIdx.x * (i64) blockDim.x + threadIdx.x; t < n; t += (i64) gridDim.x * blockDim.x) dst[t] = fromF(value);
}

// Evaluation: candidate j > 0 of a row is masked when its item already occurs earlier in the row.
extern "C" __global__ void dup_mask(const int* cand, int rows, int w, unsigned char* masked) {
    i64 total = (i64) rows * w;
    for (i64 t = blockIdx.x * (i64) blockDim.x + threadIdx.x; t < total; t += (i64) gridDim.x * blockDim.x) {
        i64 r = t / w;
        int j = (int) (t - r * w);
        int it = cand[t];
        unsigned char m = 0;
        for (int k = 0; k < j; k++) if (cand[r * w + k] == it) { m = 1; break; }
        masked[t] = m;
    }
}

extern "C" __global__ void expand_users(const int* rowUsers, int rows, int w, int* out) {
    i64 total = (i64) rows * w;
    for (i64 t = blockIdx.x * (i64) blockDim.x + threadIdx.x; t < total; t += (i64) gridDim.x * blockDim.x) out[t] = rowUsers[t / w];
}

// Rank of the held-out item (column 0) among unmasked candidates, ties and NaN counting against it
// (io.ncf.eval.RankingMetrics); adds hits@k and NDCG@k of the rows.
extern "C" __global__ void rank_metrics(const float* scores, const unsigned char* masked, int rows, int w, int k,
                                        unsigned long long* hits, double* ndcg) {
    unsigned long long h = 0;
    double nd = 0.0;
    for (i64 r = blockIdx.x * (i64) blockDim.x + threadIdx.x; r < rows; r += (i64) gridDim.x * blockDim.x) {
        const float* s = scores + r * w;
        const unsigned char* m = masked + r * w;
        float target = s[0];
        int rank = 0;
        if (isnan(target)) rank = w - 1;
        else for (int j = 1; j < w; j++) if (!m[j] && (s[j] >= target || isnan(s[j]))) rank++;
        if (rank < k) {
            h++;
            nd += 1.0 / log2((double) (rank + 2));
        }
    }
    for (int o = 16; o > 0; o >>= 1) {
        h += __shfl_xor_sync(0xffffffffu, h, o);
        nd += __shfl_xor_sync(0xffffffffu, nd, o);
    }
    if ((threadIdx.x & 31) == 0) {
        if (h) atomicAdd(hits, h);
        if (nd != 0.0) atomicAdd(ndcg, nd);
    }
}

// ---- ranking: every item for a block of users (io.ncf.cuda.CudaRanker) ----
// Pair p = r * ni + i is (block user r, item i). The first dense layer is factored: X1 = relu(C0[r] + P[i]) with
// C0 = mlp_user W0[0:e] + b0 per block user and P = mlp_item W0[e:2e] per item, both FP32.

extern "C" __global__ void rank_first_layer(const float* C0, const float* P, int ub, int ni, int w1, act_t* X1) {
    int quads = w1 >> 2;
    i64 total = (i64) ub * ni * quads;
    for (i64 t = blockIdx.x * (i64) blockDim.x + threadIdx.x; t < total; t += (i64) gridDim.x * blockDim.x) {
        i64 p = t / quads;
        int q = (int) (t - p * quads);
        int r = (int) (p / ni), i = (int) (p - (i64) r * ni);
        float4 c = *(const float4*) (C0 + (i64) r * w1 + 4 * q);
        float4 a = *(const float4*) (P + (i64) i * w1 + 4 * q);
        float v[4] = {fmaxf(c.x + a.x, 0.f), fmaxf(c.y + a.y, 0.f), fmaxf(c.z + a.z, 0.f), fmaxf(c.w + a.w, 0.f)};
        store4(X1 + p * w1 + 4 * q, v);
    }
}

// Rows of a table for the block's users: out[r] = table[users[r]] (width floats), optionally times a column scale.
extern "C" __global__ void gather_rows(const float* table, const int* users, int ub, int width, const float* scale, float* out) {
    i64 total = (i64) ub * width;
    for (i64 t = blockIdx.x * (i64) blockDim.x + threadIdx.x; t < total; t += (i64) gridDim.x * blockDim.x) {
        i64 r = t / width;
        int c = (int) (t - r * width);
        float v = table[(i64) users[r] * width + c];
        out[t] = scale ? v * scale[c] : v;
    }
}

// out[r, c] += bias[c] over ub rows of width columns (FP32).
extern "C" __global__ void add_bias_rows(float* out, const float* bias, int ub, int width) {
    i64 total = (i64) ub * width;
    for (i64 t = blockIdx.x * (i64) blockDim.x + threadIdx.x; t < total; t += (i64) gridDim.x * blockDim.x)
        out[t] += bias[t % width];
}

// One warp per pair: score = fb + hL[p] . wMlp + G[r] . mfI[i], with G = mf_user[u] * w_gmf (gather_rows).
extern "C" __global__ void rank_head(const act_t* hL, const float* wMlp, const float* fb, const float* G, const float* mfI,
                                     int ub, int ni, int f, int l, float* scores) {
    int lane = threadIdx.x & 31;
    i64 warp = (blockIdx.x * (i64) blockDim.x + threadIdx.x) >> 5;
    i64 warps = ((i64) gridDim.x * blockDim.x) >> 5;
    i64 total = (i64) ub * ni;
    float bias = fb[0];
    for (i64 p = warp; p < total; p += warps) {
        int r = (int) (p / ni), i = (int) (p - (i64) r * ni);
        float part = 0.f;
        for (int c = lane; c < l; c += 32) part += toF(hL[p * l + c]) * wMlp[c];
        for (int c = lane; c < f; c += 32) part += G[(i64) r * f + c] * mfI[(i64) i * f + c];
        #pragma unroll
        for (int o = 16; o > 0; o >>= 1) part += __shfl_xor_sync(0xffffffffu, part, o);
        if (lane == 0) scores[p] = part + bias;
    }
}

// Marks excluded pairs: for block user r, the items offs[r] .. offs[r+1] of items[].
extern "C" __global__ void mask_items(const int* offs, const int* items, int ub, int ni, unsigned char* mask) {
    int total = offs[ub];
    for (i64 t = blockIdx.x * (i64) blockDim.x + threadIdx.x; t < total; t += (i64) gridDim.x * blockDim.x) {
        int lo = 0, hi = ub;   // the row r with offs[r] <= t < offs[r+1]
        while (hi - lo > 1) { int mid = (lo + hi) >> 1; if (offs[mid] <= t) lo = mid; else hi = mid; }
        mask[(i64) lo * ni + items[t]] = 1;
    }
}

// a ranks before b: higher score, NaN last, equal scores to the lower index (io.ncf.model.rank.TopK.better).
__device__ __forceinline__ bool better(float x, int a, float y, int b) {
    if (isnan(x) || isnan(y)) return isnan(y) ? (!isnan(x) || a < b) : false;
    return x > y || (x == y && a < b);
}

#define TOPK_MAX 64
#define TOPK_THREADS 256

// One block per row: each thread keeps its best k unmasked items (sorted, in local memory), then k rounds of a
// block-wide arg-best over the threads' heads. Writes k (item, score) pairs and how many were found.
extern "C" __global__ void topk_rows(const float* scores, const unsigned char* mask, int ub, int ni, int k,
                                     int* outItems, float* outScores, int* found) {
    __shared__ float bs[TOPK_THREADS];
    __shared__ int bi[TOPK_THREADS], bt[TOPK_THREADS];
    float ls[TOPK_MAX];
    int li[TOPK_MAX];
    for (int r = blockIdx.x; r < ub; r += gridDim.x) {
        const float* s = scores + (i64) r * ni;
        const unsigned char* m = mask + (i64) r * ni;
        int n = 0;
        for (int i = threadIdx.x; i < ni; i += blockDim.x) {
            if (m[i]) continue;
            float v = s[i];
            if (n == k && !better(v, i, ls[k - 1], li[k - 1])) continue;
            int j = n < k ? n++ : k - 1;
            while (j > 0 && better(v, i, ls[j - 1], li[j - 1])) { ls[j] = ls[j - 1]; li[j] = li[j - 1]; j--; }
            ls[j] = v; li[j] = i;
        }
        int head = 0, got = 0;
        for (int round = 0; round < k; round++) {
            bs[threadIdx.x] = head < n ? ls[head] : 0.f;
            bi[threadIdx.x] = head < n ? li[head] : -1;
            bt[threadIdx.x] = threadIdx.x;
            __syncthreads();
            for (int w = blockDim.x >> 1; w > 0; w >>= 1) {
                if (threadIdx.x < w) {
                    int o = threadIdx.x + w;
                    bool take = bi[o] >= 0 && (bi[threadIdx.x] < 0 || better(bs[o], bi[o], bs[threadIdx.x], bi[threadIdx.x]));
                    if (take) { bs[threadIdx.x] = bs[o]; bi[threadIdx.x] = bi[o]; bt[threadIdx.x] = bt[o]; }
                }
                __syncthreads();
            }
            int winner = bt[0], item = bi[0];
            float score = bs[0];
            __syncthreads();
            if (item < 0) break;
            if (threadIdx.x == 0) { outItems[(i64) r * k + round] = item; outScores[(i64) r * k + round] = score; }
            if (threadIdx.x == winner) head++;
            got++;
        }
        if (threadIdx.x == 0) found[r] = got;
        __syncthreads();
    }
}

// One block per row: rank of targets[r] = unmasked other items scoring at least as high (NaN counts against it;
// a NaN target ranks below every other unmasked item); -1 for a negative target.
extern "C" __global__ void rank_rows(const float* scores, const unsigned char* mask, const int* targets, int ub, int ni, int* out) {
    __shared__ int part[TOPK_THREADS];
    for (int r = blockIdx.x; r < ub; r += gridDim.x) {
        int t = targets[r];
        const float* s = scores + (i64) r * ni;
        const unsigned char* m = mask + (i64) r * ni;
        int c = 0;
        if (t >= 0) {
            float x = s[t];
            bool nan = isnan(x);
            for (int i = threadIdx.x; i < ni; i += blockDim.x)
                if (i != t && !m[i] && (nan || s[i] >= x || isnan(s[i]))) c++;
        }
        part[threadIdx.x] = c;
        __syncthreads();
        for (int w = blockDim.x >> 1; w > 0; w >>= 1) {
            if (threadIdx.x < w) part[threadIdx.x] += part[threadIdx.x + w];
            __syncthreads();
        }
        if (threadIdx.x == 0) out[r] = t < 0 ? -1 : part[0];
        __syncthreads();
    }
}
