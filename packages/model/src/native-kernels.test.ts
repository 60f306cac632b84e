import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { SMOKE_FIXTURE, createLogger } from '@distill/core';
import { bucketedBatches, type Encoded } from './batching';
import { Encoder, gelu, layerNorm, type EncoderConfig } from './encoder';
import { dropoutMask, dropoutMaskAttrs, dropoutMaskValues } from './dropout';
import { hasFusedOps } from './fused-ops';
import { batchTensors } from './inference';
import { crossEntropy } from './losses';
import { valuesOn } from './backend-compare.testutil';
import { loadNativeKernels, setTrainingBf16, trainsInBf16, withTrainingPrecision } from './native-kernels';
import { AdamW } from './optimizer';
import { DEFAULT_TRAINING, train } from './trainer';
import { patchWasmKernels } from './wasm-kernels';

const native = loadNativeKernels();
const compilerPresent = spawnSync(process.env.CC || 'cc', ['--version']).status === 0;

function maxDiff(a: number[][], b: number[][]): number {
  expect(a.map((r) => r.length)).toEqual(b.map((r) => r.length));
  let worst = 0;
  a.forEach((row, i) => row.forEach((x, j) => (worst = Math.max(worst, Math.abs(x - b[i][j])))));
  return worst;
}

const rand = (shape: number[], seed: number) => tf.randomUniform(shape, -1, 1, 'float32', seed);

beforeAll(async () => {
  await tf.setBackend('wasm');
});
afterAll(async () => {
  patchWasmKernels();
  await tf.setBackend('cpu');
});

it('the native kernels are built wherever a C compiler is present (npm ci runs native/build.js)', () => {
  // (without a compiler they may still be there from an earlier build; only their absence with one is a failure)
  expect(native !== null || !compilerPresent || process.env.DISTILL_NATIVE === '0').toBe(true);
  if (process.env.DISTILL_NATIVE === '0') expect(native).toBeNull();
});

