/**
 * The student's own wide table fitted in closed form (`student_wide.fit`): naive Bayes over the student's hashed
 * n-grams, the gold training rows counted under their labels and the teacher-labelled rows (unlabeled, augmented)
 * spread over the labels by the teacher's probabilities. Fitting the table to the teacher's soft labels by counting,
 * rather than by SGD beside the encoder, gives it the teacher's knowledge of every n-gram the extra rows contain in one
 * pass.
 */
import { logSoftmaxRows, type Example, type Logger, type WordPieceTokenizer } from '@distill/core';
import { fitWideNaiveBayes, logisticReport, type Encoder } from '@distill/model';
import type { DistillParams } from './config';
import type { DistillSet } from './task';

export type StudentTableFit = NonNullable<NonNullable<DistillParams['student_wide']>['fit']>;

export interface StudentTableResult {
  summary: { wide_fit_alpha: number; wide_fit_soft_weight: number; wide_fit_valid_accuracy: number; wide_fit_logistic_weight?: number; wide_fit_logistic_valid_accuracy?: number; wide_fit_scale: number; wide_fit_out_of_fold_accuracy?: number };
  /** the set with the training rows' out-of-fold table logits (cross_fit ≥ 2), for the encoder to train beside */
  set: DistillSet;
}

/** The teacher's probabilities (softmax of its logits) of the set's rows after the `gold` training rows. */
export function softTargets(set: DistillSet, gold: number): Float32Array {
  const k = set.numLabels;
  return logSoftmaxRows(set.teacherLogits.subarray(gold * k), k).map(Math.exp);
}

/** Fits `student`'s table (replacing it) on `set`: the first `set.parts.train` rows gold, the rest soft. */
export function fitStudentTable(student: Encoder, tokenizer: WordPieceTokenizer, set: DistillSet, valid: readonly Example[], labels: readonly string[], fit: StudentTableFit, seed: number, log: Logger): StudentTableResult {
  const gold = set.parts.train;
  const soft = set.rows.slice(gold);
  const r = fitWideNaiveBayes(
    student,
    { tokenizer, train: set.rows.slice(0, gold), valid, labels },
    {
      alphas: fit.alpha,
      logistic: fit.logistic,
      ...(soft.length ? { soft: { texts: soft.map((x) => x.text), probs: softTargets(set, gold), weights: fit.soft_weight } } : {}),
      ...(fit.cross_fit >= 2 ? { crossFit: { folds: fit.cross_fit, seed } } : {}),
    },
    log,
  );
  const lr = logisticReport(r);
  log.info(`student table fit (naive Bayes): ${gold} gold rows, ${soft.length} teacher-labelled rows at weight ${r.soft_weight ?? 0}, alpha ${r.alpha}, valid accuracy ${(100 * r.valid_accuracy).toFixed(2)}${lr.text}, ${r.used_buckets} buckets used, ${r.seconds.toFixed(0)} s`);
  let out = set;
  if (r.out_of_fold) {
    const tableOutOfFold = new Float32Array(set.rows.length * set.numLabels).fill(NaN);
    tableOutOfFold.set(r.out_of_fold, 0); // the training rows come first
    out = { ...set, tableOutOfFold };
  }
  const oof = r.out_of_fold_accuracy !== undefined ? { wide_fit_out_of_fold_accuracy: r.out_of_fold_accuracy } : {};
  return { summary: { wide_fit_alpha: r.alpha, wide_fit_soft_weight: r.soft_weight ?? 0, wide_fit_valid_accuracy: r.valid_accuracy, ...lr.summary, wide_fit_scale: r.scale, ...oof }, set: out };
}
