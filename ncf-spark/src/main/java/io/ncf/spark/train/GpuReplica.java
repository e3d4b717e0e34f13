package io.ncf.spark.train;

import io.ncf.cuda.CudaDevice;
import io.ncf.cuda.GpuTraining;
import io.ncf.cuda.Precision;
import io.ncf.data.NcfDataset;
import io.ncf.model.ModelKind;
import io.ncf.train.LossScaler;
import io.ncf.train.TrainingOptions;
import io.ncf.train.engine.EngineState;
import io.ncf.train.engine.TrainingEngine.StepResult;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.resource.ResourceInformation;

import java.util.Base64;

/**
 * The GPU replica of barrier training: each barrier task drives one GPU with ncf-cuda's engine as one rank of an NCCL
 * group spanning the tasks (and so the executors and hosts). Rank 0 makes NCCL's unique id and the barrier all-gather
 * hands it to every rank; from then on NCCL all-reduces the gradients every step (its ring across hosts), and Spark
 * carries nothing per step. The step losses (each rank's own samples) are summed across ranks once per job, through
 * the same all-gather. The task's GPU is the one Spark assigned it ({@code spark.task.resource.gpu.amount=1} and a
 * discovery script on the executors); without GPU scheduling, task {@code p} takes GPU {@code p mod} (GPUs here).
 *
 * <p>As {@code ncf train --engine cuda}: whole batches only, the device-side epoch plan, FP32 (FP16 with loss
 * scaling is not carried across jobs yet, so the estimator refuses it).
 */
final class GpuReplica extends BarrierReplicas.Replica {

    private GpuTraining run;
    private int batch;
    private float dropout;

    @Override boolean hasEngine() { return run != null; }

    @Override void open(BarrierReplicas.Spec spec, BarrierReplicas.Job job, int shard, BarrierTaskContext ctx, BarrierExchange exchange) {
        io.ncf.cuda.CudaProbe.Result cuda = io.ncf.cuda.CudaProbe.probe();
        if (!cuda.available())
            throw new IllegalStateException("engine 'cuda': " + cuda.message() + " on the executor of task " + shard + " ("
                    + org.apache.spark.SparkEnv.get().executorId() + ")");
        int ranks = ctx.numPartitions();
        byte[] id = shard == 0 ? GpuTraining.newNcclId() : null;
        String[] ids = exchange.allGather(id == null ? "" : Base64.getEncoder().encodeToString(id));
        id = Base64.getDecoder().decode(ids[0]);
        TrainingOptions o = spec.options();
        EngineState st = StateBytes.unpack(job.start().value(), spec.run().config());
        NcfDataset ds = job.data().value().dataset();
        GpuTraining.Settings settings = new GpuTraining.Settings(spec.run().config(), Precision.FP32, o.adam(), o.seed(), o.negatives(),
                o.batchSize(), ranks);
        run = new GpuTraining(settings, new GpuTraining.Start(st.params(), st.adamM(), st.adamV(), st.adamStep()),
                ModelKind.NEUMF.frozenRanges(spec.run().config()), o.verifyNegatives(), ds.trainUsers(), ds.trainItems(),
                ds.candidates().users(), ds.candidates().items(), ds.candidates().width(), LossScaler.none(),
                GpuTraining.Placement.rankOf(device(ctx), shard, id));
        batch = o.batchSize();
        dropout = spec.run().config().dropout();
    }

    /** The GPU Spark gave this task, or, without GPU scheduling, one by partition. */
    static int device(BarrierTaskContext ctx) {
        scala.Option<ResourceInformation> gpu = ctx.resources().get("gpu");
        if (gpu.isDefined() && gpu.get().addresses().length > 0) return Integer.parseInt(gpu.get().addresses()[0].trim());
        return ctx.partitionId() % Math.max(1, CudaDevice.count());
    }

    @Override void bind(BarrierExchange exchange) {}

    @Override void beginEpoch(int e) {}

    @Override StepResult step(int stepInEpoch, long globalStep) {
        return new StepResult(run.trainSteps(epoch, stepInEpoch, 1, globalStep, dropout), batch, true);
    }

    @Override double[] totalLosses(double[] mine, BarrierExchange exchange) {
        StringBuilder b = new StringBuilder();
        for (double v : mine) b.append(Long.toHexString(Double.doubleToRawLongBits(v))).append(',');
        double[] total = new double[mine.length];
        for (String part : exchange.allGather(b.toString())) { // rank order: every task sums alike
            String[] v = part.split(",");
            for (int k = 0; k < total.length; k++) total[k] += Double.longBitsToDouble(Long.parseUnsignedLong(v[k], 16));
        }
        return total;
    }

    @Override EngineState snapshot() {
        float[][] mv = run.adamMoments();
        return new EngineState(run.config(), run.parameters(), mv[0], mv[1], run.adamSteps(), Float.NaN, 0);
    }

    @Override synchronized void close() {
        if (run != null) run.close();
        run = null;
    }
}
