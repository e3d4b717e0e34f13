/**
 * The fused CPU engine for NeuMF: the same function as the SameDiff graph ({@code io.ncf.model.samediff}), written
 * by hand so the CPU spends its time in gemm.
 *
 * <ul>
 *   <li>{@link io.ncf.model.fused.FusedCpuEngine}: forward/backward over preallocated row-major activation buffers;
 *       {@code cblas_sgemm} of the {@link io.ncf.core.blas.Blas} backend for the products, fused Java kernels for
 *       gather, bias+ReLU+dropout, final layer+loss, ReLU backward with bias-gradient sums and the embedding
 *       scatter-add.</li>
 *   <li>{@link io.ncf.core.blas.Blas}: Intel MKL when its JavaCPP presets are on the class path (optional
 *       dependency; {@code ncf.jar} ships them next to itself), else ND4J's OpenBLAS; {@code --blas},
 *       {@code NCF_BLAS} or {@code -Dncf.blas} choose.</li>
 *   <li>{@link io.ncf.model.fused.AdamKernels}: one-pass dense Adam (optionally zeroing the gradient) and lazy
 *       row-sparse Adam over {@link io.ncf.model.fused.TouchedRows}.</li>
 *   <li>{@link io.ncf.core.blas.Workers}: the small spin-then-park pool all kernels share.</li>
 *   <li>Timings on ml-20m-shaped tables: {@code io.ncf.bench.FusedEngineBench} in the ncf-bench module.</li>
 * </ul>
 *
 * <p>Design decisions, and why:
 * <ul>
 *   <li>Activations are row-major {@code [samples, width]}: a gathered embedding row, a dropout row and the final
 *       dot product are each one contiguous run. For OpenBLAS a row-major product is the column-major product of
 *       the transposes, so nothing is transposed or copied.</li>
 *   <li>By default the engine splits each product over its own workers, each calling a single-threaded sgemm
 *       (rows of C; columns of C for the weight gradients), and sets OpenBLAS to one thread for the duration of
 *       a call. OpenBLAS's pool threads busy-wait about 2^28 cycles (~0.1 s) after each call, i.e. through all the
 *       Java kernels between products, which on two cores takes one core away from them. The setting is process
 *       global: do not run another BLAS user concurrently with an engine call.</li>
 *   <li>The dropout mask is never stored: for {@code X = relu(Z) m} with {@code m} in {0, keep}, the backward
 *       factor {@code m [Z > 0]} is {@code keep [X > 0]}. Masks are drawn inline from
 *       {@link io.ncf.model.DropoutMask#rowState} (identical values to {@code fillRow}), branch-free.</li>
 *   <li>{@code sigmoid(z) - y} is computed as {@code s(z)(1-y) - s(-z)y} in double: rounding {@code sigmoid(z)}
 *       to 1f zeroes tiny gradients of saturated samples, and Adam's normalisation turns "0 instead of 1e-11"
 *       into full-size steps (found by the 50-step Adam comparison with the SameDiff graph).</li>
 *   <li>The first dense layer is factored through the embedding tables when that is cheaper
 *       ({@link io.ncf.model.fused.FusedCpuEngine.FirstLayer}): {@code concat(u, i) W0 = u W0[0:e] + i W0[e:2e]}, so
 *       the two MLP tables are projected through W0 once per parameter change ({@code [users + items, 256]}, two
 *       table-sized gemms) and a sample only gathers and adds two projected rows; backward scatter-adds each
 *       sample's {@code dZ0} row into per-user/per-item accumulators that four table-sized gemms turn into the W0 and
 *       MLP-table gradients in {@code finishGradients}. That removes the first layer's three per-sample products
 *       (~61% of NeuMF's per-sample FLOPs) for a cost that scales with users + items instead of samples. It relies on
 *       the {@link io.ncf.model.GradientEngine} step protocol ({@code finishGradients}, {@code parametersChanged}),
 *       and in AUTO mode engages only for callers that follow it and only for global steps of at least users + items
 *       samples, so a caller unaware of the protocol always gets complete, fresh results.</li>
 *   <li>Element-wise kernels (bias+ReLU+dropout, final layer+loss, ReLU backward with bias-gradient sums, Adam) copy
 *       a tile of rows ({@link io.ncf.model.fused.FusedCpuEngine#TILE} = 32) to per-worker heap arrays with bulk
 *       {@code FloatBuffer} copies (memcpy) and run one flat loop over the whole tile: C2 (JDK 17) vectorises
 *       {@code a[i] op b[i]} over {@code float[]}, but neither element-wise direct-buffer access nor a per-row loop
 *       like {@code t[base + j] + bias[j]}, whose operands sit at different offsets (measured 10-15x slower per
 *       element). Per-column operands (bias, final weights) are repeated per row in tile-sized arrays, per-column
 *       sums are accumulated per tile position and folded at the end. ReLU's indicator is
 *       {@code min(x * 2^127 * 2^127, 1)}, float arithmetic only, so it vectorises too.</li>
 *   <li>Dropout masks ({@link io.ncf.model.fused.MaskRows}): each 64-bit draw's four 16-bit lane comparisons are
 *       one SWAR add; a row's draws are made first in one loop without table accesses (C2 vectorises it), then two
 *       draws at a time index a 256-entry table of 8-float rows; the values are exactly
 *       {@link io.ncf.model.DropoutMask#fillRow}'s (tested), as the SameDiff and CUDA engines use the same
 *       definition. The masks are still ~10% of a training step ({@code FusedEngineBench --dropout 0} is ~20%
 *       faster, half of that the masks' arithmetic): expanding 16-bit lanes into unit order has no vector form in
 *       JDK 17's C2. Drawing a whole tile's rows in one flat loop was slower than row by row (measured).</li>
 *   <li>Samples grouped by user ({@link io.ncf.model.fused.SampleOrder}): {@code accumulateGradients} reorders a
 *       call's samples by user id (by item id when items outnumber users) with a stable counting sort before the
 *       micro-batches, because a global step's gradient is a sum over its samples. The projected user rows
 *       (141 MB for ml-20m), their dZ0 accumulators and the GMF user rows are then read and written in ascending
 *       order, a user's repeated samples hit L1, and only the item side stays random (27 MB tables). Each sample
 *       keeps the dropout mask of its original position; only the summation order of the gradients changes
 *       (tested against the double reference sorted and unsorted). Training at batch 1,048,576 went from
 *       160-166k to 175-185k samples/s in {@code FusedEngineBench}; the sort costs ~60 ms per 1M samples.
 *       Summing a user's run on-heap before touching its table rows once brought nothing more (measured).</li>
 *   <li>BLAS: the engine's products are skinny (K, N of 64-256; M of thousands of samples). On the 2-core AVX-512
 *       Xeon single-threaded MKL 2025.3 ran them at 82-108 GFLOP/s against OpenBLAS 0.3.31's 50-68 (numpy's
 *       OpenBLAS, same version: 40-51), while both reach ~110-120 on large square products; training went from
 *       149k to 174k samples/s at batch 1,048,576. MKL runs one thread per call (the redist jar has no sequential
 *       layer, so Intel OpenMP set to one thread): the engine's workers split every product themselves.</li>
 *   <li>Scoring runs the whole forward pass per worker over chunks of {@code SCORE_CHUNK} (256) samples: gather,
 *       products, bias+ReLU and the final layer all while the chunk's ~1 KB/sample of activations sits in that core's
 *       L2, where micro-batch-wide passes sent every activation to DRAM and back between kernels. The gather reads one
 *       table row {@code [P_item | mf_item]} per candidate (one contiguous read instead of two cache-missing
 *       streams) and a user's rows once per run of that user's candidates. The final layer is one product
 *       {@code [X_L | G] B} where column c of B is {@code [w_L ; mf_user[u_c] w_F]} for up to 8 users of the chunk.
 *       Every product has a fixed shape (a whole chunk; MKL's packed weights), because a BLAS picks kernels by shape:
 *       so a pair's score is bit-identical however many other pairs one call scores (the recommender's contract).
 *       ReLU is {@code (v + |v|) / 2}, exactly max(v, 0), because C2 vectorises abs better than max.</li>
 *   <li>Tried and not kept (no gain measurable on the 2-core machine): touching the random table rows of samples a
 *       few ahead (gather, scatter-add; and a touch pass over a scoring chunk's item rows) to overlap their cache
 *       misses; one BLAS gemv per run of a user's candidates for the GMF term (fast, but its result depends on the
 *       run length); micro-batches of 8,192 or 16,384 instead of
 *       65,536 (activations closer to L3); with the samples grouped by user, 4,096-32,768 were equal too. The remaining Java time is mostly the random 1 KB rows of gather and
 *       scatter-add (projected first layer, its dZ0 accumulators: memory latency) and the final layer's
 *       per-sample dot products.</li>
 *   <li>Embedding gradients: worker w owns table rows {@code r % threads == w}; every worker scans the micro-batch
 *       and adds only its rows, so duplicates accumulate without atomics and in a fixed order.</li>
 * </ul>
 */
package io.ncf.model.fused;
