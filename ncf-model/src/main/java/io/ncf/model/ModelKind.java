package io.ncf.model;

import io.ncf.core.NeuMFConfig;
import io.ncf.core.ParamShapes;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.FloatBuffer;
import java.util.Locale;
import java.util.Map;

/**
 * The paper's model variants (He et al. 2017) expressed in NeuMF's one parameter layout, so that every engine,
 * checkpoint, artifact, evaluator and the Recommender work unchanged. A variant is NeuMF with part of
 * {@code final_w} fixed at initialisation and the parameters it must not train frozen (their gradients are zeroed
 * before every optimizer step; with a zero gradient from the start, Adam's moments stay 0 and the update is exactly 0):
 * <ul>
 *   <li>{@link #NEUMF}: everything trains.</li>
 *   <li>{@link #GMF}: final_w's MLP rows are 0 and frozen with the whole MLP branch, so the score is
 *       {@code Σ p_u·q_i·h + b}.</li>
 *   <li>{@link #MLP}: final_w's GMF rows are 0 and frozen with the GMF tables: {@code h·MLP(u, i) + b}.</li>
 *   <li>{@link #MF}: final_w's GMF rows are 1 and MLP rows 0, all of final_w frozen, and the MLP branch frozen:
 *       the dot product {@code <p_u, q_i> + b} (b, the global bias, trains).</li>
 * </ul>
 * Cost: the absent branch is still computed in forward and backward passes (wasted work, about half a GMF step
 * for the MLP-sized branch); the simplicity of one layout is worth it at the sizes this runs on.
 */
public enum ModelKind {
    NEUMF, GMF, MLP, MF;

    /** Key of the model kind in checkpoint, training-state and artifact metadata; files without it are NeuMF. */
    public static final String METADATA_KEY = "model";

    /** Lower-case name, as on the command line and in metadata. */
    public String id() { return name().toLowerCase(Locale.ROOT); }

    @Override public String toString() { return id(); }

    public static ModelKind parse(String s) {
        for (ModelKind k : values()) if (k.id().equalsIgnoreCase(s.trim())) return k;
        throw new IllegalArgumentException("unknown model kind '" + s + "' (expected neumf, gmf, mlp or mf)");
    }

    /** The kind recorded in a file's metadata; older files, written before variants existed, are NeuMF. */
    public static ModelKind fromMetadata(Map<String, String> meta) {
        String v = meta.get(METADATA_KEY);
        return v == null ? NEUMF : parse(v);
    }

    /** Whether the GMF branch (mf_user, mf_item) is part of this model. */
    public boolean hasGmf() { return this != MLP; }

    /** Whether the MLP branch (mlp tables, dense layers) is part of this model. */
    public boolean hasMlp() { return this == NEUMF || this == MLP; }

    /** Sets the fixed part of {@code final_w} on freshly initialised parameters (NeuMF: nothing). */
    public ParamSet shape(ParamSet p) {
        int f = p.config().factors();
        FloatBuffer w = buf(p.get(ParamSet.FINAL_W));
        int n = p.config().finalInputDim();
        for (int r = 0; r < n; r++) {
            boolean gmfRow = r < f;
            if (this == MF) w.put(r, gmfRow ? 1f : 0f);
            else if (gmfRow && !hasGmf() || !gmfRow && !hasMlp()) w.put(r, 0f);
        }
        return p;
    }

    /** Zeroes the gradient entries of everything this variant must not train (called before every optimizer step). */
    public void zeroFrozen(ParamSet grads) {
        if (this == NEUMF) return;
        NeuMFConfig c = grads.config();
        if (!hasGmf()) {
            grads.get(ParamSet.MF_USER).assign(0);
            grads.get(ParamSet.MF_ITEM).assign(0);
        }
        if (!hasMlp()) {
            grads.get(ParamSet.MLP_USER).assign(0);
            grads.get(ParamSet.MLP_ITEM).assign(0);
            for (int k = 0; k < c.denseLayerCount(); k++) {
                grads.get(ParamSet.denseWeight(k)).assign(0);
                grads.get(ParamSet.denseBias(k)).assign(0);
            }
        }
        FloatBuffer w = buf(grads.get(ParamSet.FINAL_W));
        int f = c.factors(), n = c.finalInputDim();
        for (int r = 0; r < n; r++) {
            boolean gmfRow = r < f;
            if (this == MF || gmfRow && !hasGmf() || !gmfRow && !hasMlp()) w.put(r, 0f);
        }
    }

    /**
     * {@link #shape(ParamSet)} on parameters held flat in {@link ParamShapes} order (the engine-neutral snapshot
     * form): the same values, no ND4J.
     */
    public float[] shape(float[] flat, NeuMFConfig c) {
        long fw = ParamShapes.offset(c, ParamSet.FINAL_W);
        int f = c.factors(), n = c.finalInputDim();
        for (int r = 0; r < n; r++) {
            boolean gmfRow = r < f;
            if (this == MF) flat[(int) fw + r] = gmfRow ? 1f : 0f;
            else if (gmfRow && !hasGmf() || !gmfRow && !hasMlp()) flat[(int) fw + r] = 0f;
        }
        return flat;
    }

    /**
     * What {@link #zeroFrozen} zeroes, as {@code {offset, length}} ranges of the flat {@link ParamShapes} layout, so
     * an engine that keeps its gradients elsewhere (a GPU) freezes exactly the same entries. Empty for NeuMF.
     */
    public java.util.List<long[]> frozenRanges(NeuMFConfig c) {
        java.util.List<long[]> out = new java.util.ArrayList<>();
        if (this == NEUMF) return out;
        java.util.Map<String, long[]> shapes = ParamShapes.of(c);
        if (!hasGmf()) for (String t : new String[]{ParamSet.MF_USER, ParamSet.MF_ITEM}) out.add(new long[]{ParamShapes.offset(c, t), ParamShapes.length(shapes.get(t))});
        if (!hasMlp()) {
            // the MLP tables and every dense tensor are one contiguous run from mlp_user up to final_w
            long from = ParamShapes.offset(c, ParamSet.MLP_USER);
            out.add(new long[]{from, ParamShapes.offset(c, ParamSet.FINAL_W) - from});
        }
        long fw = ParamShapes.offset(c, ParamSet.FINAL_W);
        int f = c.factors(), n = c.finalInputDim();
        if (this == MF) out.add(new long[]{fw, n});
        else if (!hasGmf()) out.add(new long[]{fw, f});
        else if (!hasMlp()) out.add(new long[]{fw + f, n - f});
        return out;
    }

    private static FloatBuffer buf(INDArray a) { return a.data().asNioFloat(); }
}
