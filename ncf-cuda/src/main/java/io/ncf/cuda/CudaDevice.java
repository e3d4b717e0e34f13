package io.ncf.cuda;

import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cudart.CUctx_st;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.SizeTPointer;

import java.util.ArrayList;
import java.util.List;

import static org.bytedeco.cuda.global.cublas.*;
import static org.bytedeco.cuda.global.cudart.*;

/**
 * One GPU: its primary context (made current on the calling thread by {@link #makeCurrent}), a cuBLAS handle and
 * the device allocations made through it (freed on close). All work goes to the default stream, so calls from
 * one thread are ordered; each GPU is driven by one thread.
 */
public final class CudaDevice implements AutoCloseable {

    private final int ordinal;
    private final CUctx_st context;
    private final String name;
    private final int ccMajor, ccMinor, multiprocessors;
    private final long totalMemory;
    private final cublasContext cublas;
    private final List<Long> allocations = new ArrayList<>();

    private CudaDevice(int ordinal) {
        this.ordinal = ordinal;
        check(cuInit(0), "cuInit");
        int[] dev = new int[1];
        check(cuDeviceGet(dev, ordinal), "cuDeviceGet(" + ordinal + ")");
        CUctx_st ctx = new CUctx_st();
        check(cuDevicePrimaryCtxRetain(ctx, dev[0]), "cuDevicePrimaryCtxRetain");
        this.context = ctx;
        makeCurrent();
        byte[] nameBytes = new byte[256];
        check(cuDeviceGetName(nameBytes, nameBytes.length, dev[0]), "cuDeviceGetName");
        int len = 0;
        while (len < nameBytes.length && nameBytes[len] != 0) len++;
        this.name = new String(nameBytes, 0, len, java.nio.charset.StandardCharsets.US_ASCII);
        this.ccMajor = attribute(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev[0]);
        this.ccMinor = attribute(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev[0]);
        this.multiprocessors = attribute(CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, dev[0]);
        SizeTPointer free = new SizeTPointer(1), total = new SizeTPointer(1);
        check(cuMemGetInfo(free, total), "cuMemGetInfo");
        this.totalMemory = total.get();
        cublasContext h = new cublasContext();
        checkBlas(cublasCreate_v2(h), "cublasCreate");
        this.cublas = h;
    }

    /** Opens GPU {@code ordinal} and makes its context current on this thread. */
    public static CudaDevice open(int ordinal) { return new CudaDevice(ordinal); }

    public static int count() {
        check(cuInit(0), "cuInit");
        int[] n = new int[1];
        check(cuDeviceGetCount(n), "cuDeviceGetCount");
        return n[0];
    }

    private static int attribute(int attr, int dev) {
        int[] v = new int[1];
        check(cuDeviceGetAttribute(v, attr, dev), "cuDeviceGetAttribute(" + attr + ")");
        return v[0];
    }

    /** Binds this GPU's context to the calling thread (needed once per thread before any other call). */
    public void makeCurrent() { check(cuCtxSetCurrent(context), "cuCtxSetCurrent"); }

    public int ordinal() { return ordinal; }
    public String name() { return name; }
    public int computeMajor() { return ccMajor; }
    public int computeMinor() { return ccMinor; }
    public int multiprocessors() { return multiprocessors; }
    public long totalMemory() { return totalMemory; }
    public cublasContext cublas() { return cublas; }

    public String describe() {
        return String.format("GPU %d: %s, sm_%d%d, %d SMs, %.1f GiB", ordinal, name, ccMajor, ccMinor, multiprocessors,
                totalMemory / (1024.0 * 1024 * 1024));
    }

    /** Device allocation of {@code bytes} (at least 1), freed when the device is closed. */
    public long alloc(long bytes) {
        long[] p = new long[1];
        check(cuMemAlloc(p, Math.max(1, bytes)), "cuMemAlloc(" + bytes + " bytes)");
        allocations.add(p[0]);
        return p[0];
    }

    /** Frees an allocation made by {@link #alloc} before the device closes. */
    public void free(long address) {
        if (allocations.remove(Long.valueOf(address))) check(cuMemFree(address), "cuMemFree");
    }

    public void upload(long dst, float[] src, int from, int count) {
        if (count == 0) return;
        try (FloatPointer h = new FloatPointer(count)) {
            h.put(src, from, count);
            check(cuMemcpyHtoD(dst, h, 4L * count), "cuMemcpyHtoD");
        }
    }

    public void upload(long dst, int[] src, int from, int count) {
        if (count == 0) return;
        try (IntPointer h = new IntPointer(count)) {
            h.put(src, from, count);
            check(cuMemcpyHtoD(dst, h, 4L * count), "cuMemcpyHtoD");
        }
    }

    public void download(long src, float[] dst, int from, int count) {
        if (count == 0) return;
        try (FloatPointer h = new FloatPointer(count)) {
            check(cuMemcpyDtoH(h, src, 4L * count), "cuMemcpyDtoH");
            h.get(dst, from, count);
        }
    }

    public void download(long src, int[] dst, int from, int count) {
        if (count == 0) return;
        try (IntPointer h = new IntPointer(count)) {
            check(cuMemcpyDtoH(h, src, 4L * count), "cuMemcpyDtoH");
            h.get(dst, from, count);
        }
    }

    public double downloadDouble(long src) {
        try (BytePointer h = new BytePointer(8)) {
            check(cuMemcpyDtoH(h, src, 8), "cuMemcpyDtoH");
            return h.getDouble(0);
        }
    }

    public long downloadLong(long src) {
        try (BytePointer h = new BytePointer(8)) {
            check(cuMemcpyDtoH(h, src, 8), "cuMemcpyDtoH");
            return h.getLong(0);
        }
    }

    public void zero(long dst, long bytes) {
        if (bytes % 4 != 0) throw new IllegalArgumentException("zero() needs a multiple of 4 bytes, got " + bytes);
        if (bytes > 0) check(cuMemsetD32(dst, 0, bytes / 4), "cuMemsetD32");
    }

    public void copy(long dst, long src, long bytes) {
        if (bytes > 0) check(cuMemcpyDtoD(dst, src, bytes), "cuMemcpyDtoD");
    }

    public void synchronize() { check(cuCtxSynchronize(), "cuCtxSynchronize (an earlier kernel or copy failed)"); }

    static Pointer ptr(long address) { return new DevicePointer(address); }

    static void check(int rc, String what) {
        if (rc != CUDA_SUCCESS) {
            BytePointer msg = new BytePointer((Pointer) null);
            String text = cuGetErrorString(rc, msg) == CUDA_SUCCESS && msg.address() != 0 ? msg.getString() : "unknown error";
            throw new CudaException(what + " failed: CUDA error " + rc + " (" + text + ")");
        }
    }

    static void checkBlas(int rc, String what) {
        if (rc != CUBLAS_STATUS_SUCCESS) {
            BytePointer s = cublasGetStatusString(rc);
            throw new CudaException(what + " failed: cuBLAS status " + rc + " (" + (s == null ? "?" : s.getString()) + ")");
        }
    }

    @Override public void close() {
        makeCurrent();
        cuCtxSynchronize();
        for (long p : allocations) cuMemFree(p);
        allocations.clear();
        cublasDestroy_v2(cublas);
    }
}
