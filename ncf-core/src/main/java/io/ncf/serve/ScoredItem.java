package io.ncf.serve;

/**
 * One item of a result, by its original id.
 *
 * @param itemId the item's id as in the training data
 * @param score  what ranked it: the model's logit for {@link Recommendations.Source#MODEL}, the item's interaction
 *               count in the training data for {@link Recommendations.Source#POPULARITY}, the cosine similarity of
 *               the item embeddings for {@link Recommender#similarItems}
 * @param rank   1-based position in the result
 */
public record ScoredItem(String itemId, float score, int rank) {}
