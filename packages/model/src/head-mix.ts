/**
 * The two heads of a model with a wide n-gram table, mixed on valid: logits = table + w · encoder. The weight w is
 * chosen on valid rows from a grid (0 keeps the table alone, 1 is the sum as trained) and folded into the encoder's
 * classifier (its weight and bias times w), so the model, its checkpoint and its ONNX export stay the same graph.
 * A stacked ensemble's usual last step: the encoder's logits are a second opinion whose trust is set on held-out data.
 */
import * as tf from '@tensorflow/tfjs';
import { argmaxRows, type Example, type Logger, type WordPieceTokenizer } from '@distill/core';
import { hasWide, type Encoder } from './encoder';
import { encoderOnlyHead, predictLogits } from './inference';
import { wideHead } from './wide';

export const ENCODER_WEIGHTS = [0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 2] as const;

export interface HeadMix {
  /** the weight chosen and folded into the classifier */
  encoder_weight: number;
  /** valid accuracy per weight tried */
  tried: { weight: number; valid_accuracy: number }[];
  /** valid accuracy of the table alone (weight 0) and of the sum as trained (weight 1) */
  valid_table: number;
  valid_as_trained: number;
  valid_chosen: number;
  /** valid accuracy of each part alone and of both as trained (the weights tried aside) */
  components?: { table: number; encoder: number; both: number };
}

function accuracyOf(logits: Float32Array, gold: readonly number[], numLabels: number): number {
  const predicted = argmaxRows(logits, numLabels);
  let right = 0;
  gold.forEach((g, i) => (right += predicted[i] === g ? 1 : 0));
  return gold.length ? right / gold.length : 0;
}

/** Valid accuracy of table + w · encoder for each weight; the best is kept, among ties the one closest to 1 (the sum
 * as trained: no change without evidence on valid). */
export function chooseEncoderWeight(table: Float32Array, deep: Float32Array, gold: readonly number[], numLabels: number, weights: readonly number[] = ENCODER_WEIGHTS): HeadMix {
  const tried = weights.map((weight) => ({ weight, valid_accuracy: accuracyOf(table.map((t, i) => t + weight * deep[i]), gold, numLabels) }));
  const best = tried.reduce((a, b) => (b.valid_accuracy > a.valid_accuracy || (b.valid_accuracy === a.valid_accuracy && Math.abs(b.weight - 1) < Math.abs(a.weight - 1)) ? b : a));
  const at = (w: number) => tried.find((t) => t.weight === w)?.valid_accuracy ?? NaN;
  return { encoder_weight: best.weight, tried, valid_table: at(0), valid_as_trained: at(1), valid_chosen: best.valid_accuracy };
}

/** Chooses the encoder's weight on `valid` and folds it into the classifier. The model must have a wide part. */
export function mixHeadsOnValid(encoder: Encoder, tokenizer: WordPieceTokenizer, valid: readonly Example[], weights: readonly number[] = ENCODER_WEIGHTS): HeadMix {
  if (!hasWide(encoder.config)) throw new Error('mixHeadsOnValid: the model has no wide part');
  if (!valid.length) throw new Error('mixHeadsOnValid: no valid rows to choose the weight on');
  const texts = valid.map((r) => r.text);
  const table = predictLogits(wideHead(encoder), tokenizer, texts);
  const deep = predictLogits(encoderOnlyHead(encoder), tokenizer, texts);
  const gold = valid.map((r) => r.label);
  const k = encoder.config.numLabels;
  const mix = chooseEncoderWeight(table, deep, gold, k, weights);
  mix.components = { table: accuracyOf(table, gold, k), encoder: accuracyOf(deep, gold, k), both: accuracyOf(table.map((t, i) => t + deep[i]), gold, k) };
  for (const name of ['classifier.weight', 'classifier.bias']) {
    const v = encoder.params.get(name)!;
    const scaled = tf.tidy(() => v.mul(mix.encoder_weight));
    v.assign(scaled);
    scaled.dispose();
  }
  return mix;
}

/**
 * Sets the encoder's weight against the table (`encoder_weight` in a stage's params): chosen on valid (`'valid'`) or
 * fixed; folded into the classifier, so the checkpoint, its logits and its export are the mixed model.
 */
export function mixHeads(log: Logger, encoder: Encoder, tokenizer: WordPieceTokenizer, valid: readonly Example[], weight: number | 'valid'): HeadMix {
  const mix = mixHeadsOnValid(encoder, tokenizer, valid, weight === 'valid' ? ENCODER_WEIGHTS : [weight]);
  const c = mix.components!;
  log.info(`valid accuracy: table alone ${(100 * c.table).toFixed(2)}, encoder alone ${(100 * c.encoder).toFixed(2)}, both as trained ${(100 * c.both).toFixed(2)}`);
  log.info(`encoder weight against the table: ${mix.encoder_weight}${weight === 'valid' ? ` (valid accuracy by weight: ${mix.tried.map((t) => `${t.weight}: ${(100 * t.valid_accuracy).toFixed(2)}`).join(', ')})` : ' (fixed)'}`);
  return mix;
}
