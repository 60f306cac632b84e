import * as tf from '@tensorflow/tfjs';
import { Rng, createLogger } from '@distill/core';
import { bucketedBatches, padBatch, type Encoded } from './batching';
import { Encoder, type EncoderConfig } from './encoder';
import { batchTensors } from './inference';
import { crossEntropy } from './losses';
import { DEFAULT_TRAINING, train, type TrainTask } from './trainer';

const CONFIG: EncoderConfig = {
  vocabSize: 12, hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 32, maxPositions: 8,
  typeVocabSize: 2, layerNormEps: 1e-12, numLabels: 2, hiddenDropout: 0.1, attentionDropout: 0, initializerRange: 0.02, mlmHead: false,
};

// Label = whether token 5 occurs in the sequence.
const rng = new Rng(1);
const items: Encoded[] = Array.from({ length: 64 }, (_, index) => ({ index, ids: [2, ...Array.from({ length: 1 + rng.int(5) }, () => 5 + rng.int(6)), 3] }));
const labels = items.map((e) => (e.ids.includes(5) ? 1 : 0));

function task(enc: Encoder, onStep?: () => void): TrainTask {
  return {
    epochBatches: (_e, r) => bucketedBatches(items, 16, 0, r),
    loss: (b, seed) => {
      onStep?.();
      const logits = enc.forward(batchTensors(b), { training: true, seed }).logits!;
      return crossEntropy(logits, tf.tensor1d(b.indices.map((i) => labels[i]), 'int32'));
    },
    evaluate: () => {
      const acc = tf.tidy(() => {
        const b = padBatch(items, 0);
        const pred = enc.forward(batchTensors(b)).logits!.argMax(-1).dataSync();
        return b.indices.filter((i, r) => pred[r] === labels[i]).length / items.length;
      });
      return { score: acc, accuracy: acc };
    },
  };
}

const log = createLogger('test');
beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('train', () => {
  it('learns a toy task and keeps the best evaluation', async () => {
    const enc = Encoder.create(CONFIG, 1);
    const result = await train(enc.params, [...enc.params.keys()], task(enc), { ...DEFAULT_TRAINING, epochs: 20, batchSize: 16, lr: 1e-2 }, log);
    expect(result.steps).toBe(80);
    expect(result.curve[result.curve.length - 1].loss).toBeLessThan(result.curve[0].loss);
    expect(result.best!.accuracy).toBeGreaterThan(0.9);
    // the best parameters are restored at the end
    expect(task(enc).evaluate!().accuracy).toBeCloseTo(result.best!.accuracy, 6);
    enc.dispose();
  });

  it('leaks no tensors from step to step', async () => {
    const enc = Encoder.create(CONFIG, 2);
    const counts: number[] = [];
    await train(enc.params, [...enc.params.keys()], task(enc, () => counts.push(tf.memory().numTensors)), { ...DEFAULT_TRAINING, epochs: 2, batchSize: 16 }, log);
    expect(counts.length).toBe(8);
    expect(new Set(counts.slice(1)).size).toBe(1);
    enc.dispose();
  });

  it('is deterministic for a seed', async () => {
    const run = async () => {
      const enc = Encoder.create(CONFIG, 3);
      const r = await train(enc.params, [...enc.params.keys()], task(enc), { ...DEFAULT_TRAINING, epochs: 2, batchSize: 16, lr: 1e-3 }, log);
      enc.dispose();
      return r.curve.map((c) => c.loss);
    };
    expect(await run()).toEqual(await run());
  });
});
