/**
 * Importing Hugging Face checkpoints: ERNIE 3.0 and BERT layouts written by the tests (random weights), checked against
 * a float64 reference forward pass over the same weights (hf-checkpoints.testutil.ts).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Encoder } from './encoder';
import { NGRAM_ARCHITECTURE, NGRAM_MODEL_TYPE, loadCheckpoint, saveCheckpoint } from './checkpoint';
import { ernieConfig, randomWeights, referenceForward, writeHfCheckpoint, type HfShape, type Layout, type Weights } from './hf-checkpoints.testutil';

const SHAPE: HfShape = {
  vocab: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...'体育财经科技新闻球赛股市'],
  hidden: 16, layers: 2, heads: 4, intermediate: 24, positions: 12, types: 4, tasks: 3, eps: 1e-5, labels: ['体育', '财经', '科技'],
};
const IDS = [
  [2, 5, 6, 13, 14, 3],
  [2, 7, 8, 3, 0, 0],
];
const MASK = IDS.map((r) => r.map((id, i) => (i === 0 || id !== 0 ? 1 : 0)));
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'hf-import-'));

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function ours(enc: Encoder): { hidden: number[][][][]; logits: number[][] | null } {
  tf.engine().startScope();
  try {
    const out = enc.forward({ inputIds: tf.tensor2d(IDS, undefined, 'int32'), attentionMask: tf.tensor2d(MASK, undefined, 'int32') });
    return { hidden: out.hidden.map((h) => h.arraySync()), logits: out.logits ? out.logits.arraySync() : null };
  } finally {
    tf.engine().endScope();
  }
}

/** The largest |ours − reference| over the real (unpadded) positions of every hidden state, and over the logits. */
function maxDiff(enc: Encoder, stored: Weights) {
  const ref = referenceForward(stored, SHAPE, IDS, MASK);
  const got = ours(enc);
  let hidden = 0;
  ref.hidden.forEach((layer, l) => layer.forEach((rows, b) => rows.forEach((row, t) => {
    if (MASK[b][t]) row.forEach((v, i) => (hidden = Math.max(hidden, Math.abs(v - got.hidden[l][b][t][i]))));
  })));
  let logits = 0;
  ref.logits?.forEach((row, b) => row.forEach((v, j) => (logits = Math.max(logits, Math.abs(v - got.logits![b][j])))));
  return { hidden, logits, layers: got.hidden.length, refLogits: ref.logits };
}

