package io.ncf.train;

/** Adam's hyper-parameters (PyTorch semantics), the one configuration every engine reads; NVIDIA's NCF defaults in {@link #nvidia()}. */
public record AdamConfig(float lr, float beta1, float beta2, float eps) {
    public AdamConfig {
        if (!(lr > 0f)) throw new IllegalArgumentException("learningRate must be positive, got " + lr);
        if (!(beta1 >= 0f && beta1 < 1f)) throw new IllegalArgumentException("beta1 must be in [0, 1), got " + beta1);
        if (!(beta2 >= 0f && beta2 < 1f)) throw new IllegalArgumentException("beta2 must be in [0, 1), got " + beta2);
        if (!(eps > 0f)) throw new IllegalArgumentException("eps must be positive, got " + eps);
    }

    public static AdamConfig nvidia() { return new AdamConfig(0.0045f, 0.25f, 0.5f, 1e-8f); }

    /** lr / (1 - beta1^t) for 1-based step t. */
    public float stepSize(long t) { return (float) (lr / (1 - Math.pow(beta1, t))); }

    /** 1 / sqrt(1 - beta2^t), rounded once from double as the CPU engines do. */
    public float invBias2Sqrt(long t) { return (float) (1 / Math.sqrt(1 - Math.pow(beta2, t))); }

    /** sqrt(1 - beta2^t). */
    public float bias2Sqrt(long t) { return (float) Math.sqrt(1 - Math.pow(beta2, t)); }
}
