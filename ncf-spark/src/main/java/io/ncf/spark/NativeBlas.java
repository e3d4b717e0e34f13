package io.ncf.spark;

/**
 * Keeps MLlib's native BLAS out of a JVM that runs ncf. MLlib (ALS, and the rest of spark-mllib) calls BLAS through
 * dev.ludovic.netlib, which dlopens the system's {@code libblas.so.3}; ncf's kernels run on JavaCPP's own OpenBLAS (or
 * MKL). Two OpenBLAS builds in one process crashed the JVM here (SIGSEGV in {@code saxpy_k_SKYLAKEX} under ALS's
 * {@code sscal}, with ncf's OpenBLAS loaded). Pointing netlib at a library that does not exist makes it take its pure
 * Java implementation, as it does on any machine without a system BLAS. A user who set these properties keeps them.
 *
 * <p>It must run before MLlib's first BLAS call in the JVM: the estimator and the model call it when their classes
 * load (on the driver) and the executor-side classes call it when a task first uses them.
 */
public final class NativeBlas {

    static final String BLAS = "dev.ludovic.netlib.blas.nativeLib", LAPACK = "dev.ludovic.netlib.lapack.nativeLib",
            ARPACK = "dev.ludovic.netlib.arpack.nativeLib";

    private NativeBlas() {}

    /** Sets the netlib properties (unless set) so that MLlib uses Java BLAS, LAPACK and ARPACK in this JVM. */
    public static void keepMllibOnJava() {
        for (String p : new String[]{BLAS, LAPACK, ARPACK})
            if (System.getProperty(p) == null) System.setProperty(p, "ncf-keeps-mllib-on-java-blas");
    }
}
