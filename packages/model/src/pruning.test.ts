import * as tf from '@tensorflow/tfjs';
import { Encoder, type EncoderConfig } from './encoder';
import { classifierHead } from './inference';
import { crossEntropy } from './losses';
import { GradualPruner, cubicSparsity, ffnImportance, magnitudePrune, prunableMatrices, pruneFfn, topNeurons } from './pruning';
import { classifierTask } from './classifier-task';
import { DEFAULT_TRAINING, train } from './trainer';
import { WordPieceTokenizer, createLogger } from '@distill/core';
import type { Batch } from './batching';

const CONFIG: EncoderConfig = {
  vocabSize: 30, hiddenSize: 16, numLayers: 2, numHeads: 2, intermediateSize: 12, maxPositions: 8,
  typeVocabSize: 2, layerNormEps: 1e-12, numLabels: 3, hiddenDropout: 0, attentionDropout: 0, initializerRange: 0.3, mlmHead: false,
};
const BATCH: Batch = { indices: [0, 1, 2], batch: 3, seq: 5, inputIds: Int32Array.from([2, 7, 9, 11, 3, 2, 5, 3, 0, 0, 2, 8, 8, 20, 3]), attentionMask: Int32Array.from([1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1]) } as Batch;
const LABELS = tf.tensor1d([0, 2, 1], 'int32');

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const logitsOf = (e: Encoder, masks?: tf.Tensor1D[]) => tf.tidy(() => Array.from(classifierHead(e).logits(BATCH, masks ? { ffnMasks: masks } : {}).dataSync()));

describe('structured FFN pruning', () => {
  it('a pruned model computes what the full one does with the removed neurons masked to zero', () => {
    const enc = Encoder.create(CONFIG, 4);
    const kept = [[0, 2, 3, 5, 8, 11], [1, 2, 4, 6, 7, 9]];
    const masks = kept.map((k) => tf.tensor1d(Array.from({ length: 12 }, (_, j) => (k.includes(j) ? 1 : 0))));
    const pruned = pruneFfn(enc, kept);
    expect(pruned.config.intermediateSize).toBe(6);
    expect(pruned.params.get('bert.encoder.layer.0.intermediate.dense.weight')!.shape).toEqual([16, 6]);
    expect(pruned.params.get('bert.encoder.layer.1.output.dense.weight')!.shape).toEqual([6, 16]);
    const want = logitsOf(enc, masks);
    logitsOf(pruned).forEach((x, i) => expect(x).toBeCloseTo(want[i], 5));
    // keeping every neuron changes nothing, and the masked model does differ from the full one
    const all = pruneFfn(enc, [Array.from({ length: 12 }, (_, j) => j), Array.from({ length: 12 }, (_, j) => j)]);
    const full = logitsOf(enc);
    logitsOf(all).forEach((x, i) => expect(x).toBeCloseTo(full[i], 5));
    expect(Math.max(...full.map((x, i) => Math.abs(x - want[i])))).toBeGreaterThan(1e-3);
    [enc, pruned, all].forEach((e) => e.dispose());
  });

  it('ranks neurons by |∂loss/∂mask|: a neuron whose output weights are zero scores 0', () => {
    const enc = Encoder.create(CONFIG, 5);
    const w = enc.params.get('bert.encoder.layer.1.output.dense.weight')!;
    w.assign(tf.tidy(() => w.mul(tf.tensor2d(Array.from({ length: 12 }, (_, j) => new Array(16).fill(j === 4 ? 0 : 1))))));
    const imp = ffnImportance(classifierHead(enc), [BATCH, BATCH], (logits) => crossEntropy(logits, LABELS));
    expect(imp).toHaveLength(2);
    expect(imp[1][4]).toBe(0);
    expect(Math.min(...Array.from(imp[1]).filter((_, j) => j !== 4))).toBeGreaterThan(0);
    expect(topNeurons(imp, 11)[1]).not.toContain(4);
    expect(topNeurons([Float32Array.from([0.1, 3, 2, 0.5])], 2)).toEqual([[1, 2]]);
    expect(() => topNeurons(imp, 13)).toThrow(/keep 13 of 12/);
    enc.dispose();
  });
});

