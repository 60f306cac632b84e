import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Rng, createLogger, interruption } from '@distill/core';
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

  it('epochs 0 trains nothing: the weights stay as given and valid is scored once', async () => {
    const enc = Encoder.create(CONFIG, 1);
    const before = new Map([...enc.params].map(([n, v]) => [n, v.dataSync().slice()]));
    let steps = 0;
    const result = await train(enc.params, [...enc.params.keys()], task(enc, () => (steps += 1)), { ...DEFAULT_TRAINING, epochs: 0, batchSize: 16, lr: 1e-2 }, log);
    expect(steps).toBe(0);
    expect(result.steps).toBe(0);
    expect(result.evals.map((e) => e.step)).toEqual([0]);
    for (const [n, v] of enc.params) expect(Array.from(v.dataSync())).toEqual(Array.from(before.get(n)!));
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

  it("draws each epoch's batches once", async () => {
    const enc = Encoder.create(CONFIG, 4);
    const base = task(enc);
    const epochs: number[] = [];
    await train(enc.params, [...enc.params.keys()], { ...base, epochBatches: (e, r) => (epochs.push(e), base.epochBatches(e, r)) }, { ...DEFAULT_TRAINING, epochs: 3, batchSize: 16 }, log);
    expect(epochs).toEqual([0, 1, 2]);
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

  it('resumes exactly: a crashed run continued from its last save gives the same loss curve and weights', async () => {
    const cfg = { ...DEFAULT_TRAINING, epochs: 3, batchSize: 16, lr: 3e-3 };
    const keys = [...Encoder.create(CONFIG, 0).params.keys()];
    const whole = Encoder.create(CONFIG, 5);
    const reference = await train(whole.params, keys, task(whole), cfg, log);

    const resume = { dir: path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'resume-')), 'train'), every: 3, fingerprint: 'cfg-1' };
    const crashing = Encoder.create(CONFIG, 5);
    let calls = 0;
    const crash = () => {
      if (++calls === 8) throw new Error('simulated crash at step 8');
    };
    await expect(train(crashing.params, keys, task(crashing, crash), cfg, log, 'train', resume)).rejects.toThrow('simulated crash');
    crashing.dispose();
    expect(fs.existsSync(resume.dir)).toBe(true);

    const resumed = Encoder.create(CONFIG, 99); // a different init: everything must come from the saved state
    const result = await train(resumed.params, keys, task(resumed), cfg, log, 'train', resume);
    expect(result.resumedFrom).toBe(6);
    expect(result.curve.map((c) => c.loss)).toEqual(reference.curve.map((c) => c.loss));
    expect(result.evals).toEqual(reference.evals);
    for (const k of keys) expect(Array.from(resumed.params.get(k)!.dataSync())).toEqual(Array.from(whole.params.get(k)!.dataSync()));
    expect(fs.existsSync(resume.dir)).toBe(false); // finished: the resume state is gone
    [whole, resumed].forEach((e) => e.dispose());
  });

  it('on Ctrl-C saves its place at the end of the step and stops; the next run continues from there', async () => {
    const cfg = { ...DEFAULT_TRAINING, epochs: 3, batchSize: 16, lr: 3e-3 };
    const keys = [...Encoder.create(CONFIG, 0).params.keys()];
    const whole = Encoder.create(CONFIG, 5);
    const reference = await train(whole.params, keys, task(whole), cfg, log);
    const resume = { dir: path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'interrupt-')), 'train'), every: 0, fingerprint: 'cfg-1', source: 'code-1' };
    const first = Encoder.create(CONFIG, 5);
    let calls = 0;
    const ctrlC = () => {
      if (++calls === 5) interruption.requested = true; // during step 5
    };
    try {
      await expect(train(first.params, keys, task(first, ctrlC), cfg, log, 'train', resume)).rejects.toThrow(/interrupted by .*resume state saved at step 5/);
    } finally {
      interruption.requested = false;
    }
    expect(fs.existsSync(resume.dir)).toBe(true); // saved although `every` is 0
    const again = Encoder.create(CONFIG, 99);
    const result = await train(again.params, keys, task(again), cfg, log, 'train', resume);
    expect(result.resumedFrom).toBe(5);
    expect(result.curve.map((c) => c.loss)).toEqual(reference.curve.map((c) => c.loss));
    [whole, first, again].forEach((e) => e.dispose());
  });

  it('refuses resume state written by other source code, and says so', async () => {
    const cfg = { ...DEFAULT_TRAINING, epochs: 2, batchSize: 16, lr: 3e-3 };
    const keys = [...Encoder.create(CONFIG, 0).params.keys()];
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'source-')), 'train');
    const enc = Encoder.create(CONFIG, 5);
    let calls = 0;
    const crash = () => {
      if (++calls === 4) throw new Error('crash');
    };
    await expect(train(enc.params, keys, task(enc, crash), cfg, log, 'train', { dir, every: 2, fingerprint: 'cfg', source: 'old-code' })).rejects.toThrow('crash');
    const warnings: string[] = [];
    const spy = { info: () => {}, warn: (...a: unknown[]) => void warnings.push(a.join(' ')) };
    const result = await train(enc.params, keys, task(enc), cfg, spy, 'train', { dir, every: 2, fingerprint: 'cfg', source: 'new-code' });
    expect(result.resumedFrom).toBe(0);
    expect(warnings).toEqual([expect.stringMatching(/resume state in .* \(step 2\) was written by other source code; starting over/)]);
    enc.dispose();
  });

  it('ignores resume state written for another configuration', async () => {
    const cfg = { ...DEFAULT_TRAINING, epochs: 1, batchSize: 16 };
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'resume-')), 'train');
    const enc = Encoder.create(CONFIG, 5);
    let calls = 0;
    await expect(train(enc.params, [...enc.params.keys()], task(enc, () => { if (++calls === 3) throw new Error('crash'); }), cfg, log, 'train', { dir, every: 1, fingerprint: 'a' })).rejects.toThrow('crash');
    const result = await train(enc.params, [...enc.params.keys()], task(enc), cfg, log, 'train', { dir, every: 1, fingerprint: 'b' });
    expect(result.resumedFrom).toBe(0);
    enc.dispose();
  });
});
