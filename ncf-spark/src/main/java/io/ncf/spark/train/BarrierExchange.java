package io.ncf.spark.train;

import org.apache.spark.BarrierTaskContext;
import org.apache.spark.RequestMethod$;
import org.apache.spark.RequestToSync;
import org.apache.spark.SparkEnv;
import org.apache.spark.rpc.RpcEndpointRef;
import org.apache.spark.rpc.RpcTimeout;
import org.apache.spark.util.RpcUtils$;
import scala.concurrent.Await;
import scala.concurrent.Future;
import scala.concurrent.duration.Duration;
import scala.concurrent.duration.FiniteDuration;
import scala.reflect.ClassTag$;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Logger;

/**
 * {@code allGather} among the tasks of a barrier stage, through the same driver-side barrier coordinator and message
 * as {@link BarrierTaskContext#allGather}, but waiting on the reply itself. Spark 4.0's {@code allGather} checks for
 * the reply in a loop around {@code Thread.sleep(1000)} ({@code BarrierTaskContext.runBarrier}), so every call costs up
 * to a second — fine for exchanging addresses once, a 0.7 s tax on each of thousands of training steps (measured on
 * ml-100k: 44 s an epoch of 60 steps, against 1.5 s of compute). Here the task blocks on the reply's future, checking
 * every 100 ms whether Spark killed it (a barrier stage that failed elsewhere leaves its waiting requests unanswered).
 *
 * <p>The coordinator, {@code RequestToSync} and {@code RpcUtils} are {@code private[spark]} in Scala (public in the
 * class files). Should a Spark release change them, the first call falls back to the public {@code allGather} with a
 * warning: slower, never wrong.
 */
final class BarrierExchange {

    private static final Logger LOG = Logger.getLogger(BarrierExchange.class.getName());
    private static final FiniteDuration CHECK = Duration.create(100, TimeUnit.MILLISECONDS);
    private static volatile boolean publicOnly;

    private final BarrierTaskContext context;
    private RpcEndpointRef coordinator;
    private int epoch; // the coordinator counts the syncs of a stage attempt from 0; no other sync happens in our tasks

    BarrierExchange(BarrierTaskContext context) { this.context = context; }

    /** Every task's message, in partition order, once every task of the stage has sent its own. */
    String[] allGather(String message) {
        if (!publicOnly) {
            try {
                return direct(message);
            } catch (LinkageError e) {
                publicOnly = true;
                LOG.warning("Spark's barrier coordinator API differs from 4.0's (" + e + "); using BarrierTaskContext.allGather, which waits in 1-second sleeps");
            }
        }
        return context.allGather(message);
    }

    private String[] direct(String message) {
        if (coordinator == null) coordinator = RpcUtils$.MODULE$.makeDriverRef("barrierSync", SparkEnv.get().conf(), SparkEnv.get().rpcEnv());
        RequestToSync request = new RequestToSync(context.numPartitions(), context.stageId(), context.stageAttemptNumber(),
                context.taskAttemptId(), epoch, context.partitionId(), message, RequestMethod$.MODULE$.ALL_GATHER());
        Future<String[]> reply = coordinator.askAbortable(request, new RpcTimeout(Duration.create(365, TimeUnit.DAYS), "barrierTimeout"),
                ClassTag$.MODULE$.<String[]>apply(String[].class)).future();
        while (true) {
            try {
                String[] all = Await.result(reply, CHECK);
                epoch++;
                return all;
            } catch (TimeoutException e) {
                context.killTaskIfInterrupted();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                context.killTaskIfInterrupted();
                throw new IllegalStateException("interrupted in a barrier all-gather", e);
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException("barrier all-gather failed: " + e.getMessage(), e);
            }
        }
    }
}