describe('unstructured magnitude pruning', () => {
  it('zeroes the smallest-magnitude share of the encoder layers\' matrices and nothing else', () => {
    const enc = Encoder.create(CONFIG, 6);
    const { encoder: sparse, zeroed, threshold } = magnitudePrune(enc, 0.5);
    const names = prunableMatrices(enc);
    const total = names.reduce((a, n) => a + enc.params.get(n)!.size, 0);
    expect(zeroed).toBeGreaterThanOrEqual(Math.floor(total / 2));
    expect(zeroed).toBeLessThan(total / 2 + 5); // ties at the threshold only
    for (const n of names) {
      const before = enc.params.get(n)!.dataSync();
      sparse.params.get(n)!.dataSync().forEach((x, i) => expect(x).toBe(Math.abs(before[i]) <= threshold ? 0 : before[i]));
    }
    expect(Array.from(sparse.params.get('bert.embeddings.word_embeddings.weight')!.dataSync())).toEqual(Array.from(enc.params.get('bert.embeddings.word_embeddings.weight')!.dataSync()));
    expect(Array.from(sparse.params.get('classifier.weight')!.dataSync())).toEqual(Array.from(enc.params.get('classifier.weight')!.dataSync()));
    [enc, sparse].forEach((e) => e.dispose());
  });
});

describe('gradual pruning', () => {
  it('a cubic schedule: nothing before the start, the final sparsity from the end on, fast early', () => {
    expect(cubicSparsity(0, 0.9, 0, 100)).toBe(0);
    expect(cubicSparsity(50, 0.9, 0, 100)).toBeCloseTo(0.9 * (1 - 0.125), 10);
    expect(cubicSparsity(100, 0.9, 0, 100)).toBe(0.9);
    expect(cubicSparsity(250, 0.9, 0, 100)).toBe(0.9);
  });

  const vocab = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...'甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉'.split('')];
  const tokenizer = new WordPieceTokenizer(vocab);
  const rows = Array.from({ length: 48 }, (_, i) => ({ id: `${i}`, text: vocab.slice(5 + (i % 3) * 5, 10 + (i % 3) * 5).join(''), label: i % 3 }));

  it.each(['magnitude', 'movement'] as const)('%s pruning reaches its final sparsity while the model trains, and keeps the pruned weights at zero', async (method) => {
    const enc = Encoder.create({ ...CONFIG, vocabSize: vocab.length }, 9);
    const pruner = new GradualPruner(enc, { method, sparsity: 0.8, rampShare: 0.6, every: 3 });
    const task = classifierTask({ head: classifierHead(enc), tokenizer, train: rows, valid: rows, labels: ['a', 'b', 'c'], batchSize: 8, loss: (logits, b) => crossEntropy(logits, tf.tensor1d(b.indices.map((i) => rows[i].label), 'int32')) });
    const seen: number[] = [];
    const r = await train(enc.params, [...enc.params.keys()], task, { ...DEFAULT_TRAINING, lr: 0.01, epochs: 4, afterUpdate: (step, total, grads) => (pruner.afterUpdate(step, total, grads), seen.push(pruner.current)), eligibleForBest: (step, total) => pruner.done(step, total) }, createLogger('test'));
    expect(r.steps).toBe(24);
    expect(seen[0]).toBe(0);
    expect(seen[seen.length - 1]).toBeCloseTo(0.8, 10);
    expect(seen.every((x, i) => i === 0 || x >= seen[i - 1])).toBe(true);
    expect(pruner.sparsity()).toBeGreaterThanOrEqual(0.79);
    expect(r.best!.step).toBeGreaterThanOrEqual(15); // the best kept is at the final sparsity (from step 0.6 × 24)
    expect(r.best!.accuracy).toBeGreaterThan(0.5); // three labels: still learns at 80% sparsity
    enc.dispose();
  });
});
