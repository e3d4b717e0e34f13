package io.ncf.bench;

import io.ncf.cuda.CudaDevice;
import io.ncf.cuda.CudaException;
import io.ncf.cuda.CudaNeuMF;
import io.ncf.cuda.EpochPlan;
import io.ncf.cuda.GpuTrainer;
import io.ncf.cuda.GpuTraining;
import io.ncf.cuda.Precision;

import io.ncf.train.LossScaler;

import io.ncf.train.AdamConfig;

import io.ncf.core.NeuMFConfig;
import org.bytedeco.cuda.nccl.ncclComm;
import org.bytedeco.javacpp.PointerPointer;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicLong;

import static org.bytedeco.cuda.global.nccl.*;

/**
 * Data-parallel training on the GPUs of one host: one thread per GPU, each with its own engine and a slice of
 * every global batch, gradients summed with NCCL all-reduce before each (identical) Adam step. Reports, for each
 * group size against the first group of {@code --gpus} (1 GPU): the all-reduced gradient of the first global
 * batch (the data-parallel split must only reorder float sums), the parameters after {@code --check-steps} Adam
 * steps without dropout (Adam with beta2 = 0.5 turns rounding noise in near-zero gradients into +-lr steps, so
 * listing 1 GPU twice, e.g. {@code --gpus 1,1,2,4}, shows that run-to-run floor), and the throughput of
 * {@code --steps} further steps with dropout (strong scaling: the global batch stays the same).
 */
final class MultiGpu {

    private MultiGpu() {}

    static int run(CudaMain.Options o) throws Exception {
        if (!"0".equals(System.getenv("NCCL_NVLS_ENABLE")))
            throw new IllegalArgumentException("set NCCL_NVLS_ENABLE=0 before multi-GPU runs (NVLink multicast must stay off)");
        int available = CudaDevice.count();
        Precision prec = o.precision();
        int batch = o.getInt("batch", 1 << 20);
        int checkSteps = o.getInt("check-steps", 20);
        int steps = o.getInt("steps", 20);
        float dropout = o.getFloat("dropout", 0.5f);
        NeuMFConfig cfg = CudaMain.ml20m(dropout);
        int[][] pos = CudaMain.randomPositives(cfg.numUsers(), cfg.numItems(), CudaMain.ML20M_POSITIVES, 17);
        float[] init = io.ncf.model.ParamInit.nvidia(cfg, 1);
        float[] reference = null, referenceGrads = null;
        double base = 0;
        boolean ok = true;
        for (int n : CudaMain.parseList(o.get("gpus", "1,1,2,4"))) {
            if (n > available) {
                System.out.println(n + " GPUs: skipped, only " + available + " present");
                continue;
            }
            Result r = group(n, cfg, prec, batch, pos, init, checkSteps, steps, dropout);
            boolean first = reference == null;
            double rel = first ? 0 : ReferenceCase.relativeError(r.params, reference, 0, reference.length);
            double gradRel = first ? 0 : ReferenceCase.relativeError(r.firstGrads, referenceGrads, 0, referenceGrads.length);
            if (first) { reference = r.params; referenceGrads = r.firstGrads; }
            double rate = steps * (double) batch / r.seconds;
            if (first) base = rate;
            // Dense-weight gradients are sums over up to 1M samples with heavy cancellation: splitting them
            // across GPUs changes FP32 rounding by ~1e-5 relative (measured 1.9e-5 on 4 GPUs).
            boolean same = gradRel <= (prec == Precision.FP32 ? 1e-4 : 1e-2) && r.ranksAgree;
            ok &= same;
            System.out.printf("RESULT %d GPU(s) %s: step-1 gradient rel diff %.2e, params after %d steps rel diff %.2e, ranks identical %s | %.2fM samples/s, speed-up %.2fx (efficiency %.0f%%)%n",
                    n, prec, gradRel, checkSteps, rel, r.ranksAgree, rate / 1e6, rate / base, 100 * rate / base / n);
        }
        return ok ? 0 : 1;
    }

    record Result(float[] firstGrads, float[] params, boolean ranksAgree, double seconds) {}

    static Result group(int n, NeuMFConfig cfg, Precision prec, int batch, int[][] pos, float[] init, int checkSteps,
                        int steps, float dropout) throws Exception {
        ncclComm[] comms = new ncclComm[n];
        if (n > 1) {
            PointerPointer<ncclComm> pp = new PointerPointer<>(n);
            int[] devs = new int[n];
            for (int i = 0; i < n; i++) devs[i] = i;
            GpuTraining.checkNccl(ncclCommInitAll(pp, n, devs), "ncclCommInitAll(" + n + ")");
            for (int i = 0; i < n; i++) comms[i] = new ncclComm(pp.get(i));
        }
        CyclicBarrier barrier = new CyclicBarrier(n);
        AtomicLong start = new AtomicLong(), end = new AtomicLong();
        float[][] finalParams = new float[n][];
        float[][] firstGrads = new float[n][];
        Throwable[] errors = new Throwable[n];
        List<Thread> threads = new ArrayList<>();
        for (int rank = 0; rank < n; rank++) {
            final int r = rank;
            Thread t = new Thread(() -> {
                try (CudaDevice dev = CudaDevice.open(r);
                     CudaNeuMF eng = new CudaNeuMF(dev, cfg, prec, batch / n)) {
                    eng.setParameters(init);
                    eng.setPositives(pos[0], pos[1]);
                    GpuTrainer.GradientReducer reducer = n == 1 ? null : GpuTraining.allReduceOver(comms[r]);
                    LossScaler scaler = prec.needsLossScaling() ? LossScaler.dynamicDefaults() : LossScaler.fixed(1f);
                    HarnessStepper tr = new HarnessStepper(new GpuTrainer(eng, 1, pos[0].length, 4, batch, r, n, reducer, java.util.List.of(), null), AdamConfig.nvidia(), scaler);
                    EpochPlan plan = tr.plan(0);
                    int local = batch / n;
                    eng.makeBatch(plan, (long) r * local, local);
                    eng.forwardBackward(local, 1f / batch, io.ncf.model.DropoutMask.NONE, (long) r * local);
                    if (reducer != null) reducer.allReduce(eng);
                    firstGrads[r] = eng.gradients();
                    eng.zeroGradients();
                    for (int s = 0; s < checkSteps; s++) tr.step(plan, s, 0f);
                    finalParams[r] = eng.parameters();
                    for (int s = 0; s < 2; s++) tr.step(plan, checkSteps + s, dropout);
                    dev.synchronize();
                    barrier.await();
                    if (r == 0) start.set(System.nanoTime());
                    for (int s = 0; s < steps; s++) tr.step(plan, (checkSteps + 2 + s) % tr.stepsPerEpoch(), dropout);
                    dev.synchronize();
                    barrier.await();
                    if (r == 0) end.set(System.nanoTime());
                } catch (Throwable e) {
                    errors[r] = e;
                    barrier.reset();
                }
            }, "gpu-" + r);
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) t.join();
        for (int i = 0; i < n; i++) if (comms[i] != null) ncclCommDestroy(comms[i]);
        for (Throwable e : errors) if (e != null) throw new CudaException("GPU worker failed: " + e, e);
        boolean agree = true;
        for (int i = 1; i < n; i++) agree &= java.util.Arrays.equals(finalParams[0], finalParams[i]);
        return new Result(firstGrads[0], finalParams[0], agree, (end.get() - start.get()) / 1e9);
    }
}
