/**
 * Embedding lookup (config.ts `knnSchema`; the math is core's `knnLogits`): the labeled rows' sentence vectors are the
 * model; `k` is chosen on valid. Writes logits a student can distil and `baseline.json`, from which the final
 * evaluation scores it on test against the same training rows.
 */
import * as path from 'node:path';
import { argmaxRows, classificationMetrics, corpusCentre, knnLogits, loadCharVectors, sentenceVectors, writeJsonAtomic, writeLogits, type StageContext } from '@distill/core';
import type { KnnParams } from './config';

export async function runKnn(ctx: StageContext<KnnParams>) {
  const p = ctx.params;
  const vectors = loadCharVectors(ctx.path(p.vectors.file), ctx.path(p.vectors.vocab), p.vectors.dim);
  const train = ctx.dataset('data', 'train.arrow');
  const valid = ctx.dataset('data', 'valid.arrow');
  const unlabeled = p.label_unlabeled ? ctx.dataset('data', 'unlabeled.arrow') : null;
  const labels = train.labels;
  const n = labels.length;
  const centre = p.center ? corpusCentre([...train.rows, ...(unlabeled?.rows ?? [])].map((r) => r.text), vectors) : new Float32Array(vectors.dim);
  const refs = sentenceVectors(train.rows.map((r) => r.text), vectors, centre);
  const refLabels = train.rows.map((r) => r.label);
  const validVecs = sentenceVectors(valid.rows.map((r) => r.text), vectors, centre);
  const gold = valid.rows.map((r) => r.label);
  // k on valid; ties keep the smaller k
  const tried = [...new Set(p.k)].sort((a, b) => a - b).map((k) => ({ k, valid_accuracy: classificationMetrics(gold, argmaxRows(knnLogits(validVecs, refs, refLabels, n, k, p.scale), n), labels).accuracy }));
  const best = tried.reduce((a, b) => (b.valid_accuracy > a.valid_accuracy ? b : a));
  ctx.log.info(`kNN on ${train.rows.length} labeled rows: ${tried.map((t) => `k ${t.k}: ${(100 * t.valid_accuracy).toFixed(2)}`).join(', ')}; kept k ${best.k}`);
  const score = (rows: readonly { text: string }[], exclude?: number[]) => knnLogits(sentenceVectors(rows.map((r) => r.text), vectors, centre), refs, refLabels, n, best.k, p.scale, exclude);
  const logits = {
    train: score(train.rows, train.rows.map((_, i) => i)), // leave-one-out: a row does not vote for itself
    valid: score(valid.rows),
    ...(unlabeled ? { unlabeled: score(unlabeled.rows) } : {}),
  };
  for (const [split, l] of Object.entries(logits)) {
    const ds = split === 'train' ? train : split === 'valid' ? valid : unlabeled!;
    writeLogits(path.join(ctx.outDir, 'logits', `${split}.arrow`), ds.rows.map((r) => r.id), l, n);
  }
  const metrics = classificationMetrics(gold, argmaxRows(logits.valid, n), labels);
  writeJsonAtomic(path.join(ctx.outDir, 'baseline.json'), {
    name: 'knn',
    role: 'baseline',
    format: 'knn',
    description: `nearest training rows by sentence vector (mean character vectors), k ${best.k}`,
    vectors: p.vectors,
    centre: Array.from(centre),
    k: best.k,
    scale: p.scale,
    tried,
    split: 'valid',
    accuracy: metrics.accuracy,
    macro_f1: metrics.macro_f1,
  });
  writeJsonAtomic(path.join(ctx.outDir, 'metrics.json'), { mode: 'knn', k: best.k, tried, valid: metrics });
  return { summary: { mode: 'knn', k: best.k, valid_accuracy: metrics.accuracy } };
}
