/**
 * Resume state of a training run, written every `checkpointEvery` steps into one directory (swapped in atomically):
 * `tensors.safetensors` (parameters, AdamW moments, the best parameters so far) and `state.json` (step, position in
 * the epoch, the rng state at the epoch's start, curves). A run that finds it continues exactly where it stopped.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { f32, readJson, readSafetensors, writeJsonAtomic, writeSafetensors, type TensorMap } from '@distill/core';

export interface TrainProgress {
  /** identifies the run configuration; state from another configuration is refused */
  fingerprint: string;
  /** digest of the source code that trained it; state from other code is refused */
  source?: string;
  step: number;
  epoch: number;
  /** index of the next batch in the epoch */
  batch: number;
  /** rng state before the epoch's batches were drawn */
  epochRngState: number;
  samples: number;
  sinceBest: number;
  curve: unknown[];
  evals: unknown[];
  best: unknown;
}

export interface TrainState extends TrainProgress {
  params: Map<string, Float32Array>;
  m: Map<string, Float32Array>;
  v: Map<string, Float32Array>;
  bestParams: Map<string, Float32Array> | null;
}

const PREFIXES = { params: 'param/', m: 'adam_m/', v: 'adam_v/', bestParams: 'best/' } as const;

export function saveTrainState(dir: string, state: TrainState, shapes: Map<string, number[]>): void {
  const tensors: TensorMap = new Map();
  for (const key of ['params', 'm', 'v', 'bestParams'] as const) {
    for (const [name, values] of state[key] ?? []) tensors.set(PREFIXES[key] + name, f32(shapes.get(name)!, values));
  }
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  writeSafetensors(path.join(tmp, 'tensors.safetensors'), tensors);
  const { params: _p, m: _m, v: _v, bestParams: _b, ...progress } = state;
  writeJsonAtomic(path.join(tmp, 'state.json'), progress);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
}

/**
 * The saved state, or null when there is none or it belongs to another configuration or other source code (`refused`
 * says which: a run then starts over rather than continuing another run's weights).
 */
export function loadTrainState(dir: string, fingerprint: string, source?: string, refused?: (why: string) => void): TrainState | null {
  const stateFile = path.join(dir, 'state.json');
  if (!fs.existsSync(stateFile)) return null;
  const progress = readJson<TrainProgress>(stateFile);
  if (progress.fingerprint !== fingerprint) {
    refused?.(`the resume state in ${dir} (step ${progress.step}) is from other settings or inputs; starting over`);
    return null;
  }
  if (source !== undefined && progress.source !== source) {
    refused?.(`the resume state in ${dir} (step ${progress.step}) was written by other source code; starting over`);
    return null;
  }
  const { tensors } = readSafetensors(path.join(dir, 'tensors.safetensors'));
  const pick = (prefix: string) =>
    new Map([...tensors].filter(([k]) => k.startsWith(prefix)).map(([k, t]) => [k.slice(prefix.length), t.data as Float32Array]));
  const bestParams = pick(PREFIXES.bestParams);
  return { ...progress, params: pick(PREFIXES.params), m: pick(PREFIXES.m), v: pick(PREFIXES.v), bestParams: bestParams.size ? bestParams : null };
}
