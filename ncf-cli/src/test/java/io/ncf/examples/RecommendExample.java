package io.ncf.examples;

import io.ncf.serve.Recommendations;
import io.ncf.serve.Recommender;
import io.ncf.serve.ScoredItem;

import java.nio.file.Path;
import java.util.List;

/**
 * A small library example for ServeCliTest's fresh-JVM check: load a model artifact and ask for recommendations (the
 * README's example is examples/recommender-app, a separate build that CI runs).
 * Run: {@code java -cp <classpath> io.ncf.examples.RecommendExample ckpt/model.zip USER_ID [K]}.
 * Prints "user,item,score,rank" lines, then the scores of the first two recommended items via score().
 */
public final class RecommendExample {
    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]);
        String user = args[1];
        int k = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        // POPULARITY: a user the model has never seen gets the most popular items instead of an error
        try (Recommender rec = Recommender.load(model, Recommender.UnknownUserPolicy.POPULARITY)) {
            Recommendations top = rec.recommend(user, k);       // seen items are excluded
            for (ScoredItem it : top.items()) System.out.println(user + "," + it.itemId() + "," + it.score() + "," + it.rank());
            if (top.size() >= 2) {
                float[] s = rec.score(user, List.of(top.get(0).itemId(), top.get(1).itemId()));
                System.out.println("score(" + top.get(0).itemId() + ")=" + s[0] + " score(" + top.get(1).itemId() + ")=" + s[1]);
            }
        }
    }
}
