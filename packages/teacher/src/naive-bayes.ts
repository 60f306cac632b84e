/**
 * Naive Bayes in the teacher stage: the baseline every classification mode scores (`naive_bayes`), optionally
 * self-trained by EM on the unlabeled text, and the `naive_bayes` mode, where it is the teacher.
 */
import * as path from 'node:path';
import { NaiveBayes, writeJsonAtomic, writeLogits, type ClassificationMetrics, type Example, type StageContext } from '@distill/core';
import type { NaiveBayesTeacherParams } from './config';

interface NaiveBayesParams {
  ngram_max: number;
  alpha: number;
  em?: { rounds: number[]; unlabeled_weight: number[] };
}

interface EmChoice {
  rounds: number;
  unlabeled_weight: number;
  tried: { rounds: number; unlabeled_weight: number; valid_accuracy: number }[];
}

/**
 * Fits naive Bayes on the training rows; with `em`, self-trained on `unlabeled`, its rounds and weight chosen on valid
 * (ties: fewer rounds, then less weight). Returns the model, its valid metrics and the baseline record the final
 * evaluation refits from.
 */
export function fitNaiveBayes(log: StageContext<unknown>['log'], p: NaiveBayesParams, train: readonly Example[], valid: readonly Example[], unlabeled: readonly string[] | null, labels: readonly string[]) {
  let nb = NaiveBayes.train(train, labels.length, p.ngram_max, p.alpha);
  let metrics: ClassificationMetrics = nb.evaluate(valid, labels);
  let em: EmChoice | null = null;
  if (p.em && unlabeled?.length) {
    const tried: EmChoice['tried'] = [];
    const supervised = { nb, metrics };
    let best = { rounds: 0, unlabeled_weight: 0, nb, metrics };
    for (const rounds of [...p.em.rounds].sort((a, b) => a - b)) {
      for (const w of rounds === 0 ? [0] : [...p.em.unlabeled_weight].sort((a, b) => a - b)) {
        // 0 rounds is the supervised model fitted above
        const model = rounds === 0 ? supervised.nb : NaiveBayes.trainEm(train, unlabeled, labels.length, p.ngram_max, p.alpha, rounds, w);
        const m = rounds === 0 ? supervised.metrics : model.evaluate(valid, labels);
        tried.push({ rounds, unlabeled_weight: w, valid_accuracy: m.accuracy });
        if (m.accuracy > best.metrics.accuracy) best = { rounds, unlabeled_weight: w, nb: model, metrics: m };
      }
    }
    ({ nb, metrics } = best);
    em = { rounds: best.rounds, unlabeled_weight: best.unlabeled_weight, tried };
    log.info(`naive Bayes self-training (EM on ${unlabeled.length} unlabeled texts): ${tried.map((t) => `${t.rounds} rounds × ${t.unlabeled_weight}: ${(100 * t.valid_accuracy).toFixed(2)}`).join(', ')}; kept ${best.rounds} rounds × ${best.unlabeled_weight}`);
  }
  const selfTrained = !!em && em.rounds > 0;
  const baseline = {
    // the method as configured (a model of the same pipeline keeps its name whichever round count valid chose)
    name: p.em ? 'naive-bayes-em' : 'naive-bayes',
    role: 'baseline' as const,
    format: 'naive-bayes',
    description: `multinomial naive Bayes, character 1-${p.ngram_max}-grams, alpha ${p.alpha}${selfTrained ? `, self-trained by EM on the unlabeled text (${em!.rounds} rounds, weight ${em!.unlabeled_weight})` : ''}`,
    ngram_max: p.ngram_max,
    alpha: p.alpha,
    ...(em ? { em } : {}),
    split: 'valid',
    accuracy: metrics.accuracy,
    macro_f1: metrics.macro_f1,
    params: nb.numParams,
    metrics,
  };
  return { nb, metrics, baseline };
}

/** Mean negative log-likelihood of the gold labels under softmax(logits / t). */
function logLoss(logits: Float32Array, gold: readonly number[], k: number, t: number): number {
  let total = 0;
  gold.forEach((g, r) => {
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, logits[r * k + j] / t);
    let z = 0;
    for (let j = 0; j < k; j++) z += Math.exp(logits[r * k + j] / t - max);
    total += -(logits[r * k + g] / t - max - Math.log(z));
  });
  return total / gold.length;
}

/** Of `candidates`, the temperature with the least valid log-loss (the first on a tie), and every candidate's loss. */
export function chooseTemperature(validLogits: Float32Array, gold: readonly number[], k: number, candidates: readonly number[]) {
  const tried = candidates.map((t) => ({ temperature: t, valid_log_loss: logLoss(validLogits, gold, k, t) }));
  return { temperature: tried.reduce((a, b) => (b.valid_log_loss < a.valid_log_loss ? b : a)).temperature, tried };
}

/** The `naive_bayes` mode: naive Bayes (with EM) as the teacher; its calibrated log posteriors are the logits. */
export async function runNaiveBayesTeacher(ctx: StageContext<NaiveBayesTeacherParams>) {
  const p = ctx.params;
  const train = ctx.dataset('data', 'train.arrow');
  const valid = ctx.dataset('data', 'valid.arrow');
  const unlabeled = p.label_unlabeled || p.em ? ctx.dataset('data', 'unlabeled.arrow') : null;
  const labels = train.labels;
  const k = labels.length;
  const { nb, metrics, baseline } = fitNaiveBayes(ctx.log, p, train.rows, valid.rows, unlabeled?.rows.map((r) => r.text) ?? null, labels);
  const validScores = nb.scoresAll(valid.rows.map((r) => r.text));
  const { temperature, tried: losses } = chooseTemperature(validScores, valid.rows.map((r) => r.label), k, p.calibration);
  ctx.log.info(`naive Bayes teacher: valid accuracy ${(100 * metrics.accuracy).toFixed(2)}; calibration ${losses.map((l) => `T ${l.temperature}: ${l.valid_log_loss.toFixed(3)}`).join(', ')}; kept T ${temperature}`);
  const scaled = (s: Float32Array) => s.map((x) => x / temperature);
  const splits: [string, readonly Example[]][] = [['train', train.rows], ['valid', valid.rows], ...(p.label_unlabeled && unlabeled ? [['unlabeled', unlabeled.rows] as [string, readonly Example[]]] : [])];
  for (const [split, rows] of splits) {
    const logits = split === 'valid' ? scaled(validScores) : scaled(nb.scoresAll(rows.map((r) => r.text)));
    writeLogits(path.join(ctx.outDir, 'logits', `${split}.arrow`), rows.map((r) => r.id), logits, k);
  }
  writeJsonAtomic(path.join(ctx.outDir, 'baseline.json'), { ...baseline, calibration: { temperature, tried: losses } });
  writeJsonAtomic(path.join(ctx.outDir, 'metrics.json'), { mode: 'naive_bayes', valid: metrics, calibration: { temperature, tried: losses }, ...(baseline.em ? { em: baseline.em } : {}) });
  return { summary: { mode: 'naive_bayes', valid_accuracy: metrics.accuracy, temperature, ...(baseline.em ? { em_rounds: baseline.em.rounds } : {}) } };
}
