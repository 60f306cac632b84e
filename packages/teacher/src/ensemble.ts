/**
 * The `ensemble` teacher (config.ts `ensembleSchema`): member teachers' logits pooled log-linearly (a product of
 * experts), the weights and a temperature chosen on valid. The members are stages the final evaluation can score
 * itself (each has a `baseline.json`), so the ensemble is scored on test from the same members and weights.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { argmaxRows, classificationMetrics, poolLogits, readLogits, writeJsonAtomic, writeLogits, type Dataset, type StageContext } from '@distill/core';
import type { EnsembleParams } from './config';
import { chooseTemperature } from './naive-bayes';

/** Every weight combination from `grid` but all zeros, lightest first (so that a tie keeps the lighter one). */
export function weightGrid(grid: readonly number[], members: number): number[][] {
  const values = [...new Set(grid)].sort((a, b) => a - b);
  let combos: number[][] = [[]];
  for (let i = 0; i < members; i++) combos = combos.flatMap((c) => values.map((v) => [...c, v]));
  const sum = (c: number[]) => c.reduce((a, b) => a + b, 0);
  return combos.filter((c) => sum(c) > 0).sort((a, b) => sum(a) - sum(b));
}

export async function runEnsemble(ctx: StageContext<EnsembleParams>) {
  const p = ctx.params;
  const valid = ctx.dataset('data', 'valid.arrow');
  const train = ctx.dataset('data', 'train.arrow');
  const k = train.labels.length;
  const where = `${ctx.pipeline.file}: stages.${ctx.stage}.params.members`;
  // a member's logits for a split, row for row with the data stage's
  const logitsOf = (role: string, split: string, ds: Dataset) => {
    const file = path.join(ctx.input(role), 'logits', `${split}.arrow`);
    ctx.recordRead(file);
    const l = readLogits(file);
    if (l.numLabels !== k || l.ids.length !== ds.rows.length || l.ids.some((id, i) => id !== ds.rows[i].id)) throw new Error(`${where}: ${file} does not hold one row of ${k} logits for each row of the data stage's ${split} split`);
    return l.logits;
  };
  for (const role of p.members) if (!fs.existsSync(path.join(ctx.input(role), 'baseline.json'))) throw new Error(`${where}: '${role}' (${ctx.input(role)}) has no baseline.json; a member is a teacher stage the final evaluation can score (naive_bayes, zeroshot, cloze, knn, prompt, ensemble)`);
  const gold = valid.rows.map((r) => r.label);
  const validLogits = p.members.map((role) => logitsOf(role, 'valid', valid));
  const accuracy = (logits: Float32Array) => classificationMetrics(gold, argmaxRows(logits, k), valid.labels).accuracy;
  const tried = weightGrid(p.weights, p.members.length).map((w) => ({ weights: w, valid_accuracy: accuracy(poolLogits(validLogits, w, k)) }));
  const best = tried.reduce((a, b) => (b.valid_accuracy > a.valid_accuracy ? b : a));
  const pooledValid = poolLogits(validLogits, best.weights, k);
  const { temperature, tried: losses } = chooseTemperature(pooledValid, gold, k, p.calibration);
  const alone = p.members.map((role, i) => `${role} ${(100 * accuracy(validLogits[i])).toFixed(2)}`).join(', ');
  ctx.log.info(`ensemble: members alone ${alone}; kept weights ${best.weights.join(', ')} (valid accuracy ${(100 * best.valid_accuracy).toFixed(2)}, of ${tried.length} combinations), temperature ${temperature}`);
  const splits: [string, Dataset][] = [['train', train], ['valid', valid], ...(p.label_unlabeled ? [['unlabeled', ctx.dataset('data', 'unlabeled.arrow')] as [string, Dataset]] : [])];
  for (const [split, ds] of splits) {
    const pooled = split === 'valid' ? pooledValid.map((x) => x / temperature) : poolLogits(p.members.map((role) => logitsOf(role, split, ds)), best.weights, k, temperature);
    writeLogits(path.join(ctx.outDir, 'logits', `${split}.arrow`), ds.rows.map((r) => r.id), pooled, k);
  }
  const members = p.members.map((role, i) => ({ role, baseline: path.relative(ctx.root, path.join(ctx.input(role), 'baseline.json')), weight: best.weights[i] }));
  const m = classificationMetrics(gold, argmaxRows(pooledValid, k), valid.labels);
  writeJsonAtomic(path.join(ctx.outDir, 'baseline.json'), {
    name: 'ensemble',
    role: 'baseline',
    format: 'ensemble',
    description: `log-linear pool of ${members.filter((x) => x.weight > 0).map((x) => `${x.role} × ${x.weight}`).join(', ')}, temperature ${temperature}`,
    members,
    temperature,
    split: 'valid',
    accuracy: m.accuracy,
    macro_f1: m.macro_f1,
  });
  writeJsonAtomic(path.join(ctx.outDir, 'metrics.json'), { mode: 'ensemble', valid: m, weights: best.weights, tried, calibration: { temperature, tried: losses } });
  return { summary: { mode: 'ensemble', valid_accuracy: m.accuracy, weights: Object.fromEntries(members.map((x) => [x.role, x.weight])), temperature } };
}
