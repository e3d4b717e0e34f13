package io.ncf.spark;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.posexplode;
import static org.apache.spark.sql.functions.sort_array;
import static org.apache.spark.sql.functions.struct;

/** The held-out rows of a {@link SparkPreparation} split in original ids, as {@link NcfModel#evaluate} reads them. */
public final class HeldOut {

    private HeldOut() {}

    /**
     * One row per user: {@code userCol}, {@code itemCol} (the held-out item) and {@code negativesCol} (its evaluation
     * negatives in draw order), every id in the type the input had.
     */
    public static Dataset<Row> of(SparkPreparation.Prepared p, String userCol, String itemCol, String negativesCol) {
        Dataset<Row> users = p.users().toDF("uid", "user"), items = p.items().toDF("iid", "item");
        Dataset<Row> negatives = p.negatives().select(col("user"), posexplode(col("items")).as(new String[]{"pos", "item"}))
                .join(items, "item")
                .groupBy("user").agg(sort_array(collect_list(struct(col("pos"), col("iid")))).as("ordered"))
                .select(col("user"), col("ordered.iid").as(negativesCol));
        return p.test().join(users, "user").join(items, "item").join(negatives, "user")
                .select(col("uid").as(userCol), col("iid").as(itemCol), col(negativesCol));
    }
}
