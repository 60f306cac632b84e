/**
 * Candidate generation, row by row. Each row has its own rng (derived from the seed and the row index), so the
 * candidates of a row do not depend on which worker makes them or how rows are split among workers.
 */
import { deriveSeed, joinWords, Rng, type Word } from '@distill/core';
import type { Strategies, StrategyName } from './config';
import { buildStrategies, type AugmentContext } from './strategies';

export interface Candidate {
  text: string;
  strategy: StrategyName;
}

/** The strategy used for the k-th variant of row i: round robin, starting at a different strategy on each row. */
export function strategyFor(i: number, k: number, count: number): number {
  return (i + k) % count;
}

/** How many strategies take turns: the text-level ones, plus `mlm` (always last) when configured. */
export function strategyCount(strategies: Strategies, textLevel: number): number {
  return textLevel + (strategies.mlm ? 1 : 0);
}

/** Candidates for rows [start, start + segmented.length) of the dataset. */
export function candidatesFor(segmented: readonly (readonly Word[])[], start: number, strategies: Strategies, ctx: AugmentContext, multiplier: number, seed: number): Candidate[][] {
  const list = buildStrategies(strategies, ctx);
  const count = strategyCount(strategies, list.length);
  return segmented.map((words, j) => {
    const i = start + j;
    if (!list.length || !words.length) return [];
    const rng = new Rng(deriveSeed(seed, `row-${i}`));
    const out: Candidate[] = [];
    for (let k = 0; k < multiplier; k++) {
      const s = strategyFor(i, k, count);
      if (s >= list.length) continue; // an mlm turn: made by mlm.ts
      const [name, strategy] = list[s];
      out.push({ text: joinWords(strategy(words, rng)), strategy: name });
    }
    return out;
  });
}
