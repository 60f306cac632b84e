import * as tf from '@tensorflow/tfjs';
import { Encoder, gradientCheck, type EncoderConfig } from '@distill/model';
import { relationKl, relationLoss, toRelationHeads } from './relation-loss';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const rand = (shape: [number, number, number, number], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed) as tf.Tensor4D;
const MASK = () => tf.tensor2d([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], [2, 5], 'int32');

describe('MiniLMv2 relation loss', () => {
  it('is zero for identical teacher and student states, positive otherwise', () => {
    tf.tidy(() => {
      const q = rand([2, 4, 5, 6], 1);
      const k = rand([2, 4, 5, 6], 2);
      const v = rand([2, 4, 5, 6], 3);
      expect(relationLoss({ queries: q, keys: k, values: v }, { queries: q, keys: k, values: v }, 4, MASK()).dataSync()[0]).toBeCloseTo(0, 6);
      const other = relationLoss({ queries: q, keys: k, values: v }, { queries: rand([2, 4, 5, 6], 4), keys: k, values: v }, 4, MASK()).dataSync()[0];
      expect(other).toBeGreaterThan(1e-3);
    });
  });

  it('compares teacher and student with different head counts and hidden sizes', () => {
    tf.tidy(() => {
      const teacher = rand([2, 12, 5, 8], 5); // 12 heads × 8 = hidden 96
      const student = rand([2, 4, 5, 6], 6); // 4 heads × 6 = hidden 24
      const loss = relationKl(teacher, student, 6, MASK()).dataSync()[0];
      expect(Number.isFinite(loss)).toBe(true);
      expect(loss).toBeGreaterThan(0);
      expect(toRelationHeads(teacher, 6).shape).toEqual([2, 6, 5, 16]);
      expect(() => relationKl(teacher, student, 5, MASK())).toThrow(/not divisible by 5 relation heads/);
    });
  });

  it('ignores padded positions', () => {
    tf.tidy(() => {
      const t = rand([2, 2, 5, 4], 7);
      const s = rand([2, 2, 5, 4], 8);
      // change only what sits at padded positions of row 1: the loss must not move
      const noise = tf.concat([tf.zeros([1, 2, 5, 4]), tf.concat([tf.zeros([1, 2, 3, 4]), rand([1, 2, 2, 4], 9)], 2)], 0) as tf.Tensor4D;
      const a = relationKl(t, s, 2, MASK()).dataSync()[0];
      const b = relationKl(t, s.add(noise) as tf.Tensor4D, 2, MASK()).dataSync()[0];
      expect(b).toBeCloseTo(a, 4);
    });
  });

  it('has a gradient (through a tiny student encoder) that matches a numeric check', () => {
    const cfg: EncoderConfig = { vocabSize: 20, hiddenSize: 8, numLayers: 1, numHeads: 2, intermediateSize: 8, maxPositions: 8, typeVocabSize: 2, layerNormEps: 1e-12, numLabels: 0, hiddenDropout: 0, attentionDropout: 0, initializerRange: 0.5, mlmHead: false };
    const teacher = Encoder.create({ ...cfg, hiddenSize: 12, numHeads: 3, intermediateSize: 12 }, 1);
    const student = Encoder.create(cfg, 2);
    const inputs = { inputIds: tf.tensor2d([[2, 5, 6, 7, 3], [2, 9, 3, 0, 0]], [2, 5], 'int32'), attentionMask: MASK() };
    const t = teacher.forward(inputs);
    const loss = () => {
      const s = student.forward(inputs);
      return relationLoss({ queries: t.queries[0], keys: t.keys[0], values: t.values[0] }, { queries: s.queries[0], keys: s.keys[0], values: s.values[0] }, 2, inputs.attentionMask);
    };
    for (const c of gradientCheck(loss, student.params.get('bert.encoder.layer.0.attention.self.key.weight')!, 4)) {
      expect(Math.abs(c.numeric - c.analytic)).toBeLessThan(3e-2 * Math.abs(c.analytic) + 1e-4);
    }
    teacher.dispose();
    student.dispose();
  });
});
