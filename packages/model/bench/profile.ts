/**
 * Where a training step's time goes (not a test): wraps every kernel of the tfjs backend with a timer and prints the
 * kernels by total time per step, split by input shape, for the default student at batch 32.
 *
 *   npm run bench:profile -- [--seq 32] [--batch 32] [--steps 5] [--top 30]
 */
import { Command } from 'commander';
import * as tf from '@tensorflow/tfjs';
import { AdamW, DEFAULT_ENCODER, Encoder, crossEntropy, describeBackend, selectBackend, withTrainingPrecision, type EncoderConfig } from '../src';

async function main(o: { seq: number; batch: number; steps: number; top: number; backend: string }) {
  await selectBackend(o.backend as never);
  const backendName = tf.getBackend();
  const times = new Map<string, { ms: number; calls: number }>();
  for (const k of tf.getKernelsForBackend(backendName)) {
    const inner = k.kernelFunc;
    tf.unregisterKernel(k.kernelName, backendName);
    tf.registerKernel({
      ...k,
      kernelFunc: (args) => {
        const t0 = performance.now();
        const out = inner(args);
        const first = Object.values(args.inputs)[0] as tf.TensorInfo | undefined;
        const key = `${k.kernelName} ${JSON.stringify(first?.shape ?? [])}`;
        const e = times.get(key) ?? { ms: 0, calls: 0 };
        e.ms += performance.now() - t0;
        e.calls += 1;
        times.set(key, e);
        return out;
      },
    });
  }
  const config = { ...DEFAULT_ENCODER, numLayers: 4, hiddenSize: 312, numHeads: 12, intermediateSize: 1200, vocabSize: 8000, numLabels: 15, maxPositions: 128 } as EncoderConfig;
  const enc = Encoder.create(config, 1);
  const names = [...enc.params.keys()];
  const opt = new AdamW({ lr: 1e-4, weightDecay: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-6, warmupSteps: 0, totalSteps: 1000, maxGradNorm: 1 }, enc.params, names);
  const ids = tf.randomUniform([o.batch, o.seq], 5, config.vocabSize, 'int32') as tf.Tensor2D;
  const mask = tf.ones([o.batch, o.seq], 'int32') as tf.Tensor2D;
  const labels = tf.randomUniform([o.batch], 0, 15, 'int32') as tf.Tensor1D;
  const vars = names.map((n) => enc.params.get(n)!);
  const byVar = new Map(vars.map((v, i) => [v.name, names[i]]));
  let gradMs = 0;
  let optMs = 0;
  const step = (i: number) => {
    const t0 = performance.now();
    const { value, grads } = withTrainingPrecision(() => tf.variableGrads(() => crossEntropy(enc.forward({ inputIds: ids, attentionMask: mask }, { training: true, seed: i }).logits!, labels), vars));
    const t1 = performance.now();
    opt.apply(new Map(Object.entries(grads).map(([k, g]) => [byVar.get(k)!, g])));
    value.dataSync();
    value.dispose();
    Object.values(grads).forEach((g) => g.dispose());
    gradMs += t1 - t0;
    optMs += performance.now() - t1;
  };
  step(0);
  step(1);
  times.clear();
  gradMs = optMs = 0;
  const t = performance.now();
  for (let i = 0; i < o.steps; i++) step(i + 2);
  const perStep = (performance.now() - t) / o.steps;
  const rows = [...times].sort((a, b) => b[1].ms - a[1].ms);
  const kernelMs = rows.reduce((s, [, v]) => s + v.ms, 0) / o.steps;
  console.log(`backend: ${describeBackend()}; student b${o.batch} s${o.seq}`);
  console.log(`step ${perStep.toFixed(0)} ms (forward+backward ${(gradMs / o.steps).toFixed(0)}, optimizer ${(optMs / o.steps).toFixed(0)}), kernels ${kernelMs.toFixed(0)} ms → ${((1000 * o.batch) / perStep).toFixed(1)} samples/s (timers add overhead)`);
  for (const [k, v] of rows.slice(0, o.top)) console.log(`${k.padEnd(40)} ${(v.ms / o.steps).toFixed(1).padStart(8)} ms ${String(v.calls / o.steps).padStart(6)} calls`);
}

new Command()
  .name('bench:profile')
  .option('--backend <name>', 'tfjs backend (default: the run-time choice)', 'auto')
  .option('--seq <n>', 'sequence length', (v) => Number(v), 32)
  .option('--batch <n>', 'batch size', (v) => Number(v), 32)
  .option('--steps <n>', 'timed steps', (v) => Number(v), 5)
  .option('--top <n>', 'kernels to print', (v) => Number(v), 30)
  .action(main)
  .parseAsync();