describe.each(native ? [['native', native] as const] : [])('%s kernels agree with the cpu backend', (_name, lib) => {
  beforeAll(() => patchWasmKernels(lib));

  it.each([
    // [a shape, b shape, transposeA, transposeB]: sizes past the kernel's blocks (MC, KC, NC), ragged edges, batches
    [[7, 5], [5, 3], false, false],
    [[150, 600], [600, 70], false, false],
    [[600, 150], [600, 70], true, false],
    [[150, 600], [530, 600], false, true],
    [[600, 150], [530, 600], true, true],
    [[4, 33, 17], [4, 17, 65], false, false],
    [[2, 3, 9, 20], [2, 3, 11, 20], false, true],
    [[4, 33, 17], [17, 65], false, false], // b broadcast over the batch
    [[33, 17], [4, 65, 17], false, true], // a broadcast over the batch
    // many small products (the direct path): attention scores and context, their gradients, a broadcast
    [[32, 12, 32, 26], [32, 12, 32, 26], false, true],
    [[32, 12, 32, 32], [32, 12, 32, 26], false, false],
    [[32, 12, 32, 32], [32, 12, 32, 26], true, false],
    [[8, 64, 20], [8, 64, 33], true, false],
    [[16, 20, 30], [30, 40], false, false],
    // the direct path's edges: rows not a multiple of its four, narrow columns, exactly 32 columns, a broadcast B
    [[10, 7, 5], [10, 5, 9], false, false],
    [[12, 13, 64], [12, 32, 64], false, true],
    [[16, 21, 30], [30, 32], false, false],
    [[9, 30, 6], [9, 30, 1], true, false],
  ] as const)('BatchMatMul %j × %j (transposeA=%s, transposeB=%s)', async (sa, sb, ta, tb) => {
    const f = () => tf.matMul(rand([...sa], 1), rand([...sb], 2), ta, tb);
    expect(maxDiff(await valuesOn('wasm', f), await valuesOn('cpu', f))).toBeLessThan(1e-4);
  });

  it.each([
    [[1024, 312], 0, false],
    [[32, 32, 312], [0, 1], false],
    [[32, 32, 312], 2, false],
    [[32, 32, 312], -1, true],
    [[4, 5, 6, 7], [1, 2], true],
    [[4, 5, 6, 7], [0, 2], false], // not contiguous: the wasm kernel
    [[3, 1000], [0, 1], false],
    [[17], 0, false],
  ] as const)('Sum of %j over axis %j (keepDims=%s)', async (shape, axis, keepDims) => {
    const f = () => tf.sum(rand([...shape], 3), axis as number | number[], keepDims);
    const [w, c] = [await valuesOn('wasm', f), await valuesOn('cpu', f)];
    expect(maxDiff(w, c)).toBeLessThan(2e-4);
    await tf.setBackend('wasm');
    expect(tf.tidy(() => tf.sum(rand([...shape], 3), axis as number | number[], keepDims).shape)).toEqual(tf.tidy(() => tf.sum(tf.zeros([...shape]), axis as number | number[], keepDims).shape));
  });

  it('Exp and Erf, forward and in the GELU gradient', async () => {
    const x = () => rand([3, 70001], 4).mul(4);
    expect(maxDiff(await valuesOn('wasm', () => x().exp()), await valuesOn('cpu', () => x().exp()))).toBeLessThan(1e-4 * Math.exp(4));
    expect(maxDiff(await valuesOn('wasm', () => tf.erf(x())), await valuesOn('cpu', () => tf.erf(x())))).toBeLessThan(1e-6);
    const g = () => tf.grad((v: tf.Tensor) => v.mul(tf.erf(v.mul(Math.SQRT1_2)).add(1)).mul(0.5).sum())(x());
    expect(maxDiff(await valuesOn('wasm', g), await valuesOn('cpu', g))).toBeLessThan(1e-5);
  });

  it('fused GELU and LayerNorm (forward and every gradient) match the tfjs-op forms on the cpu backend', async () => {
    await tf.setBackend('wasm');
    expect(hasFusedOps()).toBe(true);
    const x = () => rand([4, 33, 312], 7).mul(3);
    const w = () => rand([4, 33, 312], 8);
    const geluOf = () => tf.tidy(() => [gelu(x()), tf.grad((v: tf.Tensor) => gelu(v).mul(w()).sum())(x())]);
    expect(maxDiff(await valuesOn('wasm', geluOf), await valuesOn('cpu', geluOf))).toBeLessThan(2e-5);
    const gamma = () => rand([312], 9).add(1);
    const beta = () => rand([312], 10);
    const norm = () =>
      tf.tidy(() => {
        const f = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => layerNorm(a, g, b, 1e-12).mul(w()).sum();
        return [layerNorm(x(), gamma(), beta(), 1e-12), ...tf.grads(f)([x(), gamma(), beta()])];
      });
    const [fused, reference] = [await valuesOn('wasm', norm), await valuesOn('cpu', norm)];
    expect(fused).toHaveLength(4); // y, dx, dgamma, dbeta
    expect(maxDiff(fused, reference)).toBeLessThan(1e-3); // dgamma and dbeta sum 132 rows
    expect(maxDiff([fused[0], fused[1]], [reference[0], reference[1]])).toBeLessThan(1e-4);
  });

  it('GatherV2: rows along axis 0 natively (any index shape), other axes by the wasm kernel, a bad index named', async () => {
    const table = () => rand([500, 3, 7], 11);
    const cases = [
      () => tf.gather(table(), tf.tensor1d([4, 0, 499, 4], 'int32')),
      () => tf.gather(table(), tf.tensor2d([[1, 2, 3], [7, 7, 0]], [2, 3], 'int32')),
      () => tf.gather(table(), tf.tensor1d([2, 0], 'int32'), 1),
      () => tf.gather(rand([8000, 312], 12), tf.tensor1d(Array.from({ length: 1024 }, (_, i) => (i * 7919) % 8000), 'int32')),
    ];
    for (const f of cases) expect(maxDiff(await valuesOn('wasm', f), await valuesOn('cpu', f))).toBe(0);
    await tf.setBackend('wasm');
    expect(() => tf.tidy(() => tf.gather(table(), tf.tensor1d([3, 500], 'int32')).dataSync())).toThrow(/index value 500 is not in \[0, 499\]/);
  });

  it('dropout masks: the native kernel draws exactly the masks dropout.ts computes, across threads', async () => {
    for (const [shape, rate, seed] of [[[32, 32, 312], 0.1, 1009 * 7 + 3], [[5, 3], 0.5, 0], [[200001], 0.25, 2 ** 40 + 5]] as const) {
      const attrs = dropoutMaskAttrs(shape, rate, seed);
      const got = tf.tidy(() => dropoutMask(shape, rate, seed).dataSync() as Float32Array);
      expect(Array.from(got)).toEqual(Array.from(dropoutMaskValues(attrs)));
    }
  });

  it('Identity shares memory and the copy outlives its source', async () => {
    await tf.setBackend('wasm');
    const a = tf.tensor1d([1, 2, 3]);
    const b = tf.clone(a);
    a.dispose();
    expect(Array.from(b.dataSync())).toEqual([1, 2, 3]);
    const v = tf.variable(tf.tensor1d([4, 5]));
    const snapshot = tf.clone(v);
    v.assign(tf.tensor1d([6, 7]));
    expect(Array.from(snapshot.dataSync())).toEqual([4, 5]);
    [b, v, snapshot].forEach((t) => t.dispose());
  });
});

