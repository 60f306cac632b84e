/**
 * Masked-LM substitution (contextual augmentation): mask about p of the words of a text, one [MASK] per character,
 * and fill each mask with one of the top-k tokens of a model's MLM head. Takes the `mlm` turns of the round robin.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { deriveSeed, FIXED_POS, loadTokenizer, Rng, WordPieceTokenizer, type Word } from '@distill/core';
import type { Strategies } from './config';
import { strategyCount, strategyFor, type Candidate } from './candidates';

interface Masked {
  row: number;
  text: string;
  /** the original character behind each [MASK], in order */
  originals: string[];
  rng: Rng;
}

const MASK = '[MASK]';
const CJK = /^\p{Script=Han}+$/u;

/** Masks about `p` of the maskable (Chinese) words, at least one; returns null when nothing can be masked. */
export function maskWords(words: readonly Word[], p: number, rng: Rng): { text: string; originals: string[] } | null {
  const maskable = words.map((x, i) => (!FIXED_POS.has(x.pos) && CJK.test(x.w) ? i : -1)).filter((i) => i >= 0);
  if (!maskable.length) return null;
  const chosen = new Set(rng.shuffle([...maskable]).slice(0, Math.max(1, Math.round(p * words.length))));
  const originals: string[] = [];
  const text = words
    .map((x, i) => {
      if (!chosen.has(i)) return x.w;
      const chars = Array.from(x.w);
      originals.push(...chars);
      return MASK.repeat(chars.length);
    })
    .join('');
  return { text, originals };
}

export async function mlmCandidates(checkpointDir: string, segmented: readonly (readonly Word[])[], cfg: NonNullable<Strategies['mlm']>, multiplier: number, seed: number, backend: string, textLevelStrategies: number): Promise<Candidate[][]> {
  // The model library (and tfjs) loads only when this strategy is used.
  const { loadCheckpoint, selectBackend, batchTensors, encodeAll, sequentialBatches } = await import('@distill/model');
  const tf = await import('@tensorflow/tfjs');
  await selectBackend(backend as never);
  const { encoder, vocab } = loadCheckpoint(checkpointDir); // heads as the file has them
  if (!encoder.config.mlmHead) throw new Error(`${checkpointDir}: the mlm strategy needs a checkpoint with an MLM head (cls.predictions.*)`);
  // the checkpoint's own tokenizer settings (lower-casing) when it has them
  const tokenizer = fs.existsSync(path.join(checkpointDir, 'tokenizer_config.json')) ? loadTokenizer(checkpointDir).tokenizer : new WordPieceTokenizer(vocab);
  const count = strategyCount({ mlm: cfg } as Strategies, textLevelStrategies);
  const jobs: Masked[] = [];
  segmented.forEach((words, i) => {
    const rng = new Rng(deriveSeed(seed, `mlm-row-${i}`));
    for (let k = 0; k < multiplier; k++) {
      if (strategyFor(i, k, count) !== count - 1) continue;
      const m = maskWords(words, cfg.p, rng);
      if (m) jobs.push({ row: i, ...m, rng });
    }
  });
  const banned = new Set([tokenizer.padId, tokenizer.unkId, tokenizer.clsId, tokenizer.sepId, tokenizer.maskId]);
  const out: Candidate[][] = segmented.map(() => []);
  const encoded = encodeAll(tokenizer, jobs.map((j) => j.text), encoder.config.maxPositions);
  for (const batch of sequentialBatches(encoded, 64, tokenizer.padId)) {
    const positions: number[] = [];
    batch.inputIds.forEach((id, flat) => id === tokenizer.maskId && positions.push(flat));
    const top = positions.length
      ? tf.tidy(() => {
          const { inputIds, attentionMask } = batchTensors(batch);
          const seq = encoder.forward({ inputIds, attentionMask }).sequence;
          return tf.topk(encoder.mlmLogits(seq, tf.tensor1d(positions, 'int32')), cfg.top_k + banned.size).indices.arraySync() as number[][];
        })
      : [];
    let next = 0;
    batch.indices.forEach((jobIndex, r) => {
      const job = jobs[jobIndex];
      const fills = job.originals.map((orig) => {
        const flat = positions[next];
        if (flat === undefined || Math.floor(flat / batch.seq) !== r) return orig; // truncated away: keep the original
        const choices = top[next].filter((id) => !banned.has(id)).slice(0, cfg.top_k);
        next += 1;
        return choices.length ? vocab[job.rng.pick(choices)].replace(/^##/, '') : orig;
      });
      let m = 0;
      out[job.row].push({ text: job.text.split(MASK).reduce((acc, part, idx) => (idx === 0 ? part : acc + fills[m++] + part), ''), strategy: 'mlm' });
    });
  }
  encoder.dispose();
  return out;
}
