/**
 * Zero-shot classification by label-name similarity (config.ts `zeroshotSchema`; the math is core's
 * `zeroshotLogits`): no label is read to score a text. Writes logits a student can distil and `baseline.json`, from
 * which the final evaluation scores it on test.
 */
import * as path from 'node:path';
import { argmaxRows, classificationMetrics, corpusCentre, loadCharVectors, readJson, writeJsonAtomic, writeLogits, zeroshotLogits, type StageContext } from '@distill/core';
import type { ZeroshotParams } from './config';

/** What the final evaluation needs to score the zero-shot classifier on test (serve's `zeroshotResult`). */
export interface ZeroshotBaseline {
  name: string;
  role: 'baseline';
  format: 'zero-shot';
  description: string;
  /** as the pipeline gives them (resolved by the reader, ${DATA_DIR} included) */
  vectors: { file: string; vocab: string; dim: number };
  label_names: string[];
  /** the training and unlabeled texts' mean vector, removed before comparing */
  centre: number[];
  scale: number;
  split: 'valid';
  accuracy: number;
  macro_f1: number;
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
  const centre = p.center ? corpusCentre([...train.rows, ...(unlabeled?.rows ?? [])].map((r) => r.text), vectors) : new Float32Array(vectors.dim);
  const k = names.length;
  let validLogits: Float32Array = new Float32Array(0);
  for (const [split, ds] of [['train', train], ['valid', valid], ...(unlabeled ? [['unlabeled', unlabeled] as const] : [])] as const) {
    const logits = zeroshotLogits(ds.rows.map((r) => r.text), names, centre, vectors, p.scale);
    writeLogits(path.join(ctx.outDir, 'logits', `${split}.arrow`), ds.rows.map((r) => r.id), logits, k);
    if (split === 'valid') validLogits = logits;
  }
  // scored for the record only: nothing here is chosen by it
  const metrics = classificationMetrics(valid.rows.map((r) => r.label), argmaxRows(validLogits, k), valid.labels);
  const baseline: ZeroshotBaseline = {
    name: 'zero-shot',
    role: 'baseline',
    format: 'zero-shot',
    description: 'no labels: label names against the texts with character vectors',
    vectors: p.vectors,
    label_names: names,
    centre: Array.from(centre),
    scale: p.scale,
    split: 'valid',
    accuracy: metrics.accuracy,
    macro_f1: metrics.macro_f1,
  };
  writeJsonAtomic(path.join(ctx.outDir, 'baseline.json'), baseline);
  writeJsonAtomic(path.join(ctx.outDir, 'metrics.json'), { mode: 'zeroshot', label_names: names, chance: 1 / k, valid: metrics });
  ctx.log.info(`zero-shot valid accuracy ${(100 * metrics.accuracy).toFixed(2)} (chance ${(100 / k).toFixed(2)}), labels by name: ${names.join(', ')}`);
  return { summary: { mode: 'zeroshot', valid_accuracy: metrics.accuracy, chance: 1 / k } };
}
