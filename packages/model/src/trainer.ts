/**
 * The training loop shared by the teacher and distill stages. The task supplies batches and a loss; the loop does
 * AdamW with warm-up/decay, clipping, gradient accumulation, periodic evaluation with best-checkpoint keeping and early
 * stopping, and a progress line with loss, samples/s and ETA.
 */
import * as tf from '@tensorflow/tfjs';
import { Interrupted, interruption, Progress, Rng, deriveSeed, type Logger } from '@distill/core';
import type { Batch } from './batching';
import { WIDE_TABLE, type Params } from './encoder';
import * as fs from 'node:fs';
import { AdamW, scheduledLr } from './optimizer';
import { loadTrainState, saveTrainState, type TrainState } from './train-state';
import { withTrainingPrecision } from './native-kernels';

export interface TrainingConfig {
  epochs: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  warmupRatio: number;
  maxGradNorm: number;
  gradAccum: number;
  /** evaluate every N optimizer steps; 0 = at the end of each epoch */
  evalEvery: number;
  /** stop after this many evaluations without improvement; 0 = never */
  patience: number;
  seed: number;
  /** stop after this many optimizer steps (0 = no limit) */
  maxSteps: number;
  /** peak learning rate of a wide n-gram table (AdamWConfig.wideLr); the base `lr` when absent; 0 = the table does
   * not train */
  wideLr?: number;
  /** called after every optimizer update with its step, the run's total steps and the gradients (gradual pruning) */
  afterUpdate?: (step: number, totalSteps: number, grads: ReadonlyMap<string, tf.Tensor>) => void;
  /** whether an evaluation at `step` may be kept as the best (gradual pruning: only at its final sparsity); default all */
  eligibleForBest?: (step: number, totalSteps: number) => boolean;
}

export const DEFAULT_TRAINING: TrainingConfig = {
  epochs: 1,
  batchSize: 32,
  lr: 1e-4,
  weightDecay: 0.01,
  warmupRatio: 0.1,
  maxGradNorm: 1.0,
  gradAccum: 1,
  evalEvery: 0,
  patience: 0,
  seed: 13,
  maxSteps: 0,
};

export interface Evaluation {
  /** higher is better; decides the best checkpoint */
  score: number;
  [metric: string]: number;
}

/** Reports one named term of a batch's loss (e.g. `hard`, `soft`, `latent`), as weighted in the total. */
export type LossTermSink = (name: string, value: tf.Scalar) => void;

export interface TrainTask {
  /** the batches of one epoch, in order */
  epochBatches(epoch: number, rng: Rng): Batch[];
  /** scalar loss of one batch; `seed` seeds its dropout masks; each named term of it goes to `terms` (logged per step) */
  loss(batch: Batch, seed: number, terms?: LossTermSink): tf.Scalar;
  evaluate?(): Evaluation;
}

/** Periodic resume state: every `every` optimizer steps into `dir`; a later run with the same fingerprint continues. */
export interface ResumeOptions {
  dir: string;
  every: number;
  fingerprint: string;
  /** digest of the code that trains: state written by other code is refused */
  source?: string;
}

export interface TrainResult {
  steps: number;
  seconds: number;
  samplesPerSecond: number;
  /** per optimizer step: the loss, its named terms (when the task reports them) and the learning rate */
  curve: { step: number; epoch: number; loss: number; lr: number; terms?: Record<string, number> }[];
  evals: ({ step: number } & Evaluation)[];
  best: ({ step: number } & Evaluation) | null;
  stoppedEarly: boolean;
  /** the step this run resumed from (0 for a fresh run) */
  resumedFrom: number;
}

/** A copy of the named parameters' values (to undo training with restoreParams). */
export function snapshotParams(params: Params, names: readonly string[]): Map<string, Float32Array> {
  return new Map(names.map((n) => [n, Float32Array.from(params.get(n)!.dataSync() as Float32Array)]));
}

export function restoreParams(params: Params, snap: Map<string, Float32Array>): void {
  for (const [n, values] of snap) {
    const p = params.get(n)!;
    const t = tf.tensor(values, p.shape, 'float32');
    p.assign(t);
    t.dispose();
  }
}

