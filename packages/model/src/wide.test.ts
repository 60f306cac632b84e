import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { valuesOn } from './backend-compare.testutil';
import { loadCheckpoint, saveCheckpoint } from './checkpoint';
import { batchTensors, withTable } from './inference';
import { Encoder, WIDE_HASH_MULTIPLIERS, WIDE_MAX_BUCKETS, WIDE_ORDER_OFFSET, WIDE_TABLE, wideNgrams, wideShape, type EncoderConfig } from './encoder';
import { createLogger, WordPieceTokenizer, type Example } from '@distill/core';
import { evaluateClassifier } from './classifier-task';
import { AdamW } from './optimizer';
import { DEFAULT_TRAINING, train, trainedParams, type TrainTask } from './trainer';
import { fitWide, tableLogits, wideHead, withWide } from './wide';

const CONFIG: EncoderConfig = {
  vocabSize: 20, hiddenSize: 8, numLayers: 1, numHeads: 2, intermediateSize: 12, maxPositions: 10,
  typeVocabSize: 2, layerNormEps: 1e-12, numLabels: 3, hiddenDropout: 0, attentionDropout: 0, initializerRange: 0.02, mlmHead: false,
};
const IDS = [[2, 7, 9, 11, 3], [2, 5, 3, 0, 0]];
const MASK = [[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]];
const inputs = () => ({ inputIds: tf.tensor2d(IDS, [2, 5], 'int32'), attentionMask: tf.tensor2d(MASK, [2, 5], 'int32') });

/** The hash as encoder.ts documents it, in plain numbers (exact in float64: h·M₁M₂ < 2⁵³). */
function reference(ids: number[], buckets: number, maxN: number): number[] {
  const out: number[] = [];
  for (let n = 1; n <= maxN; n++) {
    for (let j = 0; j + n <= ids.length; j++) {
      let h = ids[j] % buckets;
      for (let t = 1; t < n; t++) h = (h * WIDE_HASH_MULTIPLIERS[0] * WIDE_HASH_MULTIPLIERS[1] + ids[j + t]) % buckets;
      out.push((h + (n - 1) * WIDE_ORDER_OFFSET) % buckets);
    }
  }
  return out;
}