/** Three AdamW steps (clipping active, decay on one tensor only) with the given kernels: the parameters and moments. */
async function adamwSteps(kernels: typeof native): Promise<number[][]> {
  patchWasmKernels(kernels);
  await tf.setBackend('wasm');
  const params = new Map([
    ['layer.weight', tf.variable(rand([300, 70], 5))],
    ['layer.bias', tf.variable(rand([70], 6))],
  ]);
  const opt = new AdamW({ lr: 0.01, weightDecay: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-6, warmupSteps: 1, totalSteps: 10, maxGradNorm: 0.5 }, params, [...params.keys()]);
  for (let step = 0; step < 3; step++) {
    const grads = new Map([...params].map(([k, p]) => [k, tf.tidy(() => rand(p.shape, 10 + step).mul(step + 1))]));
    opt.apply(grads);
    grads.forEach((g) => g.dispose());
  }
  const state = opt.exportState();
  const out = [...params.values()].map((p) => Array.from(p.dataSync()));
  out.push(...[...state.m.values(), ...state.v.values()].map((a) => Array.from(a)));
  opt.dispose();
  params.forEach((p) => p.dispose());
  return out;
}

it('the fused AdamW and global-norm kernels give the same parameters and moments as the tfjs-op update (clipping active)', async () => {
  if (!native) return expect(native).toBeNull();
  expect(maxDiff(await adamwSteps(native), await adamwSteps(null))).toBeLessThan(1e-6);
});

describe('BF16 matmul (AVX-512 BF16 only)', () => {
  const bf16Supported = native?.info().bf16Supported ?? false;
  /** float32 → bfloat16 → float32, rounding to nearest even, as the kernel packs its inputs */
  const toBf16 = (x: number) => {
    const u = new Uint32Array(Float32Array.of(x).buffer)[0];
    return new Float32Array(Uint32Array.of(((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) << 16).buffer)[0];
  };
  /** C = op(A) · op(B) in float64, of the given element transform */
  const reference = (a0: Float32Array, b0: Float32Array, m: number, n: number, k: number, ta: boolean, tb: boolean, f: (x: number) => number) => {
    const [a, b] = [Float64Array.from(a0, f), Float64Array.from(b0, f)];
    const out = new Float64Array(m * n);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let kk = 0; kk < k; kk++) acc += (ta ? a[kk * m + i] : a[i * k + kk]) * (tb ? b[j * k + kk] : b[kk * n + j]);
        out[i * n + j] = acc;
      }
    return out;
  };

  it.each([
    [7, 5, 3, false, false],
    [150, 70, 601, false, false], // odd k past KC: a zero-padded last pair
    [61, 70, 300, true, false],
    [40, 33, 257, false, true],
    [13, 45, 129, true, true],
  ])('%i × %i (k %i, transA %s, transB %s): exact on bfloat16-rounded inputs, and not float32', (m, n, k, ta, tb) => {
    if (!native || !bf16Supported) return expect(bf16Supported).toBe(false);
    const rnd = (len: number, seed: number) => Float32Array.from({ length: len }, (_, i) => Math.sin(seed * 1000 + i * 12.9898) * 2);
    const a = rnd(m * k, 1);
    const b = rnd(k * n, 2);
    const c = new Float32Array(m * n);
    try {
      expect(native.setPrecision(1)).toBe(true);
      expect(native.info().bf16).toBe(true);
      native.gemm(a, b, c, 1, 1, m, n, k, ta ? 1 : 0, tb ? 1 : 0);
    } finally {
      native.setPrecision(0);
    }
    const exact = reference(a, b, m, n, k, ta, tb, toBf16);
    const fp32 = reference(a, b, m, n, k, ta, tb, (x) => x);
    const err = (ref: Float64Array) => ref.reduce((worst, r, i) => Math.max(worst, Math.abs(r - c[i]) / (1 + Math.abs(r))), 0);
    expect(err(exact)).toBeLessThan(1e-5 * Math.sqrt(k));
    if (k > 5) expect(err(fp32)).toBeGreaterThan(1e-4); // the inputs really were rounded
  });
});

