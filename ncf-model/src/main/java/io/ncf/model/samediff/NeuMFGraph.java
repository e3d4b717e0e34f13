package io.ncf.model.samediff;

import io.ncf.core.NeuMFConfig;
import io.ncf.model.ParamSet;
import org.nd4j.autodiff.loss.LossReduce;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * NeuMF as a SameDiff graph: the definition every other engine is checked against.
 *
 * <p>Every input is a FLOAT placeholder, including the dense weights. M2.1's gather backprop is broken
 * (DL4J #9756), so the embedding rows are gathered outside the graph and fed as {@code mfU, mfI, mlpU, mlpI};
 * their gradients are scattered back by the caller. Feeding the dense weights too means the graph never owns a
 * copy of a parameter: whatever the optimizer wrote into the {@link ParamSet} is what the next call computes
 * with. Placeholder names equal the {@link ParamSet} names for the dense tensors so gradients map back 1:1.
 *
 * <p>{@code compute} is the arithmetic type: with HALF the FLOAT inputs are cast to HALF inside the graph, the
 * logit is cast back and the loss is computed in FLOAT, so gradients of the FLOAT placeholders come back FLOAT
 * (mixed precision with FLOAT master weights). Dropout (M2.1 has no dropout backprop, #9801) is a multiply by a
 * fed mask {@code mask<k>} after each dense layer's ReLU; an inference graph has no masks.
 */
public final class NeuMFGraph {

    public static final String MF_U = "mfU", MF_I = "mfI", MLP_U = "mlpU", MLP_I = "mlpI";
    public static final String LABELS = "labels", WEIGHT = "weight", LOGITS = "logits", LOSS = "loss";

    public static String mask(int k) { return "mask" + k; }

    private final SameDiff sd;
    private final NeuMFConfig config;
    private final DataType compute;
    private final boolean training;
    private final List<String> gradientInputs;
    private final List<String> denseParams;
    /** LOGITS, then the gradient variable of each gradient input, as named inside the gradient function. */
    private final String[] gradOutputNames;
    private static final String GRAD_FN = "grad";

    private NeuMFGraph(SameDiff sd, NeuMFConfig config, DataType compute, boolean training,
                       List<String> gradientInputs, List<String> denseParams) {
        this.sd = sd;
        this.config = config;
        this.compute = compute;
        this.training = training;
        this.gradientInputs = gradientInputs;
        this.denseParams = denseParams;
        List<String> names = new ArrayList<>();
        names.add(LOGITS);
        if (training) for (String in : gradientInputs) names.add(sd.getVariable(in).getGradient().name());
        this.gradOutputNames = names.toArray(new String[0]);
    }

    /**
     * @param training true: masks, labels, the weighted loss and a gradient function; false: logits only
     */
    public static NeuMFGraph build(NeuMFConfig c, DataType compute, boolean training) {
        if (compute != DataType.FLOAT && compute != DataType.HALF)
            throw new IllegalArgumentException("compute type must be FLOAT or HALF, got " + compute);
        SameDiff sd = SameDiff.create();
        int f = c.factors(), e = c.mlpEmbeddingDim();
        SDVariable mfU = sd.placeHolder(MF_U, DataType.FLOAT, -1, f);
        SDVariable mfI = sd.placeHolder(MF_I, DataType.FLOAT, -1, f);
        SDVariable mlpU = sd.placeHolder(MLP_U, DataType.FLOAT, -1, e);
        SDVariable mlpI = sd.placeHolder(MLP_I, DataType.FLOAT, -1, e);
        List<String> dense = new ArrayList<>();

        SDVariable g = cast(mfU, compute).mul(cast(mfI, compute));
        SDVariable h = sd.concat(1, cast(mlpU, compute), cast(mlpI, compute));
        for (int k = 0; k < c.denseLayerCount(); k++) {
            int in = c.layer(k), out = c.layer(k + 1);
            SDVariable w = sd.placeHolder(ParamSet.denseWeight(k), DataType.FLOAT, in, out);
            SDVariable b = sd.placeHolder(ParamSet.denseBias(k), DataType.FLOAT, out);
            dense.add(w.name());
            dense.add(b.name());
            h = sd.nn.relu(h.mmul(cast(w, compute)).add(cast(b, compute)), 0);
            if (training) h = h.mul(cast(sd.placeHolder(mask(k), DataType.FLOAT, -1, out), compute));
        }
        SDVariable fw = sd.placeHolder(ParamSet.FINAL_W, DataType.FLOAT, c.finalInputDim(), 1);
        SDVariable fb = sd.placeHolder(ParamSet.FINAL_B, DataType.FLOAT, 1);
        dense.add(fw.name());
        dense.add(fb.name());
        SDVariable z = sd.concat(1, g, h).mmul(cast(fw, compute)).add(cast(fb, compute));
        SDVariable logits = compute == DataType.FLOAT ? sd.identity(LOGITS, z) : z.castTo(LOGITS, DataType.FLOAT);

        List<String> gradIn = new ArrayList<>(List.of(MF_U, MF_I, MLP_U, MLP_I));
        gradIn.addAll(dense);
        if (training) {
            SDVariable labels = sd.placeHolder(LABELS, DataType.FLOAT, -1, 1);
            // The scale must enter as the loss op's weights: sd.loss.* ignores any upstream gradient, so
            // loss.mul(weight) would leave the gradients unscaled (notes on M2.1, section 2).
            SDVariable weight = sd.placeHolder(WEIGHT, DataType.FLOAT);
            sd.loss.sigmoidCrossEntropy(LOSS, labels, logits, weight, LossReduce.SUM, 0.0);
            sd.setLossVariables(LOSS);
            // Placeholders get gradients only when named here.
            withoutStdout(() -> sd.createGradFunction(gradIn.toArray(new String[0])));
        }
        return new NeuMFGraph(sd, c, compute, training, Collections.unmodifiableList(gradIn), Collections.unmodifiableList(dense));
    }

    /**
     * SameDiff M2.1 prints "Added differentiated op …" to System.out for every op while differentiating, which
     * would bury the CLI's own output; the graph is built once per engine, so muting stdout around it is cheap.
     */
    private static void withoutStdout(Runnable r) {
        java.io.PrintStream out = System.out;
        synchronized (System.class) {
            System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
            try {
                r.run();
            } finally {
                System.setOut(out);
            }
        }
    }

    private static SDVariable cast(SDVariable v, DataType t) {
        return v.dataType() == t ? v : v.castTo(t);
    }

    /**
     * Runs the gradient function: the logits (as {@link #LOGITS}) and the gradient of every
     * {@link #gradientInputs()} entry, keyed by the input's name.
     *
     * <p>This is what {@code calculateGradientsAndOutputs} does, minus its {@code setEnableCache(false)}: with
     * the cache off, M2.1's session releases none of the intermediates, so every chunk leaves all its activations
     * (~17 KB per sample) to the GC, and each chunk page-faults fresh memory. With it on they are recycled.
     * The returned arrays are the caller's to close.
     */
    public Map<String, INDArray> runGradients(Map<String, INDArray> placeholders) {
        if (!training) throw new IllegalStateException("an inference graph has no gradients");
        SameDiff gradFn = sd.getFunction(GRAD_FN);
        gradFn.setEnableCache(true);
        Map<String, INDArray> raw = gradFn.output(placeholders, null, gradOutputNames);
        Map<String, INDArray> out = new HashMap<>();
        out.put(LOGITS, raw.get(LOGITS));
        for (int i = 0; i < gradientInputs.size(); i++) out.put(gradientInputs.get(i), raw.get(gradOutputNames[i + 1]));
        return out;
    }

    public SameDiff sameDiff() { return sd; }

    public NeuMFConfig config() { return config; }

    public DataType computeType() { return compute; }

    public boolean isTraining() { return training; }

    /** Inputs whose gradients a training step needs: the four gathered embedding blocks, then the dense tensors. */
    public List<String> gradientInputs() { return gradientInputs; }

    /** The {@link ParamSet} names fed directly as placeholders, in ParamSet order. */
    public List<String> denseParams() { return denseParams; }
}
