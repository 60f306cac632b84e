/**
 * The text-level augmentation strategies (all but the masked-LM one, see mlm.ts). Each maps the words of one text
 * and an rng to new words; a word keeps its part-of-speech tag unless it is replaced by one of another tag.
 */
import { FIXED_POS, type PosVocab, type Rng, type Word } from '@distill/core';
import type { Strategies, StrategyName } from './config';
import { synonymsOf, type Synonyms } from './lexicon';

export type Strategy = (words: readonly Word[], rng: Rng) => Word[];

export const UNK = '[UNK]';

/** What the strategies draw on besides the text itself. */
export interface AugmentContext {
  posVocab: PosVocab;
  synonyms: Synonyms | null;
}

export function unkNoise(p: number): Strategy {
  return (words, rng) => words.map((x) => (rng.next() < p ? { w: UNK, pos: x.pos } : x));
}

export function samePosReplace(p: number, vocab: PosVocab): Strategy {
  return (words, rng) =>
    words.map((x) => {
      const pool = vocab.get(x.pos);
      if (FIXED_POS.has(x.pos) || !pool || pool.length < 2 || rng.next() >= p) return x;
      return { w: rng.pick(pool), pos: x.pos };
    });
}

export function ngramSample(minRatio: number): Strategy {
  return (words, rng) => {
    const n = words.length;
    if (n < 2) return [...words];
    const minLen = Math.max(1, Math.ceil(n * minRatio));
    const len = minLen + rng.int(Math.max(1, n - minLen)); // in [minLen, n-1]
    const start = rng.int(n - len + 1);
    return words.slice(start, start + len);
  };
}

export function synonymReplace(p: number, synonyms: Synonyms): Strategy {
  return (words, rng) => {
    const candidates = words.map((x, i) => (synonymsOf(synonyms, x.w).length ? i : -1)).filter((i) => i >= 0);
    if (!candidates.length) return [...words];
    const count = Math.max(1, Math.round(p * words.length));
    const chosen = new Set(rng.shuffle([...candidates]).slice(0, count));
    return words.map((x, i) => (chosen.has(i) ? { w: rng.pick(synonymsOf(synonyms, x.w)), pos: x.pos } : x));
  };
}

export function randomInsert(n: number, synonyms: Synonyms): Strategy {
  return (words, rng) => {
    const out = [...words];
    const candidates = words.filter((x) => synonymsOf(synonyms, x.w).length);
    if (!candidates.length) return out;
    for (let k = 0; k < n; k++) {
      const source = rng.pick(candidates);
      out.splice(rng.int(out.length + 1), 0, { w: rng.pick(synonymsOf(synonyms, source.w)), pos: source.pos });
    }
    return out;
  };
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

/** The configured text-level strategies in a fixed order (`mlm` runs separately, on a model). */
export function buildStrategies(cfg: Strategies, ctx: AugmentContext): [StrategyName, Strategy][] {
  const out: [StrategyName, Strategy][] = [];
  const needSynonyms = () => {
    if (!ctx.synonyms) throw new Error('strategies synonym and insert need a lexicon');
    return ctx.synonyms;
  };
  if (cfg.unk) out.push(['unk', unkNoise(cfg.unk.p)]);
  if (cfg.pos) out.push(['pos', samePosReplace(cfg.pos.p, ctx.posVocab)]);
  if (cfg.ngram) out.push(['ngram', ngramSample(cfg.ngram.min_ratio)]);
  if (cfg.synonym) out.push(['synonym', synonymReplace(cfg.synonym.p, needSynonyms())]);
  if (cfg.insert) out.push(['insert', randomInsert(cfg.insert.n, needSynonyms())]);
  if (cfg.swap) out.push(['swap', randomSwap(cfg.swap.n)]);
  if (cfg.delete) out.push(['delete', randomDelete(cfg.delete.p)]);
  return out;
}