/** `enc` saved as a checkpoint whose config.json lacks `key` (as one written before that key existed); its folder. */
function savedWithout(enc: Encoder, key: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wide-'));
  saveCheckpoint(dir, enc, ['x', 'y', 'z'], []);
  const file = path.join(dir, 'config.json');
  const config = JSON.parse(fs.readFileSync(file, 'utf8'));
  expect(config).toHaveProperty(key);
  delete config[key];
  fs.writeFileSync(file, JSON.stringify(config));
  return dir;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('wide n-gram part', () => {
  it.each([
    ['mean', (count: number) => 1 / count],
    ['sqrt', (count: number) => 1 / Math.sqrt(count)],
  ] as const)('hashes every 1..maxN-gram inside the mask; %s pooling weighs each by the row count', (pooling, weight) => {
    const buckets = WIDE_MAX_BUCKETS - 3; // near the largest, and not a power of two (see the wasm test below)
    const { ids, weights } = tf.tidy(() => {
      const o = wideNgrams(inputs().inputIds, inputs().attentionMask, { buckets, maxN: 3, pooling });
      return { ids: o.ids.arraySync(), weights: o.weights.arraySync() };
    });
    expect(ids[0]).toEqual(reference(IDS[0], buckets, 3));
    expect(ids[1]).toEqual(reference(IDS[1], buckets, 3));
    // row 0: 5 + 4 + 3 n-grams, all inside the mask; row 1: 3 tokens → 3 + 2 + 1 valid n-grams
    expect(weights[0].every((w) => Math.abs(w - weight(12)) < 1e-7)).toBe(true);
    const valid1 = [1, 1, 1, 0, 0, 1, 1, 0, 0, 1, 0, 0];
    weights[1].forEach((w, k) => expect(w).toBeCloseTo(valid1[k] * weight(6), 7));
  });

  it('hashes exactly on the wasm backend (int32) near the largest bucket count, with large token ids', async () => {
    const ids = [[7999, 7998, 7001, 5003, 4099, 1], [2, 8191, 6007, 3, 0, 0]];
    const mask = [[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0]];
    // int32 products wrap around modulo 2³², which is still exact modulo a power of two: only a bucket count that is
    // not one shows an overflowing product
    const buckets = WIDE_MAX_BUCKETS - 3;
    const f = () => wideNgrams(tf.tensor2d(ids, [2, 6], 'int32'), tf.tensor2d(mask, [2, 6], 'int32'), { buckets, maxN: 3, pooling: 'mean' }).ids;
    const [got] = await valuesOn('wasm', f);
    await tf.setBackend('cpu');
    // [batch, K] row-major: row 0's n-grams, then row 1's (those touching padding included, at weight 0)
    expect(got).toEqual([...reference(ids[0], buckets, 3), ...reference(ids[1], buckets, 3)]);
  });

  it('starts at zero (the encoder alone), learns at its own rate, and round-trips through a checkpoint', () => {
    const base = Encoder.create(CONFIG, 3);
    const before = tf.tidy(() => Array.from(base.forward(inputs()).logits!.dataSync()));
    const enc = withWide(base, { buckets: 64, maxN: 2, pooling: 'sqrt' });
    const both = (e: Encoder) => withTable(e, inputs(), e.forward(inputs()).logits!);
    const logits = () => tf.tidy(() => Array.from(both(enc).dataSync()));
    logits().forEach((v, i) => expect(v).toBeCloseTo(before[i], 6));

    const opt = new AdamW({ lr: 1e-6, weightDecay: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-6, warmupSteps: 0, totalSteps: 10, maxGradNorm: 0, wideLr: 0.5 }, enc.params, [...enc.params.keys()]);
    const { grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(tf.oneHot([0, 2], 3), both(enc)) as tf.Scalar);
    const byVariable = new Map([...enc.params].map(([name, v]) => [v.name, name]));
    opt.apply(new Map(Object.entries(grads).map(([k, g]) => [byVariable.get(k)!, g])));
    Object.values(grads).forEach((g) => g.dispose());
    // Adam moves every touched entry by ≈ lr in the first step: the table by 0.5·0.9, the encoder by 1e-6·0.9
    const table = enc.params.get(WIDE_TABLE)!.dataSync();
    expect(Math.max(...Array.from(table, Math.abs))).toBeCloseTo(0.5 * 0.9, 2);
    const after = logits();
    expect(Math.abs(after[0] - before[0])).toBeGreaterThan(0.05);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wide-'));
    saveCheckpoint(dir, enc, ['x', 'y', 'z'], []);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'))).toMatchObject({ wide_buckets: 64, wide_max_n: 2, wide_pooling: 'sqrt' });
    const back = loadCheckpoint(dir).encoder;
    const reloaded = tf.tidy(() => Array.from(both(back).dataSync()));
    reloaded.forEach((v, i) => expect(v).toBeCloseTo(after[i], 6));

    // a student takes the table: same wide logits
    const student = withWide(Encoder.create({ ...CONFIG, hiddenSize: 4, numHeads: 1, intermediateSize: 6 }, 9), { buckets: 64, maxN: 2, pooling: 'sqrt' }, back);
    const wideOf = (e: Encoder) => tf.tidy(() => Array.from(tableLogits(e, inputs()).dataSync()));
    expect(wideOf(student)).toEqual(wideOf(back));
    expect(() => withWide(student, { buckets: 32, maxN: 2, pooling: 'sqrt' }, back)).toThrow(/source table is 64 buckets/);
    expect(() => withWide(student, { buckets: 64, maxN: 2, pooling: 'mean' }, back)).toThrow(/sqrt pooling/);
    [enc, back, student].forEach((e) => e.dispose());
  });

  it('reads a checkpoint without wide_pooling (written before the option) as mean pooling', () => {
    const enc = withWide(Encoder.create(CONFIG, 4), { buckets: 64, maxN: 2, pooling: 'mean' });
    const back = loadCheckpoint(savedWithout(enc, 'wide_pooling')).encoder;
    expect(back.config.widePooling).toBeUndefined();
    expect(wideShape(back.config)).toEqual({ buckets: 64, maxN: 2, pooling: 'mean' });
    [enc, back].forEach((e) => e.dispose());
  });

  it('refuses a checkpoint whose table was written for the old n-gram hash (no wide_hash), naming the file', () => {
    const enc = withWide(Encoder.create(CONFIG, 4), { buckets: 64, maxN: 2, pooling: 'mean' });
    const dir = savedWithout(enc, 'wide_hash');
    expect(() => loadCheckpoint(dir)).toThrow(/config\.json: the wide n-gram table was written for hash version 1/);
    enc.dispose();
  });
});

describe('fitting the wide table', () => {
  // label 0 texts carry 甲, label 1 texts carry 乙: a linear n-gram model separates them
  const vocab = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', '甲', '乙', '丙', '丁', '戊'];
  const tokenizer = new WordPieceTokenizer(vocab);
  const filler = ['丙丁', '丁戊', '戊丙', '丙', '丁丁戊'];
  const rows = (n: number, offset: number): Example[] =>
    Array.from({ length: n }, (_, i) => ({ id: String(offset + i), text: (i % 2 ? '乙' : '甲') + filler[(i + offset) % filler.length], label: i % 2 }));
  const data = { tokenizer, train: rows(40, 0), valid: rows(10, 100), labels: ['a', 'b'] };
  const config: EncoderConfig = { ...CONFIG, vocabSize: vocab.length, numLabels: 2 };
  const log = createLogger('test');

  it('fits the table alone to the labels and leaves every other parameter as it was', async () => {
    const enc = withWide(Encoder.create(config, 5), { buckets: 97, maxN: 2, pooling: 'sqrt' });
    const others = () => new Map([...enc.params].filter(([n]) => n !== WIDE_TABLE).map(([n, v]) => [n, Array.from(v.dataSync())]));
    const before = others();
    const result = await fitWide(enc, data, { ...DEFAULT_TRAINING, epochs: 8, batchSize: 8, wideLr: 0.1, evalEvery: 0 }, log);
    expect(result.best!.score).toBe(1);
    expect(evaluateClassifier(wideHead(enc), tokenizer, data.valid, data.labels).metrics.accuracy).toBe(1);
    expect(others()).toEqual(before);
    await expect(fitWide(enc, data, { ...DEFAULT_TRAINING, wideLr: 0 }, log)).rejects.toThrow(/needs a learning rate/);
    enc.dispose();
  });

  it('leaves the table alone when the training loop has wideLr 0, and trains it otherwise', async () => {
    for (const wideLr of [0, 0.1]) {
      const enc = withWide(Encoder.create(config, 5), { buckets: 97, maxN: 2, pooling: 'sqrt' });
      const task: TrainTask = {
        epochBatches: () => [{ indices: [0], batch: 1, seq: 3, inputIds: Int32Array.of(2, 5, 3), attentionMask: Int32Array.of(1, 1, 1) }],
        loss: (b) => tf.losses.softmaxCrossEntropy(tf.oneHot([1], 2), withTable(enc, batchTensors(b), enc.forward(batchTensors(b)).logits!)) as tf.Scalar,
      };
      await train(enc.params, [...enc.params.keys()], task, { ...DEFAULT_TRAINING, epochs: 3, lr: 0.01, wideLr }, log);
      const moved = Math.max(...Array.from(enc.params.get(WIDE_TABLE)!.dataSync(), Math.abs));
      if (wideLr === 0) expect(moved).toBe(0);
      else expect(moved).toBeGreaterThan(0.05);
      expect(trainedParams([...enc.params.keys()], wideLr).includes(WIDE_TABLE)).toBe(wideLr > 0);
      enc.dispose();
    }
  });
});
