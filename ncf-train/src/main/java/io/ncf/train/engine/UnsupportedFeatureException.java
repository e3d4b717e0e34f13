package io.ncf.train.engine;

/** An engine was asked for a feature it does not have; the message names the engine, the feature and why. */
public final class UnsupportedFeatureException extends IllegalArgumentException {
    private final String engine;
    private final Feature feature;

    public UnsupportedFeatureException(String engine, Feature feature, String why) {
        super(feature.flags() + " is not available with engine " + engine + ": " + why);
        this.engine = engine;
        this.feature = feature;
    }

    public String engine() { return engine; }

    public Feature feature() { return feature; }
}