it('BF16 training: only inside a training step; evaluation and everything after it stay float32', async () => {
  if (!native?.info().bf16Supported) return expect(native?.info().bf16Supported ?? false).toBe(false);
  patchWasmKernels(native);
  await tf.setBackend('wasm');
  const a = tf.tensor2d(Array.from({ length: 64 * 48 }, (_, i) => Math.sin(i * 12.9898) * 2), [64, 48]);
  const b = tf.tensor2d(Array.from({ length: 48 * 40 }, (_, i) => Math.cos(i * 4.1414) * 2), [48, 40]);
  const product = () => tf.tidy(() => Array.from(tf.matMul(a, b).dataSync()));
  const fp32 = product();
  try {
    setTrainingBf16(true);
    expect(trainsInBf16()).toBe(true);
    const inStep = withTrainingPrecision(() => {
      expect(native.info().bf16).toBe(true);
      return product();
    });
    expect(native.info().bf16).toBe(false);
    expect(product()).toEqual(fp32); // after the step: float32 again
    expect(Math.max(...inStep.map((x, i) => Math.abs(x - fp32[i])))).toBeGreaterThan(1e-4); // inside: BF16 inputs
    expect(() => withTrainingPrecision(() => { throw new Error('step failed'); })).toThrow('step failed');
    expect(native.info().bf16).toBe(false); // and after a failed step too
  } finally {
    setTrainingBf16(false);
  }
  expect(withTrainingPrecision(product)).toEqual(fp32); // off: no change
  a.dispose();
  b.dispose();
});

it('rejects arrays too short for the sizes', () => {
  if (!native) return expect(native).toBeNull();
  expect(() => native.gemm(new Float32Array(5), new Float32Array(6), new Float32Array(4), 1, 1, 2, 2, 3, 0, 0)).toThrow(/lengths/);
  expect(() => native.sum(new Float32Array(5), new Float32Array(1), 1, 6, 1)).toThrow(/bad arguments/);
});

/** 200 training steps of a small encoder on the smoke fixture's titles, with the given wasm kernels: the loss curve. */
async function smokeLossCurve(kernels: typeof native): Promise<number[]> {
  patchWasmKernels(kernels);
  await tf.setBackend('wasm');
  const root = SMOKE_FIXTURE;
  const labelNames = fs.readFileSync(path.join(root, 'labels.txt'), 'utf8').trim().split('\n').map((l) => l.split('==')[0]);
  const rows = fs.readFileSync(path.join(root, 'train.tsv'), 'utf8').trim().split('\n').map((l) => l.split('\t'));
  const chars = new Map<string, number>();
  const items: Encoded[] = rows.map(([text], index) => ({ index, ids: [2, ...[...text].slice(0, 30).map((ch) => chars.get(ch) ?? chars.set(ch, chars.size + 5).get(ch)!), 3] }));
  const labels = rows.map(([, l]) => labelNames.indexOf(l));
  const config: EncoderConfig = {
    vocabSize: chars.size + 5, hiddenSize: 64, numLayers: 2, numHeads: 4, intermediateSize: 128, maxPositions: 32,
    typeVocabSize: 2, layerNormEps: 1e-12, numLabels: labelNames.length, hiddenDropout: 0.1, attentionDropout: 0.1, initializerRange: 0.02, mlmHead: false,
  };
  const enc = Encoder.create(config, 7);
  const result = await train(
    enc.params,
    [...enc.params.keys()],
    {
      epochBatches: (_e, rng) => bucketedBatches(items, 16, 0, rng),
      loss: (b, seed) => crossEntropy(enc.forward(batchTensors(b), { training: true, seed }).logits!, tf.tensor1d(b.indices.map((i) => labels[i]), 'int32')),
    },
    { ...DEFAULT_TRAINING, epochs: 20, batchSize: 16, lr: 1e-3, maxSteps: 200 },
    createLogger('test'),
  );
  enc.dispose();
  return result.curve.map((c) => c.loss);
}

it('a 200-step training run on the smoke data gives the same loss curve with the native kernels as without', async () => {
  const reference = await smokeLossCurve(null);
  const fast = await smokeLossCurve(native);
  expect(reference.length).toBe(200);
  expect(fast.length).toBe(200);
  expect(reference[199]).toBeLessThan(reference[0] * 0.7); // it learns, so the comparison means something
  const worst = Math.max(...reference.map((l, i) => Math.abs(l - fast[i])));
  console.log(`200-step loss curves: max |Δ| ${worst.toExponential(2)}, first ${reference[0].toFixed(4)}, last ${reference[199].toFixed(4)}`);
  expect(worst).toBeLessThan(1e-3);
}, 120_000);