describe('importing Hugging Face checkpoints', () => {
  const layouts: [string, Layout][] = [
    ['ERNIE 3.0 (ernie. prefix, task-type embedding), F32', { prefix: 'ernie', dtype: 'F32' }],
    ['ERNIE 3.0, F16', { prefix: 'ernie', dtype: 'F16' }],
    ['ERNIE 3.0, BF16', { prefix: 'ernie', dtype: 'BF16' }],
    ['ERNIE 3.0, sharded in 3 files (model.safetensors.index.json)', { prefix: 'ernie', dtype: 'F32', shards: 3 }],
    ['ErnieModel without a prefix', { prefix: '', dtype: 'F32' }],
  ];
  it.each(layouts)('%s: logits and every hidden state match the reference to 1e-4', (_name, layout) => {
    const dir = tmp();
    const stored = writeHfCheckpoint(dir, SHAPE, randomWeights(SHAPE, 11), ernieConfig(SHAPE), layout);
    const { encoder, labels, notes } = loadCheckpoint(dir);
    expect(labels).toEqual(SHAPE.labels);
    expect(notes).toContain('ERNIE task-type embedding (task id 0) folded into the token-type embeddings');
    const d = maxDiff(encoder, stored);
    expect(d.layers).toBe(SHAPE.layers + 1);
    expect(d.hidden).toBeLessThan(1e-4);
    expect(d.logits).toBeLessThan(1e-4);
    // not trivially equal: the logits differ between the two texts and from zero
    expect(Math.abs(d.refLogits![0][0] - d.refLogits![1][0])).toBeGreaterThan(1e-2);
  });

  it('would be wrong without the task-type embedding: dropping it moves the outputs by far more than 1e-4', () => {
    const dir = tmp();
    const w = randomWeights(SHAPE, 11);
    const stored = writeHfCheckpoint(dir, SHAPE, w, { ...ernieConfig(SHAPE), use_task_id: false }, { prefix: 'ernie', dtype: 'F32' });
    const { encoder } = loadCheckpoint(dir);
    expect(maxDiff(encoder, stored).hidden).toBeGreaterThan(1e-2); // the reference adds it; with use_task_id false HF does not
  });

  it('BERT (bert. prefix, BertForSequenceClassification) matches the reference too', () => {
    const dir = tmp();
    const w = randomWeights(SHAPE, 12, { taskType: false });
    const config = { ...ernieConfig(SHAPE, 'BertForSequenceClassification'), model_type: 'bert', use_task_id: undefined, type_vocab_size: SHAPE.types };
    const stored = writeHfCheckpoint(dir, SHAPE, w, config, { prefix: 'bert', dtype: 'F32' });
    const d = maxDiff(loadCheckpoint(dir).encoder, stored);
    expect(d.hidden).toBeLessThan(1e-4);
    expect(d.logits).toBeLessThan(1e-4);
  });

  it('a masked-LM save without a pooler loads with a fresh pooler, noted; its hidden states match', () => {
    const dir = tmp();
    const w = randomWeights(SHAPE, 13, { pooler: false, classifier: false, mlm: true });
    const stored = writeHfCheckpoint(dir, SHAPE, w, ernieConfig(SHAPE, 'ErnieForMaskedLM'), { prefix: 'ernie', dtype: 'F32' });
    const { encoder, notes } = loadCheckpoint(dir, { numLabels: 3, labels: SHAPE.labels, mlmHead: false });
    expect(notes).toContain('the checkpoint has no pooler (a masked-LM save): the pooler starts fresh');
    expect(encoder.params.has('bert.pooler.dense.weight')).toBe(true);
    expect(maxDiff(encoder, stored).hidden).toBeLessThan(1e-4);
  });

  it("respects id2label: the same labels in another order are reordered to the data's order; other labels start fresh", () => {
    const dir = tmp();
    const stored = writeHfCheckpoint(dir, SHAPE, randomWeights(SHAPE, 14), ernieConfig(SHAPE), { prefix: 'ernie', dtype: 'F32' });
    const ref = referenceForward(stored, SHAPE, IDS, MASK).logits!;
    const order = ['科技', '体育', '财经'];
    const { encoder, labels, notes } = loadCheckpoint(dir, { numLabels: 3, labels: order });
    expect(labels).toEqual(order);
    expect(notes.join('\n')).toMatch(/reordered/);
    const got = ours(encoder).logits!;
    order.forEach((l, j) => IDS.forEach((_, b) => expect(Math.abs(got[b][j] - ref[b][SHAPE.labels.indexOf(l)])).toBeLessThan(1e-4)));

    const other = loadCheckpoint(dir, { numLabels: 3, labels: ['a', 'b', 'c'] });
    expect(other.notes.join('\n')).toMatch(/other labels .* the classifier starts fresh/);
    expect(Array.from(other.encoder.params.get('classifier.bias')!.dataSync())).toEqual([0, 0, 0]);
  });

  it('refuses, with what is supported and how to convert: an unknown model_type, pytorch_model.bin only, integer weights', () => {
    const roberta = tmp();
    writeHfCheckpoint(roberta, SHAPE, randomWeights(SHAPE, 15), { ...ernieConfig(SHAPE), model_type: 'roberta' }, { prefix: 'ernie', dtype: 'F32' });
    expect(() => loadCheckpoint(roberta)).toThrow(/config\.json: model_type 'roberta' is not supported; supported: bert, ernie, bert-ngram/);
    const bin = tmp();
    fs.writeFileSync(path.join(bin, 'config.json'), JSON.stringify(ernieConfig(SHAPE)));
    fs.writeFileSync(path.join(bin, 'pytorch_model.bin'), 'not read');
    expect(() => loadCheckpoint(bin)).toThrow(/pytorch_model\.bin: this format is not read here.*save_file\(.*"model\.safetensors"\)/);
    const sharded = tmp();
    writeHfCheckpoint(sharded, SHAPE, randomWeights(SHAPE, 16), ernieConfig(SHAPE), { prefix: 'ernie', dtype: 'F32', shards: 2 });
    fs.rmSync(path.join(sharded, 'model-00002-of-00002.safetensors'));
    expect(() => loadCheckpoint(sharded)).toThrow(/model\.safetensors\.index\.json: shard 'model-00002-of-00002\.safetensors' not found/);
  });

  it('labels a model with the wide n-gram table as its own architecture, which transformers does not know', () => {
    const dir = tmp();
    const enc = Encoder.create({ vocabSize: SHAPE.vocab.length, hiddenSize: 8, numLayers: 1, numHeads: 2, intermediateSize: 8, maxPositions: 8, typeVocabSize: 2, layerNormEps: 1e-12, numLabels: 3, hiddenDropout: 0, attentionDropout: 0, initializerRange: 0.02, mlmHead: false, wideBuckets: 64, wideMaxN: 2 }, 1);
    saveCheckpoint(dir, enc, SHAPE.labels, SHAPE.vocab, { lowerCase: true, normalization: 'nfkc' });
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ model_type: NGRAM_MODEL_TYPE, architectures: [NGRAM_ARCHITECTURE], wide_buckets: 64 });
    for (const f of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt']) expect(fs.existsSync(path.join(dir, f))).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8')).model_max_length).toBe(8);
    expect(loadCheckpoint(dir).encoder.config.wideBuckets).toBe(64);
    // without the table it is a plain BERT
    const plain = tmp();
    saveCheckpoint(plain, Encoder.create({ ...enc.config, wideBuckets: 0 }, 1), SHAPE.labels, SHAPE.vocab);
    expect(JSON.parse(fs.readFileSync(path.join(plain, 'config.json'), 'utf8'))).toMatchObject({ model_type: 'bert', architectures: ['BertForSequenceClassification'] });
  });
});
