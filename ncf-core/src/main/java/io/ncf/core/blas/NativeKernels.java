package io.ncf.core.blas;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * ncf's own AVX-512 kernels ({@code src/main/c/ncf_kernels.c}, built with the module into
 * {@code io/ncf/core/blas/native/linux-x86_64/libncfkernels.so}): a product with its element-wise max as the
 * epilogue ({@link #gemmMax}), over weights packed once ({@link #pack}), the max alone ({@link #fmax}) and the heads'
 * per-row dot products ({@link #rowDots}). The
 * scoring kernel uses them in place of BLAS + a separate max wherever they load; they need Linux x86-64 and a CPU
 * with AVX-512F.
 *
 * <p>Off with the system property {@code ncf.nativeKernels=off} (or the environment variable
 * {@code NCF_NATIVE_KERNELS=off}), read when a scoring kernel is built: it then runs on the BLAS library alone, as
 * it does where the library is absent. {@link #status()} says which and why, for start-up lines and benchmark tables.
 */
public final class NativeKernels {

    /** Columns per packed panel of B (two AVX-512 vectors). */
    public static final int PANEL = 32;
    public static final String PROPERTY = "ncf.nativeKernels", ENV = "NCF_NATIVE_KERNELS";
    private static final int VERSION = 2;
    private static final String RESOURCE = "native/linux-x86_64/libncfkernels.so";

    private static final String LOAD_STATUS;
    private static final boolean LOADED;

    static {
        String[] why = new String[1];
        LOADED = load(why);
        LOAD_STATUS = why[0];
    }

    private NativeKernels() {}

    /**
     * Whether the kernels run here: loaded, the CPU supports them, and not switched off ({@link #PROPERTY}, else
     * {@link #ENV}: {@code auto} or {@code off}).
     *
     * @throws IllegalArgumentException for another value of the setting, named with where it came from
     */
    public static boolean available() { return LOADED && !switchedOff(); }

    /** Whether the library loaded and the CPU runs it, whatever the switch says. */
    public static boolean loaded() { return LOADED; }

    /** One line: what runs and why ("ncf AVX-512 kernels", or the reason they do not run). */
    public static String status() { return LOADED && switchedOff() ? "ncf kernels off (" + setting() + ")" : LOAD_STATUS; }

    private static String setting() { return Blas.settingSource(PROPERTY, System.getProperty(PROPERTY), ENV, System.getenv(ENV)); }

    private static boolean switchedOff() {
        String source = setting();
        if (source == null) return false;
        return switch (source.substring(source.indexOf('=') + 1).trim().toLowerCase(Locale.ROOT)) {
            case "auto" -> false;
            case "off" -> true;
            default -> throw new IllegalArgumentException(source + ": unknown setting: expected auto or off");
        };
    }

    private static boolean load(String[] why) {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT), arch = System.getProperty("os.arch", "");
        if (!os.startsWith("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) { why[0] = "no ncf kernels for " + os + "/" + arch; return false; }
        URL url = NativeKernels.class.getResource(RESOURCE);
        if (url == null) { why[0] = "no ncf kernels (not built: gcc was missing when ncf-core was built)"; return false; }
        try {
            Path lib = "file".equals(url.getProtocol()) ? Path.of(url.toURI()) : extract(url);
            System.load(lib.toAbsolutePath().toString());
            if (version() != VERSION) { why[0] = "ncf kernels of another version (" + version() + ", want " + VERSION + "): rebuild ncf-core"; return false; }
            if (cpuSupported() == 0) { why[0] = "no ncf kernels: the CPU has no AVX-512F"; return false; }
            why[0] = "ncf AVX-512 kernels";
            return true;
        } catch (Exception | LinkageError e) {
            why[0] = "ncf kernels failed to load (" + e + ")";
            return false;
        }
    }

    /** A jar's library copied to a temporary file (deleted on exit): System.load needs a path. */
    private static Path extract(URL url) throws IOException {
        Path tmp = Files.createTempFile("ncfkernels", ".so");
        tmp.toFile().deleteOnExit();
        try (InputStream in = url.openStream()) { Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING); }
        return tmp;
    }

    /** Floats a packed B of {@code k × n} takes: whole panels, columns past n zero. */
    public static long packedLength(int k, int n) { return (long) ((n + PANEL - 1) / PANEL) * PANEL * k; }

    /**
     * B[k, n] (row-major, row stride {@code ldb}) packed for {@link #gemmMax}: panels of {@link #PANEL} columns, each
     * k rows, 64-byte aligned. Free it with {@code close()}.
     */
    public static Pointer pack(int k, int n, FloatPointer b, int ldb) {
        long len = packedLength(k, n);
        float[] src = new float[Math.multiplyExact(k, ldb)];
        Blas.span(b, (long) k * ldb).get(src);
        float[] dst = new float[Math.toIntExact(len)];
        int panels = (n + PANEL - 1) / PANEL;
        for (int p = 0; p < panels; p++)
            for (int q = 0; q < k; q++)
                for (int j = 0; j < PANEL && p * PANEL + j < n; j++) dst[(p * k + q) * PANEL + j] = src[q * ldb + p * PANEL + j];
        FloatPointer raw = new FloatPointer(len + 16);
        long skip = ((64 - raw.address() % 64) % 64) / 4;
        Blas.span(new FloatPointer(raw).position(skip), len).put(dst);
        return new Packed(raw, skip);
    }

    /** A packed B: owns the raw allocation, points {@code skip} floats in (the 64-byte boundary). */
    private static final class Packed extends FloatPointer {
        private final FloatPointer raw;

        Packed(FloatPointer raw, long skip) {
            super(raw);
            this.raw = raw;
            position(skip);
        }

        @Override public void close() { raw.close(); }
    }

    /**
     * {@code C[m, n] = max(A[m, k] B, neg[r mod negRows])} (each row r of C against row {@code r mod negRows} of
     * {@code neg}, whose rows are n floats apart), or {@code C = A B} where {@code neg} is null; B from {@link #pack}.
     * On the calling thread; a row's result does not depend on m or on the row's position.
     */
    public static void gemmMax(int m, int n, int k, FloatPointer a, int lda, Pointer packedB, FloatPointer neg, int negRows, FloatPointer c, int ldc) {
        if (!LOADED) throw new IllegalStateException(LOAD_STATUS);
        if (neg != null && negRows <= 0) throw new IllegalArgumentException("negRows must be positive, got " + negRows);
        if (!(packedB instanceof Packed pb)) throw new IllegalArgumentException("B must come from NativeKernels.pack");
        gemmMax0(m, n, k, addr(a), lda, addr(pb), neg == null ? 0 : addr(neg), Math.max(1, negRows), addr(c), ldc);
    }

    /** {@code out[j] = max(a[j], b[j])}, j in [0, n); a NaN in {@code a} gives {@code b[j]} (as MKL's vsFmax). */
    public static void fmax(int n, FloatPointer a, FloatPointer b, FloatPointer out) {
        if (!LOADED) throw new IllegalStateException(LOAD_STATUS);
        fmax0(n, addr(a), addr(b), addr(out));
    }

    /**
     * {@code out[r] = A[r, 0:n) · V[idx[r], 0:n)} for r in [0, m): row r of A against row {@code idx[r]} of V (rows
     * {@code ldv} apart), or against V's first row where {@code idx} is null. A row's result does not depend on m or
     * on its position.
     */
    public static void rowDots(int m, int n, FloatPointer a, int lda, FloatPointer v, int ldv, org.bytedeco.javacpp.IntPointer idx, FloatPointer out) {
        if (!LOADED) throw new IllegalStateException(LOAD_STATUS);
        rowDots0(m, n, addr(a), lda, addr(v), ldv, addrOrZero(idx), addr(out));
    }

    private static long addr(FloatPointer p) { return p.address() + p.position() * (long) Float.BYTES; }

    private static long addr(org.bytedeco.javacpp.ShortPointer p) { return p.address() + p.position() * (long) Short.BYTES; }

    private static long addr(org.bytedeco.javacpp.IntPointer p) { return p.address() + p.position() * (long) Integer.BYTES; }

    private static long addr(org.bytedeco.javacpp.LongPointer p) { return p.address() + p.position() * (long) Long.BYTES; }

    // optional arguments: 0 for null, which the kernels read as "none"
    private static long addrOrZero(FloatPointer p) { return p == null ? 0 : addr(p); }

    private static long addrOrZero(org.bytedeco.javacpp.ShortPointer p) { return p == null ? 0 : addr(p); }

    private static long addrOrZero(org.bytedeco.javacpp.IntPointer p) { return p == null ? 0 : addr(p); }

    private static long addrOrZero(org.bytedeco.javacpp.LongPointer p) { return p == null ? 0 : addr(p); }

    // ------------------------------------------------------------------------------------ the 16-bit training path

    /** The widest layer the 16-bit training kernels take (their per-row mask scratch). */
    public static final int MAX_TRAINING_WIDTH = 2048;

    /**
     * Whether the 16-bit training kernels ({@link #forwardAct}, {@link #gatherAct}, {@link #backwardAct},
     * {@link #toHalf}, {@link #fromHalf}) run here: loaded, and the CPU has AVX-512 F, DQ, BW and VL. Not affected by
     * the scoring switch ({@link #PROPERTY}): there is no other 16-bit path to switch to.
     */
    public static boolean trainingAvailable() { return LOADED && TRAINING; }

    private static final boolean TRAINING = LOADED && trainingSupported() == 1;

    private static void requireTraining() {
        if (!LOADED) throw new IllegalStateException(LOAD_STATUS);
        if (!TRAINING) throw new IllegalStateException("the 16-bit training kernels need AVX-512 DQ, BW and VL, which this CPU lacks");
    }

    private static void requireWidth(int w) {
        if (w < 1 || w > MAX_TRAINING_WIDTH) throw new IllegalArgumentException("width " + w + " outside [1, " + MAX_TRAINING_WIDTH + "]");
    }

    /**
     * Forward epilogue of a dense layer over {@code rows} rows of width {@code w}: {@code v = max(z + bias, 0) * mask}
     * (the mask of {@code io.ncf.model.DropoutMask}: row r's units kept where their 16-bit draws from
     * {@code states[r]} are at least {@code threshold}, times {@code keep}; {@code states} null: no dropout), written
     * as 16-bit into {@code out16} and, where {@code outF32} is not null (it may be {@code z}), as float.
     */
    public static void forwardAct(int rows, int w, FloatPointer z, FloatPointer bias, org.bytedeco.javacpp.LongPointer states,
                                  int threshold, float keep, org.bytedeco.javacpp.ShortPointer out16, HalfFormat fmt, FloatPointer outF32) {
        requireTraining();
        requireWidth(w);
        forwardAct0(rows, w, addr(z), addr(bias), addrOrZero(states), threshold, keep,
                addr(out16), fmt.code, addrOrZero(outF32));
    }

    /**
     * The factored first layer's forward for samples {@code [0, n)}: {@code v = max(pu[users[s]] + pi[items[s]] + bias, 0) * mask}
     * over rows of width {@code w}, written as in {@link #forwardAct}.
     */
    public static void gatherAct(int n, int w, org.bytedeco.javacpp.IntPointer users, org.bytedeco.javacpp.IntPointer items,
                                 FloatPointer pu, FloatPointer pi, FloatPointer bias, org.bytedeco.javacpp.LongPointer states,
                                 int threshold, float keep, org.bytedeco.javacpp.ShortPointer out16, HalfFormat fmt, FloatPointer outF32) {
        requireTraining();
        requireWidth(w);
        gatherAct0(n, w, addr(users), addr(items), addr(pu), addr(pi), addr(bias),
                addrOrZero(states), threshold, keep, addr(out16), fmt.code, addrOrZero(outF32));
    }

    /**
     * Backward epilogue over {@code rows} rows of width {@code w}: {@code v = d * keep * [x > 0]}, x the forward's
     * 16-bit ReLU output; adds the column sums of v into {@code biasAcc[0, w)} and writes v as 16-bit into
     * {@code out16}, or where it is null as float back into {@code d}.
     */
    public static void backwardAct(int rows, int w, FloatPointer d, org.bytedeco.javacpp.ShortPointer x16, float keep,
                                   org.bytedeco.javacpp.ShortPointer out16, HalfFormat fmt, FloatPointer biasAcc) {
        requireTraining();
        backwardAct0(rows, w, addr(d), addr(x16), keep, addrOrZero(out16), fmt.code, addr(biasAcc));
    }

    /** {@code dst[i] = 16-bit src[i]} (round to nearest even) for i in [0, n). */
    public static void toHalf(long n, FloatPointer src, org.bytedeco.javacpp.ShortPointer dst, HalfFormat fmt) {
        requireTraining();
        toHalf0(n, addr(src), addr(dst), fmt.code);
    }

    /** {@code dst[i] = src[i]} widened to float (exact) for i in [0, n). */
    public static void fromHalf(long n, org.bytedeco.javacpp.ShortPointer src, FloatPointer dst, HalfFormat fmt) {
        requireTraining();
        fromHalf0(n, addr(src), addr(dst), fmt.code);
    }

    // ------------------------------------------------------------------------------------ AMX-BF16 with fused epilogues

    private static final boolean AMX = TRAINING && amxSupported() == 1;

    /**
     * Whether the AMX-BF16 layer kernels ({@link #amxForward}, {@link #amxBackward}) run here: the training kernels
     * run, the CPU has AMX-BF16 and Linux granted this process the tile registers.
     */
    public static boolean amxAvailable() { return AMX; }

    /** Whether a product of inner dimension {@code k} and {@code n} output columns fits the AMX kernels' blocking. */
    public static boolean amxShape(int k, int n) { return k > 0 && n > 0 && k % 32 == 0 && n % 16 == 0; }

    /**
     * {@code w} (k x n, row stride {@code ldw}; or, with {@code transpose}, the n x k matrix whose transpose is B)
     * rounded to BF16 into the AMX kernels' B layout ({@code k * n} shorts; {@link #amxShape}).
     */
    public static void amxPack(int k, int n, FloatPointer w, int ldw, boolean transpose, org.bytedeco.javacpp.ShortPointer out) {
        requireAmx(k, n);
        amxPack0(k, n, addr(w), ldw, transpose ? 1 : 0, addr(out));
    }

    /**
     * {@link #forwardAct}'s epilogue over the BF16 product {@code A (rows x k, ld lda) B} (B from {@link #amxPack}),
     * without writing the product: out16 and outF32 (may be null) have row stride n.
     */
    public static void amxForward(int rows, int k, int n, org.bytedeco.javacpp.ShortPointer a, int lda, org.bytedeco.javacpp.ShortPointer packedB,
                                  FloatPointer bias, org.bytedeco.javacpp.LongPointer states, int threshold, float keep,
                                  org.bytedeco.javacpp.ShortPointer out16, FloatPointer outF32) {
        requireAmx(k, n);
        requireWidth(n);
        amxForward0(rows, k, n, addr(a), lda, addr(packedB), addr(bias), addrOrZero(states),
                threshold, keep, addr(out16), addrOrZero(outF32));
    }

    /**
     * {@link #backwardAct}'s epilogue over the BF16 product {@code dZ (rows x k, ld lda) B} (B = W^T from
     * {@link #amxPack} with {@code transpose}), gated by {@code x16} (row stride n): into out16, or where it is null
     * into outF32 (row stride n); column sums added into {@code biasAcc[0, n)}.
     */
    public static void amxBackward(int rows, int k, int n, org.bytedeco.javacpp.ShortPointer dz, int lda, org.bytedeco.javacpp.ShortPointer packedB,
                                   org.bytedeco.javacpp.ShortPointer x16, float keep, org.bytedeco.javacpp.ShortPointer out16, FloatPointer outF32,
                                   FloatPointer biasAcc) {
        requireAmx(k, n);
        if (out16 == null && outF32 == null) throw new IllegalArgumentException("amxBackward needs out16 or outF32");
        amxBackward0(rows, k, n, addr(dz), lda, addr(packedB), addr(x16), keep, addrOrZero(out16), addrOrZero(outF32), addr(biasAcc));
    }

    private static void requireAmx(int k, int n) {
        if (!AMX) throw new IllegalStateException("the AMX-BF16 kernels do not run here (" + (TRAINING ? "no AMX-BF16, or Linux refused the tile registers" : status()) + ")");
        if (!amxShape(k, n)) throw new IllegalArgumentException("AMX kernels take k % 32 == 0 and n % 16 == 0, got k=" + k + ", n=" + n);
    }

    /**
     * The fused engine's embedding-gradient scatter for worker {@code worker} of {@code threads} (FP32): for every
     * sample s in [0, n) whose user u has {@code u % threads == worker}, {@code gMfUser[u] += (dz[s] * fw) * mfItem[items[s]]}
     * (f wide) and {@code toUser[u] += src[s, userAt .. userAt + len)} (rows {@code stride} apart); likewise for items.
     * The same operations in the same order as the engine's Java loop, so the same bits.
     */
    public static void scatterRows(int n, org.bytedeco.javacpp.IntPointer users, org.bytedeco.javacpp.IntPointer items, FloatPointer dz,
                                   int threads, int worker, int f, FloatPointer fw, FloatPointer mfUser, FloatPointer mfItem,
                                   FloatPointer gMfUser, FloatPointer gMfItem, FloatPointer src, int stride, int userAt, int itemAt, int len,
                                   FloatPointer toUser, FloatPointer toItem) {
        requireTraining();
        if (threads < 1 || worker < 0 || worker >= threads) throw new IllegalArgumentException("worker " + worker + " of " + threads);
        scatterRows0(n, addr(users), addr(items), addr(dz), threads, worker, f, addr(fw),
                addr(mfUser), addr(mfItem), addr(gMfUser), addr(gMfItem), addr(src), stride, userAt, itemAt, len, addr(toUser), addr(toItem));
    }

    private static native void scatterRows0(int n, long users, long items, long dz, int threads, int worker, int f, long fw, long mfUser, long mfItem,
                                            long gMfUser, long gMfItem, long src, int stride, int userAt, int itemAt, int len, long toUser, long toItem);

    /**
     * The scoring kernel's BF16 layer on AMX: {@code C = max(A B, neg[r mod negRows])} with A (rows x k, ld lda, BF16),
     * B from {@link #amxPack}, neg rows n floats apart; into out16 (BF16, ld n), or where it is null outF32 (ld n). A
     * row's result does not depend on the call's row count or its position.
     */
    public static void amxGemmMax(int rows, int k, int n, org.bytedeco.javacpp.ShortPointer a, int lda, org.bytedeco.javacpp.ShortPointer packedB,
                                  FloatPointer neg, int negRows, org.bytedeco.javacpp.ShortPointer out16, FloatPointer outF32) {
        requireAmx(k, n);
        if (negRows <= 0) throw new IllegalArgumentException("negRows must be positive, got " + negRows);
        if (out16 == null && outF32 == null) throw new IllegalArgumentException("amxGemmMax needs out16 or outF32");
        amxGemmMax0(rows, k, n, addr(a), lda, addr(packedB), addr(neg), negRows, addrOrZero(out16), addrOrZero(outF32));
    }

    private static native void amxGemmMax0(int rows, int k, int n, long a, int lda, long bp, long neg, int negRows, long out16, long outF32);

    /**
     * Dense Adam over {@code n} floats from the buffers' positions (direct buffers): the same bits as
     * {@code AdamKernels}' Java loop (see ncf_kernels.c), on the calling thread.
     */
    public static void adam(long n, java.nio.FloatBuffer p, java.nio.FloatBuffer g, java.nio.FloatBuffer m, java.nio.FloatBuffer v,
                            float b1, float b2, float c1, float c2, float eps, float stepSize, float ib2, boolean clearGrad) {
        requireTraining();
        for (java.nio.FloatBuffer b : new java.nio.FloatBuffer[]{p, g, m, v})
            if (!b.isDirect() || b.remaining() < n) throw new IllegalArgumentException("Adam needs direct buffers of at least " + n + " floats");
        adam0(n, addr(p), addr(g), addr(m), addr(v), b1, b2, c1, c2, eps, stepSize, ib2, clearGrad ? 1 : 0);
    }

    private static long addr(java.nio.FloatBuffer b) { return new FloatPointer(b).address() + (long) b.position() * Float.BYTES; }

    private static native void adam0(long n, long p, long g, long m, long v, float b1, float b2, float c1, float c2, float eps, float stepSize,
                                     float ib2, int clearGrad);

    private static native int amxSupported();

    private static native void amxPack0(int k, int n, long w, int ldw, int trans, long out);

    private static native void amxForward0(int rows, int k, int n, long a, int lda, long bp, long bias, long states, int threshold, float keep,
                                           long out16, long outF32);

    private static native void amxBackward0(int rows, int k, int n, long a, int lda, long bp, long x16, float keep, long out16, long outF32, long biasAcc);

    private static native int trainingSupported();

    private static native void forwardAct0(int rows, int w, long z, long bias, long states, int threshold, float keep, long out16, int fmt, long outF32);

    private static native void gatherAct0(int n, int w, long users, long items, long pu, long pi, long bias, long states, int threshold,
                                          float keep, long out16, int fmt, long outF32);

    private static native void backwardAct0(int rows, int w, long d, long x16, float keep, long out16, int fmt, long biasAcc);

    private static native void toHalf0(long n, long src, long dst, int fmt);

    private static native void fromHalf0(long n, long src, long dst, int fmt);

    private static native int version();

    private static native int cpuSupported();

    private static native void gemmMax0(int m, int n, int k, long a, int lda, long bp, long neg, int negRows, long c, int ldc);

    private static native void rowDots0(int m, int n, long a, int lda, long v, int ldv, long idx, long out);

    private static native void fmax0(int n, long a, long b, long out);
}
