/**
 * Prompt-based classification (PET-style cloze): the text is wrapped in a template with [MASK] slots, e.g.
 * `这条新闻标题的主题是[MASK][MASK]：{text}`, and the score of a label is the sum over slots of the MLM head's
 * log-probability of that label's verbalizer characters (`故事`, `文化`, …) at the slots.
 */
import * as tf from '@tensorflow/tfjs';
import { loadTokenizer, type WordPieceTokenizer } from '@distill/core';
import type { Batch } from './batching';
import { loadCheckpoint } from './checkpoint';
import { countParams, type Encoder, type ForwardOptions } from './encoder';
import { batchTensors, predictLogits, type ClassificationHead } from './inference';
import { logSoftmax } from './losses';

export interface Verbalizer {
  /** the template with `{text}` */
  template: string;
  /** ids[label][slot]: the token of each label's word at each [MASK] slot */
  ids: number[][];
  slots: number;
}

/**
 * Checks the template and verbalizer words against the vocabulary: every label needs a word of exactly one token per
 * [MASK] slot. Errors name the label or word.
 */
export function buildVerbalizer(template: string, words: readonly (string | undefined)[], labels: readonly string[], tokenizer: WordPieceTokenizer): Verbalizer {
  if (!template.includes('{text}')) throw new Error(`prompt template '${template}' has no {text}`);
  const slots = (template.match(/\[MASK\]/g) ?? []).length;
  if (!slots) throw new Error(`prompt template '${template}' has no [MASK] slot`);
  const ids = labels.map((label, l) => {
    const word = words[l];
    if (!word) throw new Error(`label '${label}' has no verbalizer word (give the label file 'label==word' lines)`);
    const pieces = Array.from(word).map((ch) => tokenizer.idOf(ch));
    if (pieces.length !== slots) throw new Error(`verbalizer '${word}' of label '${label}' has ${pieces.length} characters; the template has ${slots} [MASK] slots`);
    const missing = Array.from(word).find((_, j) => pieces[j] === undefined);
    if (missing !== undefined) throw new Error(`verbalizer '${word}' of label '${label}': '${missing}' is not in the vocabulary`);
    return pieces as number[];
  });
  return { template, ids, slots };
}

export function applyTemplate(v: Verbalizer, text: string): string {
  return v.template.replace('{text}', text);
}

/** Label scores [batch, labels] from the MLM head at the [MASK] slots of each row. */
export function clozeLogits(encoder: Encoder, batch: Batch, v: Verbalizer, maskId: number, opts: ForwardOptions = {}): tf.Tensor2D {
  const flat: number[] = [];
  for (let r = 0; r < batch.batch; r++) {
    let found = 0;
    for (let j = 0; j < batch.seq && found < v.slots; j++) {
      if (batch.inputIds[r * batch.seq + j] === maskId) {
        flat.push(r * batch.seq + j);
        found += 1;
      }
    }
    if (found !== v.slots) throw new Error(`prompt: row ${batch.indices[r]} has ${found} [MASK] slots after truncation, expected ${v.slots}; put the slots before {text}`);
  }
  const seq = encoder.forward(batchTensors(batch), opts).sequence;
  const logp = logSoftmax(encoder.mlmLogits(seq, tf.tensor1d(flat, 'int32'))).reshape([batch.batch, v.slots, -1]);
  let scores: tf.Tensor | null = null;
  for (let j = 0; j < v.slots; j++) {
    const slot = logp.slice([0, j, 0], [batch.batch, 1, -1]).reshape([batch.batch, -1]);
    const part = tf.gather(slot, tf.tensor1d(v.ids.map((w) => w[j]), 'int32'), 1);
    scores = scores ? scores.add(part) : part;
  }
  return scores as tf.Tensor2D;
}

/** A cloze prompt as a classification head. */
export function promptHead(encoder: Encoder, v: Verbalizer, maskId: number): ClassificationHead {
  if (!encoder.config.mlmHead) throw new Error('prompt mode needs an encoder with an MLM head (start from a pretrained checkpoint)');
  return { encoder, numLabels: v.ids.length, prepare: (t) => applyTemplate(v, t), logits: (b, o) => clozeLogits(encoder, b, v, maskId, o) };
}

/**
 * Zero-shot cloze classification with a masked-LM checkpoint as it is (no training, no label read): each label scores
 * its verbalizer in the template's [MASK] slots. `centre`, when given, is subtracted from every row's scores: the
 * scores' mean over unlabeled texts, the model's prior for each word in the template whatever the text, which would
 * otherwise pick the same label for most texts (as contextual calibration, Zhao et al., 2021, does with a content-free
 * text).
 */
export interface ClozeScorer {
  score(texts: readonly string[]): Float32Array;
  numLabels: number;
  params: number;
  dispose(): void;
}

export function clozeScorer(checkpointDir: string, template: string, words: readonly (string | undefined)[], labels: readonly string[], centre?: Float32Array): ClozeScorer {
  const { tokenizer } = loadTokenizer(checkpointDir);
  const { encoder } = loadCheckpoint(checkpointDir, { numLabels: 0, mlmHead: true });
  const head = promptHead(encoder, buildVerbalizer(template, words, labels, tokenizer), tokenizer.maskId);
  const k = labels.length;
  if (centre && centre.length !== k) throw new Error(`cloze: a centre of ${centre.length} values for ${k} labels`);
  return {
    numLabels: k,
    params: countParams(encoder.params),
    score: (texts) => {
      const logits = predictLogits(head, tokenizer, texts);
      if (centre) for (let i = 0; i < logits.length; i++) logits[i] -= centre[i % k];
      return logits;
    },
    dispose: () => encoder.dispose(),
  };
}

/** Each label's mean score over the rows of `logits` [rows, k]: the `centre` a cloze scorer subtracts. */
export function meanScores(logits: Float32Array, k: number): Float32Array {
  const out = new Float32Array(k);
  const rows = logits.length / k;
  for (let i = 0; i < logits.length; i++) out[i % k] += logits[i] / rows;
  return out;
}
