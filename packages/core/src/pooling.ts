/**
 * Log-linear pooling of classifiers' logits (a product of experts): Σ wᵢ · log softmax(logitsᵢ), divided by a
 * temperature. The ensemble teacher chooses the weights on valid; the final evaluation pools the same members on test.
 */

/** log softmax of each row of `logits` [rows, k]. */
export function logSoftmaxRows(logits: Float32Array, k: number): Float32Array {
  const out = new Float32Array(logits.length);
  for (let r = 0; r < logits.length / k; r++) {
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, logits[r * k + j]);
    let z = 0;
    for (let j = 0; j < k; j++) z += Math.exp(logits[r * k + j] - max);
    const lz = max + Math.log(z);
    for (let j = 0; j < k; j++) out[r * k + j] = logits[r * k + j] - lz;
  }
  return out;
}

/** Σ wᵢ · log softmax(logitsᵢ), divided by `temperature`; a member of weight 0 is not read. */
export function poolLogits(members: readonly (Float32Array | null)[], weights: readonly number[], k: number, temperature = 1): Float32Array {
  let out: Float32Array | null = null;
  members.forEach((m, i) => {
    if (!weights[i]) return;
    if (!m) throw new Error(`poolLogits: member ${i} has weight ${weights[i]} and no logits`);
    const l = logSoftmaxRows(m, k);
    out ??= new Float32Array(m.length);
    for (let x = 0; x < out.length; x++) out[x] += (weights[i] * l[x]) / temperature;
  });
  if (!out) throw new Error('poolLogits: every weight is 0');
  return out;
}
