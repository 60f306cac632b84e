/** A fixed budget of trials over the α × T grid, in a seeded order; the best valid accuracy wins. */
import { Rng } from '@distill/core';

export interface Trial {
  alpha: number;
  temperature: number;
  valid_accuracy?: number;
  valid_macro_f1?: number;
}

export function searchGrid(alphas: readonly number[], temperatures: readonly number[], trials: number, seed: number): Trial[] {
  const grid = alphas.flatMap((alpha) => temperatures.map((temperature) => ({ alpha, temperature })));
  return new Rng(seed).shuffle(grid).slice(0, Math.min(trials, grid.length));
}

export function bestTrial(trials: readonly Trial[]): Trial {
  return trials.reduce((best, t) => ((t.valid_accuracy ?? -1) > (best.valid_accuracy ?? -1) ? t : best));
}
