/**
 * Batches for training and inference: tokenised examples grouped by similar length (length-bucketed), each batch
 * padded only to its own longest sequence (dynamic padding).
 */
import { Rng, type WordPieceTokenizer } from '@distill/core';

export interface Encoded {
  /** row index in the source dataset */
  index: number;
  ids: number[];
}

export interface Batch {
  /** source row indices, in batch order */
  indices: number[];
  batch: number;
  seq: number;
  inputIds: Int32Array;
  attentionMask: Int32Array;
}

export function encodeAll(tokenizer: WordPieceTokenizer, texts: readonly string[], maxLength: number): Encoded[] {
  return texts.map((t, index) => ({ index, ids: tokenizer.encode(t, maxLength).ids }));
}

export function padBatch(items: readonly Encoded[], padId: number): Batch {
  const seq = Math.max(...items.map((e) => e.ids.length));
  const inputIds = new Int32Array(items.length * seq).fill(padId);
  const attentionMask = new Int32Array(items.length * seq);
  items.forEach((e, r) => {
    inputIds.set(e.ids, r * seq);
    attentionMask.fill(1, r * seq, r * seq + e.ids.length);
  });
  return { indices: items.map((e) => e.index), batch: items.length, seq, inputIds, attentionMask };
}

/** Inference batches in the original order. */
export function sequentialBatches(items: readonly Encoded[], batchSize: number, padId: number): Batch[] {
  const out: Batch[] = [];
  for (let i = 0; i < items.length; i += batchSize) out.push(padBatch(items.slice(i, i + batchSize), padId));
  return out;
}

/**
 * Inference batches of similar lengths (sorted by length, ties in input order), so little compute goes to padding;
 * each batch's `indices` say where its rows belong.
 */
export function lengthSortedBatches(items: readonly Encoded[], batchSize: number, padId: number): Batch[] {
  return sequentialBatches([...items].sort((a, b) => a.ids.length - b.ids.length || a.index - b.index), batchSize, padId);
}

/**
 * Training batches for one epoch: shuffle, sort by length inside windows of `bucketWindow` batches, cut into batches,
 * shuffle the batches. Deterministic given the rng state.
 */
export function bucketedBatches(items: readonly Encoded[], batchSize: number, padId: number, rng: Rng, bucketWindow = 50): Batch[] {
  const order = rng.shuffle([...items]);
  const window = batchSize * bucketWindow;
  const batches: Batch[] = [];
  for (let w = 0; w < order.length; w += window) {
    const chunk = order.slice(w, w + window).sort((a, b) => a.ids.length - b.ids.length);
    for (let i = 0; i < chunk.length; i += batchSize) batches.push(padBatch(chunk.slice(i, i + batchSize), padId));
  }
  return rng.shuffle(batches);
}
