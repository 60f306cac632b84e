import * as tf from '@tensorflow/tfjs';
import { Encoder, WIDE_TABLE, tableLogits, withWide, type EncoderConfig } from '@distill/model';
import { studentBatchLogits, type DistillSet } from './task';

describe('studentBatchLogits', () => {
  it("takes the out-of-fold table logits for the rows that have them and the student's own table for the others", async () => {
    await tf.setBackend('cpu');
    const config: EncoderConfig = { vocabSize: 12, hiddenSize: 8, numLayers: 1, numHeads: 2, intermediateSize: 12, maxPositions: 8, typeVocabSize: 2, layerNormEps: 1e-12, numLabels: 2, hiddenDropout: 0, attentionDropout: 0, initializerRange: 0.5, mlmHead: false };
    const student = withWide(Encoder.create(config, 1), { buckets: 16, maxN: 2, pooling: 'mean' });
    student.params.get(WIDE_TABLE)!.assign(tf.randomNormal([16, 2], 0, 1, 'float32', 2));
    const inputs = { inputIds: tf.tensor2d([[2, 5, 6, 3], [2, 7, 3, 0]], [2, 4], 'int32'), attentionMask: tf.tensor2d([[1, 1, 1, 1], [1, 1, 1, 0]], [2, 4], 'int32') };
    const encoderLogits = student.forward(inputs).logits!;
    // set rows 0..2: row 0 has out-of-fold logits, row 2 (an augmented row) has none; the batch holds rows 2 and 0
    const set: DistillSet = { rows: [], teacherLogits: new Float32Array(6), numLabels: 2, parts: {}, tableOutOfFold: Float32Array.from([10, -10, 0, 0, NaN, NaN]) };
    const got = studentBatchLogits(student, inputs, encoderLogits, set, [2, 0]).arraySync();
    const enc = encoderLogits.arraySync();
    const table = tableLogits(student, inputs).arraySync();
    // batch row 0 is set row 2 (no out-of-fold logits): encoder + table; batch row 1 is set row 0: encoder + [10, -10]
    got[0].forEach((x, j) => expect(x).toBeCloseTo(enc[0][j] + table[0][j], 5));
    got[1].forEach((x, j) => expect(x).toBeCloseTo(enc[1][j] + [10, -10][j], 5));
    const plain = studentBatchLogits(student, inputs, encoderLogits, { ...set, tableOutOfFold: undefined }, [2, 0]).arraySync();
    plain[1].forEach((x, j) => expect(x).toBeCloseTo(enc[1][j] + table[1][j], 5));
    student.dispose();
  });
});
