/**
 * Training-throughput benchmark (not a test): steady-state samples/s and peak memory for the default student and
 * teacher shapes, batch 32, sequence 32 and 64, forward-only and a full training step (forward + backward + AdamW),
 * on the selected tfjs backend.
 *
 *   npm run bench:train                 one line per case
 *   npm run bench:train -- --json       one JSON object per line: case, samples_per_s, peak_rss_mb, …
 *   options: --backend wasm|cpu|…  --steps N (timed)  --warmup N  --case <substring>  --torch <python> | --no-torch
 *            --matmul fp32,bf16 (each case with each matmul precision)
 *
 * Where a Python on the machine imports torch, each case also runs in PyTorch (torch_train.py: the same model, batch,
 * loss and optimizer) on 1 and 2 threads, and the line shows our samples/s over PyTorch's best: the ratio measured in
 * one run. The product itself never needs Python.
 *
 * Each case runs in its own process: the wasm heap only grows, so cases in one process would measure (and run out
 * of) the memory the previous ones left behind.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { Command } from 'commander';
import * as tf from '@tensorflow/tfjs';
import { AdamW, DEFAULT_ENCODER, Encoder, crossEntropy, describeBackend, selectBackend, withTrainingPrecision, type EncoderConfig } from '../src';

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
      const { value, grads } = withTrainingPrecision(() => tf.variableGrads(() => crossEntropy(encoder.forward({ inputIds: ids, attentionMask: mask }, { training: true, seed: i }).logits!, labels), vars));
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

/** What one case measured (the child process prints it as one JSON line). */
interface Measured {
  case: string;
  backend: string;
  batch: number;
  seq: number;
  mode: Case['mode'];
  samples_per_s: number;
  step_ms: number;
  peak_rss_mb: number;
}

interface TorchPoint {
  threads: number;
  samples_per_s: number;
  step_ms: number;
  torch: string;
}

/** A Python that imports torch: `--torch <python>`, else the first of python3 and /usr/bin/python3 that does; or null. */
function torchPython(choice: string): string | null {
  const candidates = choice === 'auto' ? ['python3', '/usr/bin/python3'] : [choice];
  return candidates.find((py) => spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0) ?? null;
}

/**
 * PyTorch's samples/s on the same case (torch_train.py), on 1 and 2 threads. OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE
 * are unset for that process only: set, they make OpenBLAS pick slower kernels on this CPU.
 */
function torchCase(python: string, c: Case, o: { steps: number; warmup: number; batch: number }): TorchPoint[] {
  const shape = { ...DEFAULT_ENCODER, ...SHAPES[c.shape] };
  const args = ['--layers', shape.numLayers, '--hidden', shape.hiddenSize, '--heads', shape.numHeads, '--intermediate', shape.intermediateSize, '--seq', c.seq, '--batch', o.batch, '--mode', c.mode, '--steps', o.steps, '--warmup', o.warmup, '--threads', '1,2'].map(String);
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const r = spawnSync(python, [path.join(__dirname, 'torch_train.py'), ...args], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`PyTorch comparison for ${c.name} failed (exit ${r.status ?? r.signal}): ${r.stderr.trim().split('\n').pop()}`);
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l) as TorchPoint);
}

new Command()
  .name('bench:train')
  .option('--json', 'one JSON object per line')
  .option('--backend <name>', 'tfjs backend (default: the run-time choice)', 'auto')
  .option('--steps <n>', 'timed steps per case', (v) => Number(v), 10)
  .option('--warmup <n>', 'untimed steps per case', (v) => Number(v), 2)
  .option('--batch <n>', 'batch size', (v) => Number(v), 32)
  .option('--case <substring>', 'only cases whose name contains this')
  .option('--torch <python>', "compare with PyTorch run by this Python ('auto': python3 or /usr/bin/python3, if one imports torch)", 'auto')
  .option('--no-torch', 'no PyTorch comparison')
  .option('--matmul <list>', 'matmul precisions to run each case with: fp32 and/or bf16 (DISTILL_MATMUL; bf16 needs AVX-512 BF16)', 'fp32')
  .option('--only <name>', 'run exactly this case in this process (used by the parent for each case)')
  .action(async (o: { json?: boolean; backend: string; steps: number; warmup: number; batch: number; case?: string; torch: string | false; matmul: string; only?: string }) => {
    if (!o.only) {
      const python = o.torch === false ? null : torchPython(o.torch);
      if (!o.json) {
        await selectBackend(o.backend as never);
        console.log(`backend: ${describeBackend()}`);
        console.log(python ? `PyTorch comparison: ${python} (1 and 2 threads; OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for it)` : 'PyTorch comparison: none (no Python that imports torch; --torch <python> to name one)');
      }
      const selected = cases().filter((x) => !o.case || x.name.includes(o.case));
      if (!selected.length) throw new Error(`no case matches '${o.case}' (cases: ${cases().map((c) => c.name).join(', ')})`);
      const precisions = o.matmul.split(',').map((x) => x.trim());
      if (precisions.some((x) => x !== 'fp32' && x !== 'bf16')) throw new Error(`--matmul: fp32 and/or bf16, got '${o.matmul}'`);
      for (const c of selected) {
        const torch = python ? torchCase(python, c, o) : null;
        const best = torch ? Math.max(...torch.map((t) => t.samples_per_s)) : null;
        if (torch && !o.json) console.log(`${c.name.padEnd(26)} PyTorch ${torch[0].torch}: ${torch.map((t) => `${t.samples_per_s.toFixed(1)} samples/s (${t.threads} thread${t.threads > 1 ? 's' : ''})`).join(', ')}`);
        for (const precision of precisions) {
          const args = [...process.execArgv, process.argv[1], '--only', c.name, '--backend', o.backend, '--steps', String(o.steps), '--warmup', String(o.warmup), '--batch', String(o.batch)];
          const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', env: { ...process.env, DISTILL_MATMUL: precision } });
          if (r.status !== 0) throw new Error(`case ${c.name} (${precision}) failed (exit ${r.status ?? r.signal})`);
          const ours = JSON.parse(r.stdout.trim().split('\n').pop()!) as Measured;
          const ratio = best ? ours.samples_per_s / best : null;
          if (o.json) {
            console.log(JSON.stringify({ ...ours, matmul: precision, ...(torch ? { pytorch: torch, ratio_vs_pytorch_best: +ratio!.toFixed(3) } : {}) }));
            continue;
          }
          const vs = ratio ? `  ours / PyTorch's best ${ratio.toFixed(2)}×` : '';
          console.log(`${c.name.padEnd(26)} ${precision} ${ours.samples_per_s.toFixed(1).padStart(8)} samples/s  ${ours.step_ms.toFixed(0).padStart(6)} ms/step  peak RSS ${ours.peak_rss_mb.toFixed(0)} MB${vs}`);
        }
      }
      return;
    }
    const c = cases().find((x) => x.name === o.only);
    if (!c) throw new Error(`unknown case '${o.only}'`);
    await selectBackend(o.backend as never);
    const backend = describeBackend();
    const r = await run(c, o.steps, o.warmup, o.batch);
    const measured: Measured = { case: c.name, backend, batch: o.batch, seq: c.seq, mode: c.mode, samples_per_s: +r.samples_per_s.toFixed(2), step_ms: +r.step_ms.toFixed(1), peak_rss_mb: +r.peak_rss_mb.toFixed(0) };
    console.log(JSON.stringify(measured));
  })
  .parseAsync();
