package io.ncf.spark;

import io.ncf.core.NeuMFConfig;
import io.ncf.data.NcfDataset;
import io.ncf.model.ModelKind;
import io.ncf.serve.ModelArtifact;
import io.ncf.spark.train.SparkTraining;
import io.ncf.train.EpochReport;
import io.ncf.train.LossScaler;
import io.ncf.train.Start;
import io.ncf.train.Trainer;
import io.ncf.train.TrainingListener;
import io.ncf.train.TrainingOptions;
import io.ncf.train.TrainingStateFile;
import io.ncf.train.TrainingSummary;
import io.ncf.train.engine.EngineSetup;
import io.ncf.train.engine.EngineState;
import io.ncf.train.engine.TrainingEngine;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.FloatParam;
import org.apache.spark.ml.param.IntArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * NeuMF as a Spark ML {@link Estimator}, shaped like MLlib's {@code ALS}: the same parameter names where they mean the
 * same ({@code userCol}, {@code itemCol}, {@code predictionCol}, {@code maxIter} = epochs, {@code seed},
 * {@code coldStartStrategy}), implicit feedback in, an {@link NcfModel} with ALS's {@code recommendFor*} out.
 *
 * <p>{@link #fit} runs the whole recipe of {@code ncf train}: the preparation of {@code ncf prepare} as Spark jobs
 * ({@link SparkPreparation}: users with fewer than {@code minRatings} rows dropped, time order, duplicates removed,
 * each user's latest item held out with {@code evalNegatives} verified negatives), then synchronous data-parallel
 * training in which every step's gradient is computed by {@code numShards} tasks on the executors and summed on the
 * driver, driven by the same training loop as {@code ncf train} (so one shard with the same seed gives the same
 * per-epoch HR), keeping the parameters of the epoch with the best HR@10 on the held-out items.
 *
 * <p>Ids may be of any atomic type; the model answers in the type it was given.
 */
public final class NcfEstimator extends Estimator<NcfModel> implements DefaultParamsWritable {

    private static final long serialVersionUID = 1L;

    static { NativeBlas.keepMllibOnJava(); }

    private final String uid;
    private final Param<String> userCol, itemCol, timestampCol, predictionCol, coldStartStrategy, engine, start, checkpointDir, syncMode;
    private final IntParam maxIter, factors, numNegatives, batchSize, numShards, minRatings, evalNegatives, topK, evalAfter, microBatch;
    private final IntArrayParam layers;
    private final FloatParam learningRate, beta1, beta2, dropout, alsReg, alsAlpha;
    private final LongParam seed;
    private final BooleanParam fp16, verbose;
    private final DoubleParam target;
    private transient TrainingSummary lastSummary;

    public NcfEstimator() { this(Identifiable.randomUID("ncf")); }

    public NcfEstimator(String uid) {
        this.uid = uid;
        userCol = new Param<>(this, "userCol", "column of user ids (any atomic type)");
        itemCol = new Param<>(this, "itemCol", "column of item ids (any atomic type)");
        timestampCol = new Param<>(this, "timestampCol", "column of interaction times (numeric); empty: the input order is the time order");
        predictionCol = new Param<>(this, "predictionCol", "output column of NcfModel.transform: the model's logit for the (user, item) pair");
        coldStartStrategy = new Param<>(this, "coldStartStrategy", "unknown users or items in transform: 'nan' (a NaN prediction) or 'drop' (the row is dropped)",
                ParamValidators.inArray(new String[]{"nan", "drop"}));
        engine = new Param<>(this, "engine", "training engine on the executors: 'fused' (the CPU kernel) or 'cuda' (one GPU per task, "
                + "ncf-cuda's engine, NCCL between the tasks; barrier mode, numShards = GPUs)", ParamValidators.inArray(new String[]{"fused", "cuda"}));
        start = new Param<>(this, "start", "starting parameters: 'random' (the seed's initialisation) or 'als' (NeuMF's GMF branch from implicit ALS)",
                ParamValidators.inArray(new String[]{"random", "als"}));
        syncMode = new Param<>(this, "syncMode", "how each step's gradients are summed: 'barrier' (one barrier job per epoch; its tasks keep "
                + "replicas, exchange gradients every step through BarrierTaskContext.allGather and each take the same Adam step; needs numShards "
                + "task slots at once) or 'job' (one Spark job per step; the driver sums, steps and broadcasts the parameters)",
                ParamValidators.inArray(new String[]{"barrier", "job"}));
        checkpointDir = new Param<>(this, "checkpointDir", "Hadoop-FS directory for the fit's state after every epoch (state.ncf) and the best model so far "
                + "(model.zip); a fit of the same recipe and data finding a state there continues from it; empty: none");
        maxIter = new IntParam(this, "maxIter", "epochs (>= 1)", ParamValidators.gtEq(1));
        factors = new IntParam(this, "factors", "GMF embedding width (>= 1)", ParamValidators.gtEq(1));
        layers = new IntArrayParam(this, "layers", "MLP layer widths; the first is the concatenated user+item embedding (even)");
        numNegatives = new IntParam(this, "numNegatives", "random negatives per positive, each epoch (>= 1)", ParamValidators.gtEq(1));
        batchSize = new IntParam(this, "batchSize", "samples per optimizer step, whatever numShards (0: about a hundred steps per epoch)", ParamValidators.gtEq(0));
        numShards = new IntParam(this, "numShards", "tasks per step (0: the context's default parallelism)", ParamValidators.gtEq(0));
        minRatings = new IntParam(this, "minRatings", "users with fewer rows are dropped", ParamValidators.gtEq(1));
        evalNegatives = new IntParam(this, "evalNegatives", "verified negatives per held-out item for HR/NDCG", ParamValidators.gtEq(1));
        topK = new IntParam(this, "topK", "K of HR@K and NDCG@K", ParamValidators.gtEq(1));
        evalAfter = new IntParam(this, "evalAfter", "evaluate from this 0-based epoch on", ParamValidators.gtEq(0));
        microBatch = new IntParam(this, "microBatch", "samples per kernel call on an executor", ParamValidators.gtEq(1));
        learningRate = new FloatParam(this, "learningRate", "Adam's learning rate (> 0)", ParamValidators.gt(0));
        beta1 = new FloatParam(this, "beta1", "Adam's beta1", ParamValidators.inRange(0, 1, true, false));
        beta2 = new FloatParam(this, "beta2", "Adam's beta2", ParamValidators.inRange(0, 1, true, false));
        dropout = new FloatParam(this, "dropout", "MLP dropout rate", ParamValidators.inRange(0, 1, true, false));
        alsReg = new FloatParam(this, "alsReg", "regParam of the ALS start", ParamValidators.gt(0));
        alsAlpha = new FloatParam(this, "alsAlpha", "alpha of the ALS start", ParamValidators.gt(0));
        seed = new LongParam(this, "seed", "random seed: initialisation, negatives, dropout, evaluation negatives");
        fp16 = new BooleanParam(this, "fp16", "16-bit compute (not on the CPU kernel: refused with the reason)");
        verbose = new BooleanParam(this, "verbose", "print the seed's per-epoch log lines on the driver's standard output");
        target = new DoubleParam(this, "target", "HR@K at which training stops early (1: never)", ParamValidators.inRange(0, 1));
        setDefault(userCol, "user");
        setDefault(itemCol, "item");
        setDefault(timestampCol, "");
        setDefault(predictionCol, "prediction");
        setDefault(coldStartStrategy, "nan");
        setDefault(engine, "fused");
        setDefault(start, "random");
        setDefault(checkpointDir, "");
        setDefault(syncMode, "barrier");
        setDefault(maxIter, 20);
        setDefault(factors, NeuMFConfig.DEFAULT_FACTORS);
        setDefault(layers, NeuMFConfig.DEFAULT_LAYERS.clone());
        setDefault(numNegatives, 4);
        setDefault(batchSize, 0);
        setDefault(numShards, 0);
        setDefault(minRatings, 20);
        setDefault(evalNegatives, 100);
        setDefault(topK, 10);
        setDefault(evalAfter, 0);
        setDefault(microBatch, 65_536);
        TrainingOptions d = TrainingOptions.defaults();
        setDefault(learningRate, d.learningRate());
        setDefault(beta1, d.beta1());
        setDefault(beta2, d.beta2());
        setDefault(dropout, NeuMFConfig.DEFAULT_DROPOUT);
        setDefault(alsReg, Start.DEFAULT_ALS_REG);
        setDefault(alsAlpha, Start.DEFAULT_ALS_ALPHA);
        setDefault(seed, 0L);
        setDefault(fp16, false);
        setDefault(verbose, false);
        setDefault(target, 1.0);
    }

    @Override public String uid() { return uid; }

    // ------------------------------------------------------------------------------------------------ params

    public Param<String> userCol() { return userCol; }
    public Param<String> itemCol() { return itemCol; }
    public Param<String> timestampCol() { return timestampCol; }
    public Param<String> predictionCol() { return predictionCol; }
    public Param<String> coldStartStrategy() { return coldStartStrategy; }
    public Param<String> engine() { return engine; }
    public Param<String> start() { return start; }
    public Param<String> checkpointDir() { return checkpointDir; }
    public IntParam maxIter() { return maxIter; }
    public IntParam factors() { return factors; }
    public IntArrayParam layers() { return layers; }
    public IntParam numNegatives() { return numNegatives; }
    public IntParam batchSize() { return batchSize; }
    public IntParam numShards() { return numShards; }
    public IntParam minRatings() { return minRatings; }
    public IntParam evalNegatives() { return evalNegatives; }
    public IntParam topK() { return topK; }
    public IntParam evalAfter() { return evalAfter; }
    public IntParam microBatch() { return microBatch; }
    public FloatParam learningRate() { return learningRate; }
    public FloatParam beta1() { return beta1; }
    public FloatParam beta2() { return beta2; }
    public FloatParam dropout() { return dropout; }
    public FloatParam alsReg() { return alsReg; }
    public FloatParam alsAlpha() { return alsAlpha; }
    public LongParam seed() { return seed; }
    public BooleanParam fp16() { return fp16; }
    public BooleanParam verbose() { return verbose; }
    public DoubleParam target() { return target; }

    public NcfEstimator setUserCol(String v) { set(userCol, v); return this; }
    public NcfEstimator setItemCol(String v) { set(itemCol, v); return this; }
    public NcfEstimator setTimestampCol(String v) { set(timestampCol, v); return this; }
    public NcfEstimator setPredictionCol(String v) { set(predictionCol, v); return this; }
    public NcfEstimator setColdStartStrategy(String v) { set(coldStartStrategy, v); return this; }
    public NcfEstimator setEngine(String v) { set(engine, v); return this; }

    public NcfEstimator setSyncMode(String v) { set(syncMode, v); return this; }
    public NcfEstimator setStart(String v) { set(start, v); return this; }
    public NcfEstimator setCheckpointDir(String v) { set(checkpointDir, v); return this; }
    public NcfEstimator setMaxIter(int v) { set(maxIter, v); return this; }
    public NcfEstimator setFactors(int v) { set(factors, v); return this; }
    public NcfEstimator setLayers(int... v) { set(layers, v.clone()); return this; }
    public NcfEstimator setNumNegatives(int v) { set(numNegatives, v); return this; }
    public NcfEstimator setBatchSize(int v) { set(batchSize, v); return this; }
    public NcfEstimator setNumShards(int v) { set(numShards, v); return this; }
    public NcfEstimator setMinRatings(int v) { set(minRatings, v); return this; }
    public NcfEstimator setEvalNegatives(int v) { set(evalNegatives, v); return this; }
    public NcfEstimator setTopK(int v) { set(topK, v); return this; }
    public NcfEstimator setEvalAfter(int v) { set(evalAfter, v); return this; }
    public NcfEstimator setMicroBatch(int v) { set(microBatch, v); return this; }
    public NcfEstimator setLearningRate(float v) { set(learningRate, v); return this; }
    public NcfEstimator setBeta1(float v) { set(beta1, v); return this; }
    public NcfEstimator setBeta2(float v) { set(beta2, v); return this; }
    public NcfEstimator setDropout(float v) { set(dropout, v); return this; }
    public NcfEstimator setAlsReg(float v) { set(alsReg, v); return this; }
    public NcfEstimator setAlsAlpha(float v) { set(alsAlpha, v); return this; }
    public NcfEstimator setSeed(long v) { set(seed, v); return this; }
    public NcfEstimator setFp16(boolean v) { set(fp16, v); return this; }
    public NcfEstimator setVerbose(boolean v) { set(verbose, v); return this; }
    public NcfEstimator setTarget(double v) { set(target, v); return this; }

    public String getUserCol() { return $(userCol); }
    public String getItemCol() { return $(itemCol); }
    public String getTimestampCol() { return $(timestampCol); }
    public String getPredictionCol() { return $(predictionCol); }
    public String getColdStartStrategy() { return $(coldStartStrategy); }
    public int getMaxIter() { return (Integer) $(maxIter); }
    public int getFactors() { return (Integer) $(factors); }
    public int[] getLayers() { return $(layers).clone(); }
    public int getNumNegatives() { return (Integer) $(numNegatives); }
    public int getBatchSize() { return (Integer) $(batchSize); }
    public String getSyncMode() { return $(syncMode); }

    public Param<String> syncMode() { return syncMode; }

    public int getNumShards() { return (Integer) $(numShards); }
    public float getLearningRate() { return (Float) $(learningRate); }
    public long getSeed() { return (Long) $(seed); }

    /** The per-epoch record of the last {@link #fit} on this instance (driver side), or null. */
    public TrainingSummary lastSummary() { return lastSummary; }

    // ------------------------------------------------------------------------------------------------ fit

    @Override
    public StructType transformSchema(StructType schema) {
        return NcfSchemas.withPrediction(schema, $(userCol), $(itemCol), $(predictionCol));
    }

    @Override
    public NcfModel fit(Dataset<?> dataset) {
        transformSchema(dataset.schema());
        String ts = $(timestampCol);
        if (!ts.isEmpty()) NcfSchemas.requireNumeric(dataset.schema(), ts, "timestampCol");
        if ((Boolean) $(fp16))
            throw new IllegalArgumentException("fp16: the executors run the fused CPU kernel, which computes in FLOAT (16-bit training is the GPU engine's, not yet on Spark)");
        int[] widths = $(layers);
        if (widths.length == 0 || widths[0] % 2 != 0)
            throw new IllegalArgumentException("layers: the first width is the concatenated user and item embedding and must be even, got "
                    + java.util.Arrays.toString(widths));
        SparkSession spark = dataset.sparkSession();
        if ("barrier".equals($(syncMode)) && spark.sparkContext().conf().getBoolean("spark.dynamicAllocation.enabled", false))
            throw new IllegalArgumentException("syncMode 'barrier' needs a fixed set of executors, and this session has spark.dynamicAllocation.enabled"
                    + " (Spark runs no barrier stage under dynamic allocation): set syncMode to 'job', or turn dynamic allocation off");
        if ("cuda".equals($(engine)) && !"barrier".equals($(syncMode)))
            throw new IllegalArgumentException("engine 'cuda' runs in syncMode 'barrier' (one task per GPU, NCCL between the tasks), not '" + $(syncMode) + "'");
        @SuppressWarnings("unchecked") Dataset<Row> rows = (Dataset<Row>) dataset.toDF();
        SparkPreparation.Prepared prepared = new SparkPreparation((Integer) $(minRatings), (Integer) $(evalNegatives), getSeed())
                .prepare(rows, $(userCol), $(itemCol), ts.isEmpty() ? null : ts);
        NcfDataset data;
        try {
            data = prepared.toNcfDataset("spark:" + uid);
        } finally {
            prepared.unpersist();
        }
        NeuMFConfig config = new NeuMFConfig(data.numUsers(), data.numItems(), getFactors(), widths, (Float) $(dropout));
        TrainingOptions opts = options(data);
        Start s = "als".equals($(start)) ? Start.als((Float) $(alsReg), (Float) $(alsAlpha)) : Start.random();
        int driverThreads = Runtime.getRuntime().availableProcessors();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        int shards = getNumShards() > 0 ? getNumShards() : Math.max(1, jsc.defaultParallelism());

        String dir = $(checkpointDir);
        FitState saved = dir.isEmpty() ? null : new FitState(dir, spark.sparkContext().hadoopConfiguration());
        Map<String, String> run = runIdentity(data, config);
        TrainingStateFile.Loaded resumed = saved == null ? null : saved.resumable(opts, run);
        BestModel best = new BestModel();
        if (resumed != null) best.params = saved.bestParams();
        EngineState initial = resumed != null ? resumed.state().engine()
                : EngineState.initial(config, s.parameters(data, config, ModelKind.NEUMF, opts.seed(), driverThreads, null));

        List<TrainingListener> listeners = new ArrayList<>();
        listeners.add(best);
        if ((Boolean) $(verbose)) listeners.add(new EpochLines());
        Map<String, String> metadata = metadata(rows, opts, shards);
        if (saved != null) listeners.add(new HadoopCheckpoint(spark, dir, data, metadata));
        EngineSetup setup = new EngineSetup(data, config, ModelKind.NEUMF, opts, false, 1, LossScaler.none(), initial);
        try (TrainingEngine e = SparkTraining.open(jsc, setup, shards, driverThreads, SparkTraining.SyncMode.parse($(syncMode)),
                "cuda".equals($(engine)) ? SparkTraining.Device.CUDA : SparkTraining.Device.FUSED)) {
            Trainer trainer = new Trainer(e, config, opts, listeners, resumed == null ? null : resumed.state());
            if (saved != null) trainer.onEpochState(st -> saved.write(st, opts, run));
            lastSummary = trainer.train();
            if (best.params == null) best.params = e.parameters(); // no epoch was evaluated (evalAfter ≥ maxIter)
        }
        metadata.put("best_hr", String.valueOf(lastSummary.bestHitRate()));
        metadata.put("best_ndcg", String.valueOf(lastSummary.bestNdcg()));
        metadata.put("best_epoch", String.valueOf(lastSummary.bestEpoch()));
        ModelArtifact artifact = new ModelArtifact(config, best.params, data.userIds(), data.itemIds(), data.seen(),
                ModelArtifact.popularity(data.seen(), data.numItems()), metadata);
        NcfModel model = new NcfModel(uid, artifact, NcfSchemas.typeOf(rows.schema(), $(userCol)), NcfSchemas.typeOf(rows.schema(), $(itemCol)));
        model.setSummary(lastSummary);
        copyValues(model, extractParamMap());
        model.setParent(this);
        return model;
    }

    private TrainingOptions options(NcfDataset data) {
        TrainingOptions d = TrainingOptions.defaults();
        int negatives = getNumNegatives();
        int batch = getBatchSize() > 0 ? getBatchSize() : Trainer.suggestedBatch((long) data.trainSize() * (1 + negatives));
        return new TrainingOptions(getMaxIter(), batch, negatives, getLearningRate(), (Float) $(beta1), (Float) $(beta2), d.eps(),
                (Integer) $(topK), d.validUsersPerBatch(), (Integer) $(evalAfter), (Double) $(target), false, getSeed(), (Integer) $(microBatch));
    }

    /** What a saved fit state must match besides the training options: the data and the model it trained. */
    private Map<String, String> runIdentity(NcfDataset data, NeuMFConfig config) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("users", String.valueOf(data.numUsers()));
        m.put("items", String.valueOf(data.numItems()));
        m.put("training_pairs", String.valueOf(data.trainSize()));
        m.put("model", config.toString());
        m.put("start", $(start) + ("als".equals($(start)) ? " " + $(alsReg) + " " + $(alsAlpha) : ""));
        m.put("min_ratings", String.valueOf($(minRatings)));
        m.put("eval_negatives", String.valueOf($(evalNegatives)));
        return m;
    }

    /** The model artifact's metadata: what ncf train records, plus the Spark column types so ids come back as given. */
    private Map<String, String> metadata(Dataset<Row> rows, TrainingOptions o, int shards) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("trainer", "ncf-spark NcfEstimator");
        m.put("engine", SparkTraining.ENGINE + ("cuda".equals($(engine)) ? " cuda" : ""));
        m.put("shards", String.valueOf(shards));
        m.put("sync_mode", $(syncMode));
        m.put("epochs", String.valueOf(o.epochs()));
        m.put("batch_size", String.valueOf(o.batchSize()));
        m.put("learning_rate", String.valueOf(o.learningRate()));
        m.put("seed", String.valueOf(o.seed()));
        m.put("start", $(start));
        m.put(NcfSchemas.USER_TYPE_KEY, NcfSchemas.typeOf(rows.schema(), $(userCol)).json());
        m.put(NcfSchemas.ITEM_TYPE_KEY, NcfSchemas.typeOf(rows.schema(), $(itemCol)).json());
        return m;
    }

    @Override
    public NcfEstimator copy(ParamMap extra) { return (NcfEstimator) defaultCopy(extra); }

    public static org.apache.spark.ml.util.MLReader<NcfEstimator> read() { return new org.apache.spark.ml.util.DefaultParamsReader<>(); }

    public static NcfEstimator load(String path) { return read().load(path); }

    /** Keeps the parameters of the best epoch (by HR@K), as ncf train's best-model checkpoint does. */
    private static final class BestModel implements TrainingListener {
        float[] params;

        @Override public void onNewBest(EpochReport r, NeuMFConfig c, float[] p) { params = p; }
    }

    /** The seed's per-epoch line on standard output (verbose). */
    private static final class EpochLines implements TrainingListener {
        @Override public void onEpoch(EpochReport r) {
            if (r.evaluated())
                System.out.printf(java.util.Locale.ROOT, "Epoch %d: HR@10 = %.4f, NDCG@10 = %.4f, train_time = %.2f, val_time = %.2f%n",
                        r.epoch(), r.hitRate(), r.ndcg(), r.trainSeconds(), r.evalSeconds());
            else System.out.printf(java.util.Locale.ROOT, "Epoch %d: train_time = %.2f%n", r.epoch(), r.trainSeconds());
        }
    }
}
