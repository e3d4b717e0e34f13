package io.ncf.spark;

import io.ncf.core.NeuMFConfig;
import io.ncf.data.NcfDataset;
import io.ncf.serve.ModelArtifact;
import io.ncf.train.EpochReport;
import io.ncf.train.TrainingListener;
import org.apache.spark.sql.SparkSession;

import java.util.LinkedHashMap;
import java.util.Map;

/** Writes the best model so far as {@code DIR/model.zip} on a Hadoop file system at every new best epoch. */
final class HadoopCheckpoint implements TrainingListener {

    private final SparkSession spark;
    private final String file;
    private final NcfDataset data;
    private final Map<String, String> metadata;

    HadoopCheckpoint(SparkSession spark, String dir, NcfDataset data, Map<String, String> metadata) {
        this.spark = spark;
        this.file = new org.apache.hadoop.fs.Path(dir, ModelArtifact.FILE_NAME).toString();
        this.data = data;
        this.metadata = metadata;
    }

    @Override public void onNewBest(EpochReport r, NeuMFConfig config, float[] params) {
        Map<String, String> m = new LinkedHashMap<>(metadata);
        m.put("best_epoch", String.valueOf(r.epoch()));
        m.put("best_hr", String.valueOf(r.hitRate()));
        m.put("best_ndcg", String.valueOf(r.ndcg()));
        ModelArtifact a = new ModelArtifact(config, params, data.userIds(), data.itemIds(), data.seen(),
                ModelArtifact.popularity(data.seen(), data.numItems()), m);
        HadoopFiles.write(a, file, spark.sparkContext().hadoopConfiguration());
    }
}
