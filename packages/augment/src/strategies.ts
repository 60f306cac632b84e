/**
 * Augmentation strategies. Each takes the words of one text and an rng, and returns new words.
 * Words come from the BERT basic tokenizer (each CJK character is one word) until a segmenter is configured.
 */
import type { Rng } from '@distill/core';
import type { Strategies } from './config';

export type StrategyName = keyof Strategies;
export type Strategy = (words: string[], rng: Rng) => string[];

export const UNK = '[UNK]';

export function unkNoise(p: number): Strategy {
  return (words, rng) => words.map((w) => (rng.next() < p ? UNK : w));
}

export function randomSwap(n: number): Strategy {
  return (words, rng) => {
    const out = [...words];
    if (out.length < 2) return out;
    for (let k = 0; k < n; k++) {
      const i = rng.int(out.length);
      const j = rng.int(out.length);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  };
}

export function randomDelete(p: number): Strategy {
  return (words, rng) => {
    const out = words.filter(() => rng.next() >= p);
    return out.length ? out : [words[rng.int(words.length)]];
  };
}

export function buildStrategies(cfg: Strategies): [StrategyName, Strategy][] {
  const out: [StrategyName, Strategy][] = [];
  if (cfg.unk) out.push(['unk', unkNoise(cfg.unk.p)]);
  if (cfg.swap) out.push(['swap', randomSwap(cfg.swap.n)]);
  if (cfg.delete) out.push(['delete', randomDelete(cfg.delete.p)]);
  return out;
}
