package io.ncf.train;

import io.ncf.data.NcfDataset;
import io.ncf.core.NeuMFConfig;
import org.bytedeco.javacpp.Pointer;

import java.lang.management.ManagementFactory;

/**
 * What a training run will allocate, computed before anything is allocated, so that a configuration that cannot
 * fit stops at once with advice instead of dying in an ND4J allocation (or swapping) an hour later.
 * Off-heap (ND4J): parameters, gradients, Adam's two moments, the engine's activation buffers. Heap: the epoch's
 * sample arrays, the dataset, the evaluator's score block.
 */
public record MemoryEstimate(long paramBytes, long engineBytes, long sampleBytes, long datasetBytes, long evalBytes) {

    public long offHeapBytes() { return 4 * paramBytes + engineBytes; }

    public long heapBytes() { return sampleBytes + datasetBytes + evalBytes; }

    public long totalBytes() { return offHeapBytes() + heapBytes(); }

    public static MemoryEstimate of(NcfDataset data, NeuMFConfig c, TrainingOptions o, int microBatch) {
        long params = c.parameterCount() * 4L;
        // FusedCpuEngine.bufferBytes: one [microBatch, width] activation per MLP layer plus two deltas of the widest
        // (SameDiff's graph holds about as much per sample)
        long widths = 0;
        int max = 0;
        for (int w : c.layers()) {
            widths += w;
            max = Math.max(max, w);
        }
        long engine = 4L * Math.min(microBatch, Math.max(1, Math.min(o.batchSize(), Trainer.samplesPerEpoch(data, o)))) * (widths + 2L * max);
        long samples = Trainer.samplesPerEpoch(data, o) * 12L; // users, items, labels
        long dataset = (long) data.trainSize() * 8L + 4L * data.numUsers() * (2L + data.candidates().width());
        long eval = 12L * Math.min(o.validUsersPerBatch(), data.numUsers()) * data.candidates().width();
        return new MemoryEstimate(params, engine, samples, dataset, eval);
    }

    /** Physical memory of the machine, or Long.MAX_VALUE when the JVM cannot tell. */
    static long physicalBytes() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os)
            return os.getTotalMemorySize();
        return Long.MAX_VALUE;
    }

    /**
     * Refuses a configuration that cannot fit: heap part vs the JVM's -Xmx, off-heap part vs JavaCPP's limit
     * (-Dorg.bytedeco.javacpp.maxbytes), the sum vs physical memory.
     *
     * @throws IllegalArgumentException saying what does not fit and what to change
     */
    public void requireFits() { requireFits(Runtime.getRuntime().maxMemory(), Pointer.maxBytes(), physicalBytes()); }

    void requireFits(long maxHeap, long maxOffHeap, long physical) {
        String advice = advice();
        if (heapBytes() > maxHeap)
            throw new IllegalArgumentException("this configuration needs about " + gib(heapBytes()) + " of Java heap (epoch samples "
                    + gib(sampleBytes) + ", dataset " + gib(datasetBytes) + ", evaluation " + gib(evalBytes) + ") but -Xmx allows "
                    + gib(maxHeap) + ": raise -Xmx (JAVA_OPTS) or " + advice);
        if (maxOffHeap > 0 && offHeapBytes() > maxOffHeap)
            throw new IllegalArgumentException("this configuration needs about " + gib(offHeapBytes()) + " off-heap (parameters, gradients and Adam moments "
                    + gib(4 * paramBytes) + ", engine buffers " + gib(engineBytes) + ") but the limit is " + gib(maxOffHeap)
                    + " (-Dorg.bytedeco.javacpp.maxbytes): raise it or " + advice);
        if (totalBytes() > physical)
            throw new IllegalArgumentException("this configuration needs about " + gib(totalBytes()) + " (parameters, gradients and Adam moments "
                    + gib(4 * paramBytes) + ", engine buffers " + gib(engineBytes) + ", epoch samples " + gib(sampleBytes)
                    + ", dataset " + gib(datasetBytes) + ") but the machine has " + gib(physical) + ": " + advice);
    }

    /** The largest item first: what to change. */
    private String advice() {
        long p = 4 * paramBytes;
        if (p >= engineBytes && p >= sampleBytes) return "lower --factors or --layers (the model alone takes " + gib(p) + " with its gradients and Adam state)";
        if (engineBytes >= sampleBytes) return "use a smaller --micro-batch (its buffers take " + gib(engineBytes) + ")";
        return "lower --negative-samples (one epoch's samples take " + gib(sampleBytes) + ")";
    }

    static String gib(long b) {
        return b >= 1L << 30 ? String.format("%.1f GiB", b / (double) (1L << 30)) : String.format("%.1f MiB", b / (double) (1L << 20));
    }
}
