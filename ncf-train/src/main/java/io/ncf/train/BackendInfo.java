package io.ncf.train;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Which ND4J backend actually loaded (CPU or CUDA), on how many devices, with which BLAS, and which data types
 * this run computes in: printed at start-up so a user sees what they are running on (a -Pcuda jar on a machine
 * whose GPU the backend cannot drive silently falls back to nothing useful).
 *
 * @param backend     the backend class's simple name, e.g. {@code CpuBackend} or {@code JCublasBackend}
 * @param devices     devices the {@code AffinityManager} sees (1 on the CPU backend)
 * @param blasVendor  e.g. {@code OPENBLAS}, {@code MKL}, {@code CUBLAS}
 * @param blasThreads the BLAS library's thread count (-1 if it does not say)
 */
public record BackendInfo(String backend, int devices, String blasVendor, int blasThreads,
                          String computeType, String masterType) {

    public static BackendInfo current(boolean fp16) {
        String backend = Nd4j.getBackend().getClass().getSimpleName();
        int devices = Nd4j.getAffinityManager().getNumberOfDevices();
        String vendor;
        int threads;
        try {
            vendor = String.valueOf(Nd4j.factory().blas().getBlasVendor());
            threads = Nd4j.factory().blas().getMaxThreads();
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            vendor = "unknown";
            threads = -1;
        }
        return new BackendInfo(backend, devices, vendor, threads,
                (fp16 ? DataType.HALF : DataType.FLOAT).name(), DataType.FLOAT.name());
    }

    /** The same with another compute type (e.g. an engine's 16-bit products outside ND4J). */
    public BackendInfo withCompute(String computeType) {
        return new BackendInfo(backend, devices, blasVendor, blasThreads, computeType, masterType);
    }

    /** True on a CUDA backend: the fused engine calls OpenBLAS on host memory and cannot run there. */
    public boolean isCuda() { return isCudaBackend(backend); }

    public static boolean isCudaBackend(String backendName) { String b = backendName.toLowerCase(java.util.Locale.ROOT);
        return b.contains("cublas") || b.contains("cuda"); }

    /** The start-up line. */
    public String line() {
        return String.format("Backend: %s, %d device%s, BLAS %s (%s threads); compute %s, master weights %s",
                backend, devices, devices == 1 ? "" : "s", blasVendor, blasThreads < 0 ? "?" : Integer.toString(blasThreads),
                computeType, masterType);
    }

    /** The same facts as JSON-log parameters. */
    public Map<String, Object> asParameters() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("backend", backend);
        m.put("devices", devices);
        m.put("blas_vendor", blasVendor);
        m.put("blas_threads", blasThreads);
        m.put("compute_type", computeType);
        m.put("master_type", masterType);
        return m;
    }
}
