/** Zero-shot classification by label-name similarity (config.ts `zeroshotSchema`): no label is read to score a text. */
import * as path from 'node:path';
import { argmaxRows, classificationMetrics, readJson, writeJsonAtomic, writeLogits, type StageContext } from '@distill/core';
import { loadCharVectors, type CharVectors } from '@distill/model';
import type { ZeroshotParams } from './config';

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

/**
 * Logits [texts × labels]: scale × cos(text − centre, name − centre). A text without any known character gets zeros
 * (a uniform soft label); `centre` is the mean text vector of `corpus` when `center`, else zero.
 */
export function zeroshotLogits(texts: readonly string[], names: readonly string[], corpus: readonly string[], v: CharVectors, o: { center: boolean; scale: number }): Float32Array {
  const centre = new Float32Array(v.dim);
  if (o.center) {
    let n = 0;
    for (const t of corpus) {
      const m = meanVector(t, v);
      if (!m) continue;
      for (let j = 0; j < v.dim; j++) centre[j] += m[j];
      n += 1;
    }
    if (n) for (let j = 0; j < v.dim; j++) centre[j] /= n;
  }
  const unit = (x: Float32Array | null) => {
    if (!x) return null;
    const y = x.map((a, j) => a - centre[j]);
    const norm = Math.hypot(...y);
    return norm > 0 ? y.map((a) => a / norm) : null;
  };
  const labels = names.map((name, i) => {
    const u = unit(meanVector(name, v));
    if (!u) throw new Error(`zeroshot: no character of the label name '${name}' (label ${i}) has a vector`);
    return u;
  });
  const out = new Float32Array(texts.length * names.length);
  texts.forEach((t, r) => {
    const u = unit(meanVector(t, v));
    if (!u) return;
    labels.forEach((l, c) => {
      let dot = 0;
      for (let j = 0; j < v.dim; j++) dot += u[j] * l[j];
      out[r * names.length + c] = o.scale * dot;
    });
  });
  return out;
}

export async function runZeroshot(ctx: StageContext<ZeroshotParams>) {
  const p = ctx.params;
  const dataDir = ctx.input('data');
  const specs = readJson<{ name: string; verbalizer?: string }[]>(path.join(dataDir, 'labels.json'));
  const names = specs.map((s) => s.verbalizer ?? s.name);
  const vectors = loadCharVectors(ctx.path(p.vectors.file), ctx.path(p.vectors.vocab), p.vectors.dim);
  const train = ctx.dataset('data', 'train.arrow');
  const valid = ctx.dataset('data', 'valid.arrow');
  const unlabeled = p.label_unlabeled ? ctx.dataset('data', 'unlabeled.arrow') : null;
  // the centre comes from texts only: the training rows' labels are never read here
  const corpus = [...train.rows, ...(unlabeled?.rows ?? [])].map((r) => r.text);
  const score = (rows: readonly { text: string }[]) => zeroshotLogits(rows.map((r) => r.text), names, corpus, vectors, p);
  const k = names.length;
  const metrics: Record<string, unknown> = { mode: 'zeroshot', label_names: names, chance: 1 / k };
  for (const [split, ds] of [['train', train], ['valid', valid], ...(unlabeled ? [['unlabeled', unlabeled] as const] : [])] as const) {
    const logits = score(ds.rows);
    writeLogits(path.join(ctx.outDir, 'logits', `${split}.arrow`), ds.rows.map((r) => r.id), logits, k);
    // scored for the record only: nothing here is chosen by it
    if (split === 'valid') metrics.valid = classificationMetrics(ds.rows.map((r) => r.label), argmaxRows(logits, k), ds.labels);
  }
  writeJsonAtomic(path.join(ctx.outDir, 'metrics.json'), metrics);
  const acc = (metrics.valid as { accuracy: number }).accuracy;
  ctx.log.info(`zero-shot valid accuracy ${(100 * acc).toFixed(2)} (chance ${(100 / k).toFixed(2)}), labels by name: ${names.join(', ')}`);
  return { summary: { mode: 'zeroshot', valid_accuracy: acc, chance: 1 / k } };
}
