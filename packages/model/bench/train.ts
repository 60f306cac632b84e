/**
 * Training-throughput benchmark (not a test): steady-state samples/s and peak memory for the default student and
 * teacher shapes, batch 32, sequence 32 and 64, forward-only and a full training step (forward + backward + AdamW),
 * on the selected tfjs backend.
 *
 *   npm run bench:train                 one line per case
 *   npm run bench:train -- --json       one JSON object per line: case, samples_per_s, peak_rss_mb, …
 *   options: --backend wasm|cpu|…  --steps N (timed)  --warmup N  --case <substring>
 *
 * Each case runs in its own process: the wasm heap only grows, so cases in one process would measure (and run out
 * of) the memory the previous ones left behind.
 */
import { spawnSync } from 'node:child_process';
import { Command } from 'commander';
import * as tf from '@tensorflow/tfjs';
import { AdamW, DEFAULT_ENCODER, Encoder, crossEntropy, describeBackend, selectBackend, type EncoderConfig } from '../src';

const SHAPES: Record<string, Partial<EncoderConfig>> = {
  // ERNIE 3.0 Tiny nano / TinyBERT-4 shape
  student: { numLayers: 4, hiddenSize: 312, numHeads: 12, intermediateSize: 1200 },
  // MiniLM-L6-H384 shape
  teacher: { numLayers: 6, hiddenSize: 384, numHeads: 12, intermediateSize: 1536 },
};

interface Case {
  name: string;
  shape: string;
  seq: number;
  mode: 'forward' | 'train';
}

function cases(): Case[] {
  const out: Case[] = [];
  for (const shape of Object.keys(SHAPES)) for (const seq of [32, 64]) for (const mode of ['forward', 'train'] as const) out.push({ name: `${shape}-b32-s${seq}-${mode}`, shape, seq, mode });
  return out;
}

async function run(c: Case, steps: number, warmup: number, batch: number) {
  const config: EncoderConfig = { ...DEFAULT_ENCODER, ...SHAPES[c.shape], vocabSize: 8000, numLabels: 15, maxPositions: 128 } as EncoderConfig;
  const encoder = Encoder.create(config, 1);
  const names = [...encoder.params.keys()];
  const opt = new AdamW({ lr: 1e-4, weightDecay: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-6, warmupSteps: 0, totalSteps: 1000, maxGradNorm: 1 }, encoder.params, names);
  const ids = tf.randomUniform([batch, c.seq], 5, config.vocabSize, 'int32') as tf.Tensor2D;
  const mask = tf.ones([batch, c.seq], 'int32') as tf.Tensor2D;
  const labels = tf.randomUniform([batch], 0, 15, 'int32') as tf.Tensor1D;
  const vars = names.map((n) => encoder.params.get(n)!);
  const byVar = new Map(vars.map((v, i) => [v.name, names[i]]));
  let peak = process.memoryUsage().rss;
  const step = (i: number) => {
    if (c.mode === 'forward') {
      const out = tf.tidy(() => encoder.forward({ inputIds: ids, attentionMask: mask }).logits!);
      out.dataSync();
      out.dispose();
    } else {
      const { value, grads } = tf.variableGrads(() => crossEntropy(encoder.forward({ inputIds: ids, attentionMask: mask }, { training: true, seed: i }).logits!, labels), vars);
      opt.apply(new Map(Object.entries(grads).map(([k, g]) => [byVar.get(k)!, g])));
      value.dataSync();
      value.dispose();
      Object.values(grads).forEach((g) => g.dispose());
    }
    peak = Math.max(peak, process.memoryUsage().rss);
  };
  for (let i = 0; i < warmup; i++) step(i);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < steps; i++) step(warmup + i);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  opt.dispose();
  encoder.dispose();
  [ids, mask, labels].forEach((t) => t.dispose());
  return { samples_per_s: (steps * batch) / seconds, step_ms: (1000 * seconds) / steps, peak_rss_mb: peak / 2 ** 20 };
}

new Command()
  .name('bench:train')
  .option('--json', 'one JSON object per line')
  .option('--backend <name>', 'tfjs backend (default: the run-time choice)', 'auto')
  .option('--steps <n>', 'timed steps per case', (v) => Number(v), 10)
  .option('--warmup <n>', 'untimed steps per case', (v) => Number(v), 2)
  .option('--batch <n>', 'batch size', (v) => Number(v), 32)
  .option('--case <substring>', 'only cases whose name contains this')
  .option('--only <name>', 'run exactly this case in this process (used by the parent for each case)')
  .action(async (o: { json?: boolean; backend: string; steps: number; warmup: number; batch: number; case?: string; only?: string }) => {
    if (!o.only) {
      if (!o.json) {
        await selectBackend(o.backend as never);
        console.log(`backend: ${describeBackend()}`);
      }
      const selected = cases().filter((x) => !o.case || x.name.includes(o.case));
      if (!selected.length) throw new Error(`no case matches '${o.case}' (cases: ${cases().map((c) => c.name).join(', ')})`);
      for (const c of selected) {
        const args = [...process.execArgv, process.argv[1], '--only', c.name, '--backend', o.backend, '--steps', String(o.steps), '--warmup', String(o.warmup), '--batch', String(o.batch), ...(o.json ? ['--json'] : [])];
        const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
        if (r.status !== 0) throw new Error(`case ${c.name} failed (exit ${r.status ?? r.signal})`);
      }
      return;
    }
    const c = cases().find((x) => x.name === o.only);
    if (!c) throw new Error(`unknown case '${o.only}'`);
    await selectBackend(o.backend as never);
    const backend = describeBackend();
    const r = await run(c, o.steps, o.warmup, o.batch);
    if (o.json) console.log(JSON.stringify({ case: c.name, backend, batch: o.batch, seq: c.seq, mode: c.mode, samples_per_s: +r.samples_per_s.toFixed(2), step_ms: +r.step_ms.toFixed(1), peak_rss_mb: +r.peak_rss_mb.toFixed(0) }));
    else console.log(`${c.name.padEnd(26)} ${r.samples_per_s.toFixed(1).padStart(8)} samples/s  ${r.step_ms.toFixed(0).padStart(6)} ms/step  peak RSS ${r.peak_rss_mb.toFixed(0)} MB`);
  })
  .parseAsync();
