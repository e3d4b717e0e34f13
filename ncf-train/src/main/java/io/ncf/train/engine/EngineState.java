package io.ncf.train.engine;

import io.ncf.core.NeuMFConfig;
import io.ncf.core.ParamShapes;

/**
 * An engine's trainable state, engine-neutral: parameters and Adam's two moments as flat FP32 arrays in
 * {@link ParamShapes} order, Adam's step count (bias correction), and the loss scaler's scale and good-step count.
 * Checkpoints, resume and evaluation elsewhere go through it; any engine can continue from any other's state.
 *
 * @param adamM      null for a fresh optimizer (zeros), as are {@code adamV}
 * @param lossScale  NaN when there is no saved scale (start from the configured one)
 */
public record EngineState(NeuMFConfig config, float[] params, float[] adamM, float[] adamV, long adamStep,
                          float lossScale, int lossScaleGoodSteps) {

    public EngineState {
        long n = ParamShapes.totalLength(config);
        if (params.length != n) throw new IllegalArgumentException("parameters have " + params.length + " values but " + config + " has " + n);
        if ((adamM == null) != (adamV == null)) throw new IllegalArgumentException("Adam's moments come in pairs");
        if (adamM != null && (adamM.length != n || adamV.length != n))
            throw new IllegalArgumentException("Adam moments of " + adamM.length + "/" + adamV.length + " values do not match " + n + " parameters");
        if (adamStep < 0) throw new IllegalArgumentException("negative Adam step " + adamStep);
    }

    /** Fresh parameters: zero moments, step 0, no saved loss scale. */
    public static EngineState initial(NeuMFConfig config, float[] params) {
        return new EngineState(config, params, null, null, 0, Float.NaN, 0);
    }

    /** A snapshot whose loss-scale part is {@code scaler}'s (none recorded for a run without loss scaling). */
    public static EngineState of(NeuMFConfig config, float[] params, float[] adamM, float[] adamV, long adamStep,
                                 io.ncf.train.LossScaler scaler) {
        return new EngineState(config, params, adamM, adamV, adamStep, scaler.isActive() ? scaler.lossScale() : Float.NaN, scaler.goodSteps());
    }

    public boolean hasMoments() { return adamM != null; }

    public boolean hasLossScale() { return !Float.isNaN(lossScale); }
}
