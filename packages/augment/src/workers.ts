/**
 * Candidate generation split across worker threads: rows are cut into contiguous chunks, one per worker; the result
 * is the same as `candidatesFor` on all rows at once.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Strategies } from './config';
import { candidatesFor, type Candidate } from './candidates';
import type { Word } from '@distill/core';
import type { AugmentContext } from './strategies';

export interface WorkerJob {
  segmented: Word[][];
  start: number;
  strategies: Strategies;
  ctx: AugmentContext;
  multiplier: number;
  seed: number;
}

export async function candidatesParallel(segmented: Word[][], strategies: Strategies, ctx: AugmentContext, multiplier: number, seed: number, workers: number): Promise<Candidate[][]> {
  if (workers <= 1 || segmented.length < 2) return candidatesFor(segmented, 0, strategies, ctx, multiplier, seed);
  const size = Math.ceil(segmented.length / workers);
  const jobs: WorkerJob[] = [];
  for (let start = 0; start < segmented.length; start += size) jobs.push({ segmented: segmented.slice(start, start + size), start, strategies, ctx, multiplier, seed });
  const parts = await Promise.all(
    jobs.map(
      (job) =>
        new Promise<Candidate[][]>((resolve, reject) => {
          const worker = new Worker(path.join(__dirname, 'worker.js'), { workerData: job });
          worker.once('message', resolve);
          worker.once('error', reject);
          worker.once('exit', (code) => code !== 0 && reject(new Error(`augment worker exited with code ${code}`)));
        }),
    ),
  );
  return parts.flat();
}
