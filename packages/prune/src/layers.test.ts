import * as tf from '@tensorflow/tfjs';
import { Encoder, crossEntropy, padBatch, type EncoderConfig } from '@distill/model';
import { dropLayers, layerImportance, topLayers } from './layers';

const CONFIG: EncoderConfig = {
  vocabSize: 30, hiddenSize: 16, numLayers: 3, numHeads: 2, intermediateSize: 32, maxPositions: 12,
  typeVocabSize: 2, layerNormEps: 1e-12, numLabels: 3, hiddenDropout: 0, attentionDropout: 0, initializerRange: 0.2, mlmHead: false,
};

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const batch = padBatch([{ index: 0, ids: [2, 5, 7, 9, 3] }, { index: 1, ids: [2, 11, 3] }, { index: 2, ids: [2, 4, 4, 8, 12, 3] }], 0);
const labels = [0, 2, 1];
const loss = (logits: tf.Tensor2D) => crossEntropy(logits, tf.tensor1d(labels, 'int32'));
const logitsOf = (e: Encoder) => tf.tidy(() => Array.from(e.forward({ inputIds: tf.tensor2d(batch.inputIds, [batch.batch, batch.seq], 'int32'), attentionMask: tf.tensor2d(batch.attentionMask, [batch.batch, batch.seq], 'int32') }).logits!.dataSync()));

describe('depth pruning', () => {
  it('keeps the chosen layers, renumbered, and the model without a layer computes what skipping it computes', () => {
    const model = Encoder.create(CONFIG, 3);
    const same = dropLayers(model, [0, 1, 2]);
    expect(logitsOf(same)).toEqual(logitsOf(model));
    const shallow = dropLayers(model, [0, 2]);
    expect(shallow.config.numLayers).toBe(2);
    expect(Array.from(shallow.params.get('bert.encoder.layer.1.output.dense.weight')!.dataSync())).toEqual(Array.from(model.params.get('bert.encoder.layer.2.output.dense.weight')!.dataSync()));
    expect([...shallow.params.keys()].some((k) => k.startsWith('bert.encoder.layer.2.'))).toBe(false);
    expect(logitsOf(shallow)).not.toEqual(logitsOf(model));
    expect(() => dropLayers(model, [2, 0])).toThrow(/increasing indices below 3/);
    expect(() => dropLayers(model, [])).toThrow(/increasing/);
    [model, same, shallow].forEach((m) => m.dispose());
  });

  it("ranks a layer by the loss rise without it, and keeps the most important in their order", () => {
    const model = Encoder.create(CONFIG, 4);
    const rise = layerImportance(model, [batch], (logits) => loss(logits));
    const base = tf.tidy(() => loss(tf.tensor2d(logitsOf(model), [3, 3])).dataSync()[0]);
    for (let l = 0; l < 3; l++) {
      const without = dropLayers(model, [0, 1, 2].filter((k) => k !== l));
      const want = tf.tidy(() => loss(tf.tensor2d(logitsOf(without), [3, 3])).dataSync()[0]) - base;
      expect(rise[l]).toBeCloseTo(want, 5);
      without.dispose();
    }
    expect(topLayers([0.5, -0.1, 0.2], 2)).toEqual([0, 2]);
    expect(topLayers([0.1, 0.1, 0.3], 2)).toEqual([0, 2]);
    expect(() => topLayers([0.1], 2)).toThrow(/keep 2 of 1 layers/);
    model.dispose();
  });
});
