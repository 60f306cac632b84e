/**
 * Pretrained character vectors (e.g. the 200-d Tencent AI Lab ones) and what needs no model to use them: zero-shot
 * classification by label-name similarity. Shared by the teacher stage (which writes its logits) and the final
 * evaluation (which scores it on test).
 */
import * as fs from 'node:fs';
import { readJson } from './fsutil';

export interface CharVectors {
  dim: number;
  index: Map<string, number>;
  values: Float32Array;
}

/** Reads `rows × dim` little-endian float32 and a JSON vocabulary: a list (row → token) or an object (token → row). */
export function loadCharVectors(file: string, vocabFile: string, dim: number): CharVectors {
  if (!fs.existsSync(file)) throw new Error(`${file}: embeddings file not found`);
  const buf = fs.readFileSync(file);
  if (buf.length % (4 * dim) !== 0) throw new Error(`${file}: ${buf.length} bytes is not a whole number of ${dim}-d float32 rows`);
  const rows = buf.length / (4 * dim);
  const values = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
  const vocab = readJson<string[] | Record<string, number>>(vocabFile);
  const entries: [string, number][] = Array.isArray(vocab) ? vocab.map((t, i) => [t, i]) : Object.entries(vocab);
  for (const [token, row] of entries) {
    if (!Number.isInteger(row) || row < 0 || row >= rows) throw new Error(`${vocabFile}: token '${token}' points at row ${row}; ${file} has ${rows} rows`);
  }
  return { dim, index: new Map(entries), values };
}

/** The mean vector of the characters of `text` that have one; null when none has. */
export function meanVector(text: string, v: CharVectors): Float32Array | null {
  const out = new Float32Array(v.dim);
  let n = 0;
  for (const ch of text) {
    const row = v.index.get(ch);
    if (row === undefined) continue;
    for (let j = 0; j < v.dim; j++) out[j] += v.values[row * v.dim + j];
    n += 1;
  }
  if (!n) return null;
  for (let j = 0; j < v.dim; j++) out[j] /= n;
  return out;
}

/** The mean of the texts' mean vectors (their common direction); zeros when none has a vector. */
export function corpusCentre(texts: readonly string[], v: CharVectors): Float32Array {
  const centre = new Float32Array(v.dim);
  let n = 0;
  for (const t of texts) {
    const m = meanVector(t, v);
    if (!m) continue;
    for (let j = 0; j < v.dim; j++) centre[j] += m[j];
    n += 1;
  }
  if (n) for (let j = 0; j < v.dim; j++) centre[j] /= n;
  return centre;
}

/**
 * Zero-shot logits [texts × labels]: scale × cos(text − centre, name − centre), each text and label name by its mean
 * character vector. A text without any known character gets zeros (a uniform soft label).
 */
export function zeroshotLogits(texts: readonly string[], names: readonly string[], centre: Float32Array, v: CharVectors, scale: number): Float32Array {
  const labels = sentenceVectors(names, v, centre).map((u, i) => {
    if (!u) throw new Error(`zeroshot: no character of the label name '${names[i]}' (label ${i}) has a vector`);
    return u;
  });
  const out = new Float32Array(texts.length * names.length);
  sentenceVectors(texts, v, centre).forEach((u, r) => {
    if (!u) return;
    labels.forEach((l, c) => {
      let dot = 0;
      for (let j = 0; j < v.dim; j++) dot += u[j] * l[j];
      out[r * names.length + c] = scale * dot;
    });
  });
  return out;
}

/** Each text's mean character vector minus `centre`, scaled to unit length; null for a text without a known character. */
export function sentenceVectors(texts: readonly string[], v: CharVectors, centre: Float32Array): (Float32Array | null)[] {
  return texts.map((t) => {
    const m = meanVector(t, v);
    if (!m) return null;
    let norm = 0;
    for (let j = 0; j < v.dim; j++) {
      m[j] -= centre[j];
      norm += m[j] * m[j];
    }
    norm = Math.sqrt(norm);
    return norm > 0 ? m.map((a) => a / norm) : null;
  });
}

/**
 * Nearest-neighbour vote (embedding lookup): each query's `k` most similar reference rows by cosine (exact, brute
 * force: the labeled sets this is for have hundreds to thousands of rows) vote for their labels, each with its
 * similarity. Returns [queries × labels] logits: scale × each label's share of the vote (zeros for a query without a
 * vector). `exclude[q]` is a reference row the query must not see (itself, for leave-one-out scores of the labeled rows).
 */
export function knnLogits(queries: readonly (Float32Array | null)[], refs: readonly (Float32Array | null)[], refLabels: ArrayLike<number>, numLabels: number, k: number, scale: number, exclude?: readonly number[]): Float32Array {
  const out = new Float32Array(queries.length * numLabels);
  const sims = new Float32Array(refs.length);
  queries.forEach((q, r) => {
    if (!q) return;
    sims.fill(-Infinity);
    refs.forEach((ref, i) => {
      if (!ref || exclude?.[r] === i) return;
      let dot = 0;
      for (let j = 0; j < q.length; j++) dot += q[j] * ref[j];
      sims[i] = dot;
    });
    // the k best, by a partial selection (k is small)
    const best: number[] = [];
    for (let i = 0; i < sims.length; i++) {
      if (sims[i] === -Infinity) continue;
      if (best.length < k) best.push(i);
      else if (sims[i] > sims[best[best.length - 1]]) best[best.length - 1] = i;
      else continue;
      for (let b = best.length - 1; b > 0 && sims[best[b]] > sims[best[b - 1]]; b--) [best[b], best[b - 1]] = [best[b - 1], best[b]];
    }
    let total = 0;
    const votes = new Float64Array(numLabels);
    for (const i of best) {
      const w = Math.max(sims[i], 0) + 1e-6; // dissimilar neighbours count for (almost) nothing
      votes[refLabels[i]] += w;
      total += w;
    }
    if (total > 0) for (let c = 0; c < numLabels; c++) out[r * numLabels + c] = (scale * votes[c]) / total;
  });
  return out;
}
