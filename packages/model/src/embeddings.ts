/**
 * Warm start of the word embeddings from pretrained character vectors (e.g. 200-d Tencent AI Lab vectors): each
 * vocabulary token found among the vectors (`##` continuation pieces by their character) gets its vector through a
 * fixed random projection to the hidden size, rescaled to the initializer's scale; other rows keep their init.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng, type CharVectors } from '@distill/core';
import type { Encoder } from './encoder';

export { loadCharVectors, type CharVectors } from '@distill/core';

/** Overwrites the embedding rows of covered tokens; returns the share of the vocabulary covered. */
export function warmStartEmbeddings(encoder: Encoder, vocab: readonly string[], vectors: CharVectors, seed: number): number {
  const H = encoder.config.hiddenSize;
  const rng = new Rng(seed);
  const projection = Float32Array.from({ length: vectors.dim * H }, () => rng.normal() / Math.sqrt(vectors.dim));
  const table = encoder.params.get('bert.embeddings.word_embeddings.weight')!;
  const rows = Float32Array.from(table.dataSync() as Float32Array);
  let covered = 0;
  vocab.forEach((token, id) => {
    const row = vectors.index.get(token.startsWith('##') ? token.slice(2) : token);
    if (row === undefined || token.startsWith('[')) return;
    const v = vectors.values.subarray(row * vectors.dim, (row + 1) * vectors.dim);
    const out = new Float32Array(H);
    for (let i = 0; i < vectors.dim; i++) for (let j = 0; j < H; j++) out[j] += v[i] * projection[i * H + j];
    const mean = out.reduce((a, b) => a + b, 0) / H;
    const std = Math.sqrt(out.reduce((a, b) => a + (b - mean) ** 2, 0) / H) || 1;
    for (let j = 0; j < H; j++) rows[id * H + j] = ((out[j] - mean) / std) * encoder.config.initializerRange;
    covered += 1;
  });
  const t = tf.tensor(rows, table.shape, 'float32');
  table.assign(t);
  t.dispose();
  return covered / vocab.length;
}
