package io.ncf.cuda;

/** A CUDA, cuBLAS, NVRTC or NCCL call failed; the message names the call and the library's error text. */
public final class CudaException extends RuntimeException {
    public CudaException(String message) { super(message); }
    public CudaException(String message, Throwable cause) { super(message, cause); }
}
