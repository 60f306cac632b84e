/**
 * The search over the distillation loss's α and temperature T (and the student's learning rate) on valid, within a
 * trial budget: `trials` configurations drawn from the grid in a seeded order, then either each trained for `steps`
 * (`random`), or successive halving (`halving`, as Optuna's pruner and Hyperband's inner loop): every configuration
 * trains a short budget, the best 1/η go on to η times the budget, until one rung trains for `steps`.
 */
import { Rng } from '@distill/core';

export interface SearchConfig {
  alpha: number;
  temperature: number;
  lr: number;
}

export interface Trial extends SearchConfig {
  /** the round of successive halving (0 for random search) and its training budget */
  rung: number;
  steps: number;
  valid_accuracy?: number;
  valid_macro_f1?: number;
}

export function searchGrid(alphas: readonly number[], temperatures: readonly number[], lrs: readonly number[], trials: number, seed: number): SearchConfig[] {
  const grid = alphas.flatMap((alpha) => temperatures.flatMap((temperature) => lrs.map((lr) => ({ alpha, temperature, lr }))));
  return new Rng(seed).shuffle(grid).slice(0, Math.min(trials, grid.length));
}

/** The budgets of the rungs, shortest first, the last being `steps`: n configurations, keeping ⌈n/η⌉ each rung. */
export function halvingRungs(configs: number, steps: number, eta: number): { keep: number; steps: number }[] {
  const rungs: { keep: number; steps: number }[] = [];
  for (let n = configs; ; n = Math.ceil(n / eta)) {
    rungs.push({ keep: n, steps: 0 });
    if (n === 1) break;
  }
  return rungs.map((r, i) => ({ keep: r.keep, steps: Math.max(1, Math.round(steps / eta ** (rungs.length - 1 - i))) }));
}

/** The best trial by valid accuracy (then macro-F1, then the later rung); ties keep the earlier trial. */
export function bestTrial<T extends { valid_accuracy?: number; valid_macro_f1?: number; rung?: number }>(trials: readonly T[]): T {
  if (!trials.length) throw new Error('bestTrial: no trials');
  const key = (t: T) => [t.valid_accuracy ?? -1, t.valid_macro_f1 ?? -1, t.rung ?? 0];
  return trials.reduce((best, t) => {
    const [a, b] = [key(t), key(best)];
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] > b[i] ? t : best;
    return best;
  });
}

/**
 * Runs the search: `evaluate` trains one configuration for a number of steps and returns its valid scores. Returns
 * every trial (each rung's) and the winner: with halving, the best of the last rung.
 */
export async function runSearch(
  configs: readonly SearchConfig[],
  o: { method: 'random' | 'halving'; steps: number; eta: number },
  evaluate: (c: SearchConfig, steps: number, label: string) => Promise<{ accuracy: number; macro_f1: number }>,
): Promise<{ trials: Trial[]; best: Trial }> {
  const trials: Trial[] = [];
  const rungs = o.method === 'halving' ? halvingRungs(configs.length, o.steps, o.eta) : [{ keep: configs.length, steps: o.steps }];
  let alive = [...configs];
  let last: Trial[] = [];
  for (const [rung, r] of rungs.entries()) {
    alive = alive.slice(0, r.keep);
    last = [];
    for (const [i, c] of alive.entries()) {
      const s = await evaluate(c, r.steps, `search rung ${rung + 1}/${rungs.length} trial ${i + 1}/${alive.length} α=${c.alpha} T=${c.temperature} lr=${c.lr}`);
      const t: Trial = { ...c, rung, steps: r.steps, valid_accuracy: s.accuracy, valid_macro_f1: s.macro_f1 };
      trials.push(t);
      last.push(t);
    }
    // the next rung takes the best of this one, best first (stable: ties keep the draw's order)
    alive = last
      .map((t, i) => ({ t, i }))
      .sort((a, b) => (b.t.valid_accuracy! - a.t.valid_accuracy!) || (b.t.valid_macro_f1! - a.t.valid_macro_f1!) || a.i - b.i)
      .map(({ t }) => ({ alpha: t.alpha, temperature: t.temperature, lr: t.lr }));
  }
  return { trials, best: bestTrial(last) };
}