/** Lets signal handlers, timers and I/O run between steps (a synchronous loop would make Ctrl-C wait for the end). */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The parameters the loop updates out of those asked for: all of them, less a wide table whose wideLr is 0. */
export function trainedParams(names: readonly string[], wideLr: number | undefined): string[] {
  return wideLr === 0 ? names.filter((n) => n !== WIDE_TABLE) : [...names];
}

export async function train(params: Params, trainableNames: readonly string[], task: TrainTask, cfg: TrainingConfig, log: Logger, label = 'train', resume?: ResumeOptions): Promise<TrainResult> {
  const saved = resume ? loadTrainState(resume.dir, resume.fingerprint, resume.source, (why) => log.warn(why)) : null;
  interruption.active += 1;
  try {
    return await trainLoop(params, trainableNames, task, cfg, log, label, resume, saved);
  } finally {
    interruption.active -= 1;
  }
}

async function trainLoop(params: Params, trainableNames: readonly string[], task: TrainTask, cfg: TrainingConfig, log: Logger, label: string, resume: ResumeOptions | undefined, saved: TrainState | null): Promise<TrainResult> {
  const trainable = trainedParams(trainableNames, cfg.wideLr);
  const rng = new Rng(deriveSeed(cfg.seed, 'batches'));
  if (saved) rng.setState(saved.epochRngState);
  const startEpoch = saved ? saved.epoch : 0;
  // The first epoch's batches, drawn once; every epoch has as many, which fixes the schedule's length.
  let epochRngState = rng.getState();
  let batches = task.epochBatches(startEpoch, rng);
  const perEpoch = Math.ceil(batches.length / cfg.gradAccum);
  const totalSteps = cfg.maxSteps > 0 ? Math.min(cfg.maxSteps, perEpoch * cfg.epochs) : perEpoch * cfg.epochs;
  const optimizer = new AdamW(
    { lr: cfg.lr, weightDecay: cfg.weightDecay, beta1: 0.9, beta2: 0.999, eps: 1e-6, warmupSteps: Math.round(cfg.warmupRatio * totalSteps), totalSteps, maxGradNorm: cfg.maxGradNorm, wideLr: cfg.wideLr },
    params,
    trainable,
  );
  const vars = trainable.map((n) => params.get(n)!);
  // tf.variableGrads keys gradients by the tfjs variable name; map them back to parameter names.
  const paramName = new Map(vars.map((v, i) => [v.name, trainable[i]]));
  const progress = new Progress(label, totalSteps, 'samples');
  const result: TrainResult = { steps: 0, seconds: 0, samplesPerSecond: 0, curve: [], evals: [], best: null, stoppedEarly: false, resumedFrom: 0 };
  let bestSnap: Map<string, Float32Array> | null = null;
  let sinceBest = 0;
  let samples = 0;
  let startBatch = 0;
  const started = Date.now();

  if (saved) {
    restoreParams(params, saved.params);
    optimizer.importState(saved);
    samples = saved.samples;
    sinceBest = saved.sinceBest;
    result.curve = saved.curve as TrainResult['curve'];
    result.evals = saved.evals as TrainResult['evals'];
    result.best = saved.best as TrainResult['best'];
    bestSnap = saved.bestParams;
    startBatch = saved.batch;
    result.resumedFrom = saved.step;
    log.info(`${label}: resuming from step ${saved.step} (epoch ${saved.epoch + 1}, batch ${saved.batch})`);
  }
  const shapes = new Map(trainable.map((n) => [n, params.get(n)!.shape as number[]]));
  const save = (epoch: number, batch: number, epochRngState: number) => {
    if (!resume) return;
    const { m, v } = optimizer.exportState();
    saveTrainState(
      resume.dir,
      { fingerprint: resume.fingerprint, source: resume.source, step: optimizer.step, epoch, batch, epochRngState, samples, sinceBest, curve: result.curve, evals: result.evals, best: result.best, params: snapshotParams(params, trainable), m, v, bestParams: bestSnap },
      shapes,
    );
  };

  const evaluate = () => {
    if (!task.evaluate) return false;
    const ev = { step: optimizer.step, ...task.evaluate() };
    result.evals.push(ev);
    log.info(`${label} step ${ev.step}: ${Object.entries(ev).filter(([k]) => k !== 'step').map(([k, v]) => `${k}=${v.toFixed(4)}`).join(' ')}`);
    const eligible = cfg.eligibleForBest?.(ev.step, totalSteps) ?? true;
    if (eligible && (!result.best || ev.score > result.best.score)) {
      result.best = ev;
      bestSnap = snapshotParams(params, trainable);
      sinceBest = 0;
    } else sinceBest += 1;
    return cfg.patience > 0 && sinceBest >= cfg.patience;
  };

  outer: for (let epoch = startEpoch; epoch < cfg.epochs; epoch++) {
    if (epoch !== startEpoch) {
      epochRngState = rng.getState();
      batches = task.epochBatches(epoch, rng);
    }
    for (let i = epoch === startEpoch ? startBatch : 0; i < batches.length; i += cfg.gradAccum) {
      const group = batches.slice(i, i + cfg.gradAccum);
      let lossSum = 0;
      const terms: Record<string, number> = {};
      const sink: LossTermSink = (name, value) => {
        terms[name] = (terms[name] ?? 0) + value.dataSync()[0] / group.length;
      };
      const acc = new Map<string, tf.Tensor>();
      for (const batch of group) {
        const seed = deriveSeed(cfg.seed, `dropout-${optimizer.step}-${samples}`);
        const { value, grads } = withTrainingPrecision(() => tf.variableGrads(() => task.loss(batch, seed, sink).div(group.length) as tf.Scalar, vars));
        lossSum += value.dataSync()[0];
        value.dispose();
        for (const [varName, g] of Object.entries(grads)) {
          const name = paramName.get(varName)!;
          const prev = acc.get(name);
          if (prev) {
            acc.set(name, prev.add(g));
            prev.dispose();
            g.dispose();
          } else acc.set(name, g);
        }
        samples += batch.batch;
      }
      optimizer.apply(acc);
      cfg.afterUpdate?.(optimizer.step, totalSteps, acc);
      for (const g of acc.values()) g.dispose();
      await yieldToEventLoop();
      const named = Object.keys(terms).length ? { terms } : {};
      result.curve.push({ step: optimizer.step, epoch, loss: lossSum, lr: scheduledLr(optimizer.cfg, optimizer.step), ...named });
      progress.update(optimizer.step, { loss: lossSum, ...terms }, samples);
      if (cfg.evalEvery > 0 && optimizer.step % cfg.evalEvery === 0 && evaluate()) {
        result.stoppedEarly = true;
        break outer;
      }
      if (resume && resume.every > 0 && optimizer.step % resume.every === 0) save(epoch, i + cfg.gradAccum, epochRngState);
      if (interruption.requested) {
        // Ctrl-C or SIGTERM: keep where this run is, so that the next one continues from this step
        if (resume) save(epoch, i + cfg.gradAccum, epochRngState);
        optimizer.dispose();
        throw new Interrupted(resume ? `resume state saved at step ${optimizer.step} in ${resume.dir}` : 'no resume state (this run keeps none)');
      }
      if (optimizer.step >= totalSteps) break outer;
    }
    if (cfg.evalEvery === 0 && evaluate()) {
      result.stoppedEarly = true;
      break;
    }
  }
  if (task.evaluate && (result.evals.length === 0 || result.evals[result.evals.length - 1].step !== optimizer.step)) evaluate();
  if (bestSnap) restoreParams(params, bestSnap);
  result.steps = optimizer.step;
  result.seconds = (Date.now() - started) / 1000;
  result.samplesPerSecond = samples / Math.max(result.seconds, 1e-9);
  optimizer.dispose();
  if (resume) fs.rmSync(resume.dir, { recursive: true, force: true }); // finished: nothing to resume
  return result;
}
