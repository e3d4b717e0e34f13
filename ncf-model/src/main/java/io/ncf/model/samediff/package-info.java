/**
 * NeuMF as a SameDiff graph: the definition other engines are checked against.
 *
 * <p>DL4J 1.0.0-M2.1 needs user-side workarounds, all applied here (see {@code shared/notes/dl4j-m2.1.md}):
 * <ul>
 *   <li>gather has a broken backprop (#9756): embedding rows are gathered in Java, fed as placeholders, and the
 *       placeholders' gradients are scatter-added into dense gradient tables in Java;</li>
 *   <li>dropout has no backprop (#9801): masks come from {@link io.ncf.model.DropoutMask} and are multiplied in
 *       after each dense layer's ReLU, so every engine drops the same units;</li>
 *   <li>{@code sd.loss.*} ignores upstream gradients: the scale ({@code weight}) is the loss op's weights argument;</li>
 *   <li>{@code calculateGradientsAndOutputs} turns the session's array cache off, which leaves every activation
 *       to the GC: the gradient function is run directly with the cache on, plus a GC per micro-batch for the
 *       rest.</li>
 * </ul>
 * Dense weights are placeholders too, so the {@link io.ncf.model.ParamSet} stays the only copy of the model.
 */
package io.ncf.model.samediff;
