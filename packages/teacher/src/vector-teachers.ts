/**
 * Teachers on character vectors, no model trained (config.ts `zeroshotSchema`, `knnSchema`; the math is core's
 * `zeroshotLogits` and `knnLogits`): `zeroshot` reads no label to score a text; `knn` is embedding lookup over the
 * training rows, `k` chosen on valid. Both write logits a student can distil and `baseline.json`, from which the final
 * evaluation scores them on test.
 */
import * as path from 'node:path';
import { argmaxRows, classificationMetrics, corpusCentre, knnLogits, loadCharVectors, sentenceVectors, writeJsonAtomic, writeLogits, zeroshotLogits, type Dataset, type StageContext } from '@distill/core';
import type { KnnParams, ZeroshotParams } from './config';
import { labelSpecs } from './label-file';

type VectorParams = ZeroshotParams | KnnParams;

/** The vectors, the splits, and the centre, which comes from texts only (the training rows' labels are not read). */
function vectorInputs(ctx: StageContext<VectorParams>) {
  const p = ctx.params;
  const vectors = loadCharVectors(ctx.path(p.vectors.file), ctx.path(p.vectors.vocab), p.vectors.dim);
  const train = ctx.dataset('data', 'train.arrow');
  const valid = ctx.dataset('data', 'valid.arrow');
  const unlabeled = p.label_unlabeled ? ctx.dataset('data', 'unlabeled.arrow') : null;
  const centre = p.center ? corpusCentre([...train.rows, ...(unlabeled?.rows ?? [])].map((r) => r.text), vectors) : new Float32Array(vectors.dim);
  return { vectors, train, valid, unlabeled, centre };
}

/** Writes each split's logits, the baseline record and the metrics; returns the valid metrics. */
function writeOutputs(ctx: StageContext<VectorParams>, splits: [Dataset, Float32Array][], baseline: Record<string, unknown>, metrics: Record<string, unknown>) {
  const names = ['train', 'valid', 'unlabeled'];
  splits.forEach(([ds, logits], i) => writeLogits(path.join(ctx.outDir, 'logits', `${names[i]}.arrow`), ds.rows.map((r) => r.id), logits, ds.labels.length));
  const [valid, validLogits] = splits[1];
  // scored for the record only: nothing here is chosen by it (knn chose its k on valid before)
  const m = classificationMetrics(valid.rows.map((r) => r.label), argmaxRows(validLogits, valid.labels.length), valid.labels);
  writeJsonAtomic(path.join(ctx.outDir, 'baseline.json'), { ...baseline, role: 'baseline', vectors: ctx.params.vectors, split: 'valid', accuracy: m.accuracy, macro_f1: m.macro_f1 });
  writeJsonAtomic(path.join(ctx.outDir, 'metrics.json'), { ...metrics, valid: m });
  return m;
}

const centreOf = (c: Float32Array) => Array.from(c);

export async function runZeroshot(ctx: StageContext<ZeroshotParams>) {
  const p = ctx.params;
  const { vectors, train, valid, unlabeled, centre } = vectorInputs(ctx);
  const names = labelSpecs(ctx).map((s) => s.verbalizer ?? s.name);
  const score = (ds: Dataset) => zeroshotLogits(ds.rows.map((r) => r.text), names, centre, vectors, p.scale);
  const splits: [Dataset, Float32Array][] = [train, valid, ...(unlabeled ? [unlabeled] : [])].map((ds) => [ds, score(ds)]);
  const k = names.length;
  const baseline = { name: 'zero-shot', format: 'zero-shot', description: 'no labels: label names against the texts with character vectors', label_names: names, centre: centreOf(centre), scale: p.scale };
  const m = writeOutputs(ctx, splits, baseline, { mode: 'zeroshot', label_names: names, chance: 1 / k });
  ctx.log.info(`zero-shot valid accuracy ${(100 * m.accuracy).toFixed(2)} (chance ${(100 / k).toFixed(2)}), labels by name: ${names.join(', ')}`);
  return { summary: { mode: 'zeroshot', valid_accuracy: m.accuracy, chance: 1 / k } };
}

export async function runKnn(ctx: StageContext<KnnParams>) {
  const p = ctx.params;
  const { vectors, train, valid, unlabeled, centre } = vectorInputs(ctx);
  const n = train.labels.length;
  const vecs = (ds: Dataset) => sentenceVectors(ds.rows.map((r) => r.text), vectors, centre);
  const refs = vecs(train);
  const refLabels = train.rows.map((r) => r.label);
  const validVecs = vecs(valid);
  const gold = valid.rows.map((r) => r.label);
  // k on valid; ties keep the smaller k
  const tried = [...new Set(p.k)].sort((a, b) => a - b).map((k) => ({ k, valid_accuracy: classificationMetrics(gold, argmaxRows(knnLogits(validVecs, refs, refLabels, n, k, p.scale), n), train.labels).accuracy }));
  const best = tried.reduce((a, b) => (b.valid_accuracy > a.valid_accuracy ? b : a));
  ctx.log.info(`kNN on ${train.rows.length} labeled rows: ${tried.map((t) => `k ${t.k}: ${(100 * t.valid_accuracy).toFixed(2)}`).join(', ')}; kept k ${best.k}`);
  const score = (queries: (Float32Array | null)[], exclude?: number[]) => knnLogits(queries, refs, refLabels, n, best.k, p.scale, exclude);
  const splits: [Dataset, Float32Array][] = [
    [train, score(refs, train.rows.map((_, i) => i))], // leave-one-out: a row does not vote for itself
    [valid, score(validVecs)],
    ...(unlabeled ? [[unlabeled, score(vecs(unlabeled))] as [Dataset, Float32Array]] : []),
  ];
  const baseline = { name: 'knn', format: 'knn', description: `nearest training rows by sentence vector (mean character vectors), k ${best.k}`, centre: centreOf(centre), k: best.k, scale: p.scale, tried };
  const m = writeOutputs(ctx, splits, baseline, { mode: 'knn', k: best.k, tried });
  return { summary: { mode: 'knn', k: best.k, valid_accuracy: m.accuracy } };
}
