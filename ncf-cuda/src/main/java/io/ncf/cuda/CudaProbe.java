package io.ncf.cuda;

/**
 * Finds out, without throwing, whether this JVM can use an NVIDIA GPU through JavaCPP's CUDA presets: the native
 * libraries load (NVIDIA driver + CUDA 13 runtime libraries on the loader path) and at least one device answers.
 * Callers print {@link Result#message()} instead of a stack trace when it is not available.
 */
public final class CudaProbe {

    public record Result(boolean available, int deviceCount, String message) {}

    private static volatile Result cached;

    private CudaProbe() {}

    public static Result probe() {
        Result r = cached;
        if (r == null) cached = r = run();
        return r;
    }

    private static Result run() {
        try {
            int n = CudaDevice.count();
            if (n == 0) return new Result(false, 0, "no CUDA GPU found (the NVIDIA driver reports 0 devices)");
            StringBuilder sb = new StringBuilder();
            try (CudaDevice d = CudaDevice.open(0)) {
                sb.append(n).append(" CUDA GPU(s); ").append(d.describe());
            }
            return new Result(true, n, sb.toString());
        } catch (UnsatisfiedLinkError | NoClassDefFoundError | ExceptionInInitializerError e) {
            return new Result(false, 0, "CUDA is not available: the native libraries did not load (" + rootMessage(e)
                    + "). The CUDA engine needs an NVIDIA GPU, its driver and the CUDA 13 runtime libraries"
                    + " (libcudart, libcublas, libcublasLt, libnvrtc; libnccl for several GPUs) on the loader path.");
        } catch (CudaException e) {
            return new Result(false, 0, "CUDA is not available: " + e.getMessage());
        } catch (RuntimeException e) {
            return new Result(false, 0, "CUDA is not available: " + rootMessage(e));
        }
    }

    private static String rootMessage(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) c = c.getCause();
        String m = c.getMessage();
        return c.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }
}
