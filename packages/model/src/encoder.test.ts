import * as tf from '@tensorflow/tfjs';
import { crossEntropy } from './losses';
import { Encoder, parameterShapes, type EncoderConfig } from './encoder';
import { gradientCheck } from './gradcheck';

const CONFIG: EncoderConfig = {
  vocabSize: 30, hiddenSize: 8, numLayers: 2, numHeads: 2, intermediateSize: 16, maxPositions: 12,
  typeVocabSize: 2, layerNormEps: 1e-12, numLabels: 3, hiddenDropout: 0, attentionDropout: 0, initializerRange: 0.5, mlmHead: true,
};

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const inputs = () => ({
  inputIds: tf.tensor2d([[2, 5, 7, 9, 3], [2, 11, 3, 0, 0]], [2, 5], 'int32'),
  attentionMask: tf.tensor2d([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], [2, 5], 'int32'),
});

describe('Encoder', () => {
  it('returns what distillation needs, with the documented shapes', () => {
    const enc = Encoder.create(CONFIG, 1);
    tf.tidy(() => {
      const out = enc.forward(inputs());
      expect(out.hidden).toHaveLength(3);
      expect(out.hidden[2].shape).toEqual([2, 5, 8]);
      expect(out.queries[1].shape).toEqual([2, 2, 5, 4]);
      expect(out.keys).toHaveLength(2);
      expect(out.values[0].shape).toEqual([2, 2, 5, 4]);
      expect(out.attentions[0].shape).toEqual([2, 2, 5, 5]);
      expect(out.pooled.shape).toEqual([2, 8]);
      expect(out.logits!.shape).toEqual([2, 3]);
      expect(enc.mlmLogits(out.sequence, tf.tensor1d([1, 6], 'int32')).shape).toEqual([2, 30]);
      // attention rows are distributions and padding gets (almost) no weight
      const probs = out.attentions[0].arraySync();
      expect(probs[1][0][0].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(probs[1][0][0][4]).toBeLessThan(1e-3);
    });
    enc.dispose();
  });

  it('ignores padding: a padded sequence gives the same [CLS] logits as the unpadded one', () => {
    const enc = Encoder.create(CONFIG, 2);
    const [padded, alone] = tf.tidy(() => [
      enc.forward(inputs()).logits!.slice([1, 0], [1, 3]).dataSync(),
      enc.forward({ inputIds: tf.tensor2d([[2, 11, 3]], [1, 3], 'int32'), attentionMask: tf.tensor2d([[1, 1, 1]], [1, 3], 'int32') }).logits!.dataSync(),
    ]);
    Array.from(padded).forEach((v, i) => expect(v).toBeCloseTo(alone[i], 3));
    enc.dispose();
  });

  it('has gradients that match a numeric check', () => {
    const enc = Encoder.create(CONFIG, 3);
    const labels = tf.tensor1d([0, 2], 'int32');
    const loss = () => crossEntropy(enc.forward(inputs()).logits!, labels);
    const names = ['bert.encoder.layer.0.attention.self.query.weight', 'bert.embeddings.word_embeddings.weight', 'bert.encoder.layer.1.output.LayerNorm.bias', 'classifier.weight'];
    for (const name of names) {
      for (const c of gradientCheck(loss as () => tf.Scalar, enc.params.get(name)!)) {
        expect(Math.abs(c.numeric - c.analytic)).toBeLessThan(2e-2 * Math.max(1e-2, Math.abs(c.analytic)) + 1e-3);
      }
    }
    enc.dispose();
  });

  it('lists every parameter with BERT names', () => {
    const names = parameterShapes(CONFIG).map(([n]) => n);
    expect(names).toContain('bert.encoder.layer.1.attention.self.key.weight');
    expect(names).toContain('cls.predictions.bias');
    expect(names).toContain('classifier.bias');
    expect(new Set(names).size).toBe(names.length);
  });

  it('rejects a hidden size not divisible by the heads', () => {
    expect(() => Encoder.create({ ...CONFIG, numHeads: 3 }, 1)).toThrow(/not divisible by numHeads/);
  });
});
