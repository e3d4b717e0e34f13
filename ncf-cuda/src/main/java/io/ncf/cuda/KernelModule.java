package io.ncf.cuda;

import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUmod_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.nvrtc._nvrtcProgram;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.SizeTPointer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.bytedeco.cuda.global.cudart.*;
import static org.bytedeco.cuda.global.nvrtc.*;

/**
 * The NeuMF kernels, compiled by NVRTC to machine code for the GPU found at run time (sm_XY from its compute
 * capability), loaded with the driver API and launched with arguments written into one reusable slot buffer.
 * A module belongs to one thread (launch arguments are staged in shared native memory).
 */
public final class KernelModule {

    static final String SOURCE = "neumf_kernels.cu";
    private static final int MAX_ARGS = 32;

    private final CUmod_st module;
    private final Map<String, CUfunc_st> functions = new HashMap<>();
    private final BytePointer argSlots = new BytePointer(8L * MAX_ARGS);
    private final PointerPointer<?> argPointers = new PointerPointer<>(MAX_ARGS);
    private final double compileSeconds;

    private KernelModule(byte[] cubin, double compileSeconds) {
        this.compileSeconds = compileSeconds;
        BytePointer image = new BytePointer(cubin.length);
        image.put(cubin);
        CUmod_st m = new CUmod_st();
        CudaDevice.check(cuModuleLoadData(m, image), "cuModuleLoadData");
        this.module = m;
        for (int i = 0; i < MAX_ARGS; i++) argPointers.put(i, new DevicePointer(argSlots.address() + 8L * i));
    }

    /** Compiles the kernel source for {@code device} with the activation type of {@code precision}. */
    public static KernelModule load(CudaDevice device, Precision precision) {
        long t0 = System.nanoTime();
        String source = readSource();
        List<String> opts = new ArrayList<>();
        opts.add("--gpu-architecture=sm_" + device.computeMajor() + device.computeMinor());
        opts.add("--std=c++17");
        if (precision.kernelDefine() != null) opts.add("-D" + precision.kernelDefine());
        byte[] cubin = compile(source, opts);
        return new KernelModule(cubin, (System.nanoTime() - t0) / 1e9);
    }

    public double compileSeconds() { return compileSeconds; }

    static String readSource() {
        try (InputStream in = KernelModule.class.getResourceAsStream(SOURCE)) {
            if (in == null) throw new IllegalStateException("kernel source " + SOURCE + " missing from the ncf-cuda jar");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read kernel source " + SOURCE, e);
        }
    }

    private static byte[] compile(String source, List<String> options) {
        _nvrtcProgram prog = new _nvrtcProgram();
        checkNvrtc(nvrtcCreateProgram(prog, new BytePointer(source), new BytePointer(SOURCE), 0,
                (PointerPointer<?>) null, (PointerPointer<?>) null), "nvrtcCreateProgram", null);
        try {
            int rc = nvrtcCompileProgram(prog, options.size(), new PointerPointer<>(options.toArray(new String[0])));
            if (rc != NVRTC_SUCCESS) checkNvrtc(rc, "nvrtcCompileProgram " + options, log(prog));
            SizeTPointer size = new SizeTPointer(1);
            checkNvrtc(nvrtcGetCUBINSize(prog, size), "nvrtcGetCUBINSize", null);
            byte[] cubin = new byte[(int) size.get()];
            checkNvrtc(nvrtcGetCUBIN(prog, cubin), "nvrtcGetCUBIN", null);
            return cubin;
        } finally {
            nvrtcDestroyProgram(prog);
        }
    }

    private static String log(_nvrtcProgram prog) {
        SizeTPointer size = new SizeTPointer(1);
        if (nvrtcGetProgramLogSize(prog, size) != NVRTC_SUCCESS) return "(no log)";
        byte[] b = new byte[(int) size.get()];
        nvrtcGetProgramLog(prog, b);
        return new String(b, StandardCharsets.UTF_8).trim();
    }

    private static void checkNvrtc(int rc, String what, String log) {
        if (rc != NVRTC_SUCCESS) {
            BytePointer s = nvrtcGetErrorString(rc);
            throw new CudaException(what + " failed: NVRTC error " + rc + " (" + (s == null ? "?" : s.getString()) + ")"
                    + (log == null || log.isEmpty() ? "" : "\n" + log));
        }
    }

    private CUfunc_st function(String name) {
        return functions.computeIfAbsent(name, n -> {
            CUfunc_st f = new CUfunc_st();
            CudaDevice.check(cuModuleGetFunction(f, module, n), "cuModuleGetFunction(" + n + ")");
            return f;
        });
    }

    /**
     * Launches {@code name} on a 1-D grid. Arguments: {@link Long} for pointers and 64-bit integers,
     * {@link Integer}, {@link Float}, {@link Double}; they must match the kernel's parameter list in order.
     */
    public void launch(String name, long grid, int block, Object... args) {
        if (args.length > MAX_ARGS) throw new IllegalArgumentException(name + ": too many arguments (" + args.length + ")");
        if (grid < 1) grid = 1;
        if (grid > Integer.MAX_VALUE) throw new IllegalArgumentException(name + ": grid of " + grid + " blocks");
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            long off = 8L * i;
            if (a instanceof Long l) argSlots.putLong(off, l);
            else if (a instanceof Integer n) argSlots.putInt(off, n);
            else if (a instanceof Float x) argSlots.putFloat(off, x);
            else if (a instanceof Double d) argSlots.putDouble(off, d);
            else throw new IllegalArgumentException(name + ": argument " + i + " has unsupported type " + (a == null ? "null" : a.getClass()));
        }
        CudaDevice.check(cuLaunchKernel(function(name), (int) grid, 1, 1, block, 1, 1, 0, (CUstream_st) null,
                argPointers, (PointerPointer<?>) null), "cuLaunchKernel(" + name + ")");
    }
}
