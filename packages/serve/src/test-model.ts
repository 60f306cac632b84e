/** Test helper: a small random model directory as the quantize stage writes it (for serve's tests). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Encoder } from '@distill/model';
import { exportEncoder } from '@distill/quantize';

export const TEST_VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...'体育财经科技汽车教育新闻预热', 'n', '##b', '##a', '1', '##2', '!'];
export const TEST_LABELS = ['sports', 'finance'];

/** With `multiLabel`: a multi-label model (a sigmoid per label) with these per-label thresholds in serving.json. */
export async function writeTestModel(options: { multiLabel?: { thresholds: number[] } } = {}): Promise<string> {
  await tf.setBackend('cpu');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-'));
  const multi = options.multiLabel ? { problemType: 'multi_label_classification' as const } : {};
  const enc = Encoder.create({ vocabSize: TEST_VOCAB.length, hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 32, maxPositions: 16, typeVocabSize: 2, layerNormEps: 1e-12, numLabels: 2, hiddenDropout: 0, attentionDropout: 0, initializerRange: 0.5, mlmHead: false, ...multi }, 3);
  fs.writeFileSync(path.join(dir, 'model.onnx'), exportEncoder(enc, { labels: TEST_LABELS }));
  fs.writeFileSync(path.join(dir, 'vocab.txt'), TEST_VOCAB.join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'labels.json'), JSON.stringify(TEST_LABELS));
  // as the quantize stage writes it for data normalised with NFKC (the data stage's default)
  const serving = options.multiLabel ? { problem_type: 'multi_label_classification', thresholds: options.multiLabel.thresholds } : {};
  fs.writeFileSync(path.join(dir, 'serving.json'), JSON.stringify({ max_length: 16, lower_case: true, normalization: 'nfkc', ...serving }));
  enc.dispose();
  return path.join(dir, 'model.onnx');
}
