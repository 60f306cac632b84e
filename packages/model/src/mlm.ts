/**
 * Masked-LM pretraining data (BERT): mask about 15% of the tokens of each text — whole words when word groups are
 * given — and of those replace 80% with [MASK], 10% with a random token, and leave 10% unchanged; the model predicts
 * the original tokens. Masks are drawn anew every epoch (dynamic masking), deterministically from the epoch's rng.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng, type WordPieceTokenizer } from '@distill/core';
import { bucketedBatches, type Batch, type Encoded } from './batching';
import type { Encoder } from './encoder';
import { batchTensors } from './inference';
import { crossEntropy } from './losses';
import type { TrainTask } from './trainer';

export interface MaskOptions {
  probability: number;
  maxLength: number;
  maskId: number;
  padId: number;
  clsId: number;
  sepId: number;
  vocabSize: number;
  /** ids below this are special tokens, never drawn as random replacements */
  firstRegularId: number;
}

export interface MaskedExample {
  ids: number[];
  /** positions in `ids` that carry a prediction target */
  positions: number[];
  targets: number[];
}

/** Token-id groups of one text: one group per word (whole-word masking) or per token. */
export type TokenGroups = number[][];

export function groupTokens(tokenizer: WordPieceTokenizer, words: readonly string[], wholeWord: boolean): TokenGroups {
  const groups = words.map((w) => tokenizer.tokenize(w).map((t) => tokenizer.idOf(t) ?? tokenizer.unkId)).filter((g) => g.length);
  return wholeWord ? groups : groups.flat().map((id) => [id]);
}

export function maskGroups(groups: TokenGroups, rng: Rng, o: MaskOptions): MaskedExample {
  const kept: number[][] = [];
  let budget = o.maxLength - 2;
  for (const g of groups) {
    if (g.length > budget) break;
    kept.push(g);
    budget -= g.length;
  }
  const tokens = kept.flat();
  const ids = [o.clsId, ...tokens, o.sepId];
  const want = Math.max(1, Math.round(o.probability * tokens.length));
  const starts: number[] = [];
  let pos = 1;
  for (const g of kept) {
    starts.push(pos);
    pos += g.length;
  }
  const positions: number[] = [];
  for (const k of rng.shuffle(kept.map((_, i) => i))) {
    if (positions.length >= want) break;
    if (positions.length && positions.length + kept[k].length > want) continue;
    for (let j = 0; j < kept[k].length; j++) positions.push(starts[k] + j);
  }
  positions.sort((a, b) => a - b);
  const targets = positions.map((p) => ids[p]);
  for (const p of positions) {
    const r = rng.next();
    if (r < 0.8) ids[p] = o.maskId;
    else if (r < 0.9) ids[p] = o.firstRegularId + rng.int(o.vocabSize - o.firstRegularId);
  }
  return { ids, positions, targets };
}

export interface MlmBatchTargets {
  /** flat positions (row · seq + column) of the targets in the padded batch */
  flat: number[];
  targets: number[];
}

export function batchTargets(batch: Batch, examples: readonly MaskedExample[]): MlmBatchTargets {
  const flat: number[] = [];
  const targets: number[] = [];
  batch.indices.forEach((idx, r) => {
    const ex = examples[idx];
    ex.positions.forEach((p, j) => {
      flat.push(r * batch.seq + p);
      targets.push(ex.targets[j]);
    });
  });
  return { flat, targets };
}

/** Masked-LM loss and accuracy of one batch. */
export function mlmLoss(encoder: Encoder, batch: Batch, t: MlmBatchTargets, training: boolean, seed = 0): { loss: tf.Scalar; logits: tf.Tensor2D } {
  const seq = encoder.forward(batchTensors(batch), { training, seed }).sequence;
  const logits = encoder.mlmLogits(seq, tf.tensor1d(t.flat, 'int32'));
  return { loss: crossEntropy(logits, tf.tensor1d(t.targets, 'int32')), logits };
}

export interface MlmTaskOptions {
  encoder: Encoder;
  groups: readonly TokenGroups[];
  valid: readonly TokenGroups[];
  mask: MaskOptions;
  batchSize: number;
  seed: number;
}

/** Pretraining as a TrainTask: fresh masks each epoch; scored by masked-token accuracy on a fixed masked valid set. */
export function mlmTask(o: MlmTaskOptions): TrainTask {
  let current: MaskedExample[] = [];
  const validRng = new Rng(o.seed ^ 0x5eed);
  const validExamples = o.valid.map((g) => maskGroups(g, validRng, o.mask));
  const validBatches = bucketedBatches(validExamples.map((e, index) => ({ index, ids: e.ids })), 64, o.mask.padId, new Rng(o.seed));
  return {
    epochBatches: (_epoch, rng) => {
      current = o.groups.map((g) => maskGroups(g, rng, o.mask));
      const encoded: Encoded[] = current.map((e, index) => ({ index, ids: e.ids }));
      return bucketedBatches(encoded, o.batchSize, o.mask.padId, rng);
    },
    loss: (batch, seed) => mlmLoss(o.encoder, batch, batchTargets(batch, current), true, seed).loss,
    evaluate: validExamples.length
      ? () => {
          let correct = 0;
          let total = 0;
          let lossSum = 0;
          for (const b of validBatches) {
            const t = batchTargets(b, validExamples);
            if (!t.flat.length) continue;
            const [l, right] = tf.tidy(() => {
              const { loss, logits } = mlmLoss(o.encoder, b, t, false);
              const hits = logits.argMax(-1).equal(tf.tensor1d(t.targets, 'int32')).sum();
              return [loss.dataSync()[0], hits.dataSync()[0]];
            });
            lossSum += l * t.flat.length;
            correct += right;
            total += t.flat.length;
          }
          const accuracy = total ? correct / total : 0;
          return { score: accuracy, mlm_accuracy: accuracy, mlm_loss: total ? lossSum / total : 0 };
        }
      : undefined,
  };
}
