/**
 * Checkpoints in the Hugging Face layout: a directory with `model.safetensors` (PyTorch parameter names and layouts),
 * `config.json` (a BertConfig) and `vocab.txt`. A `BertForSequenceClassification` or `BertForMaskedLM` checkpoint
 * loads here, and ours load there.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { f32, readJson, readSafetensors, writeFileAtomic, writeJsonAtomic, writeSafetensors, type TensorMap } from '@distill/core';
import { Encoder, WIDE_HASH_VERSION, WIDE_TABLE, parameterShapes, wideShape, type EncoderConfig, type WidePooling } from './encoder';

export interface HfBertConfig {
  architectures?: string[];
  model_type: 'bert';
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  max_position_embeddings: number;
  type_vocab_size: number;
  layer_norm_eps: number;
  hidden_act: string;
  hidden_dropout_prob: number;
  attention_probs_dropout_prob: number;
  initializer_range: number;
  id2label?: Record<string, string>;
  label2id?: Record<string, number>;
  /** ours, not Hugging Face's (which ignores unknown keys): the wide n-gram part, when the model has one */
  wide_buckets?: number;
  wide_max_n?: number;
  /** 'sqrt' or 'mean'; absent = 'mean' (checkpoints written before the option) */
  wide_pooling?: WidePooling;
  /** the n-gram hash's version (WIDE_HASH_VERSION); absent = 1, whose table does not fit today's hash */
  wide_hash?: number;
}

/** Dense kernels are [in, out] here and [out, in] in PyTorch; embeddings are [rows, hidden] in both. */
function isDenseKernel(name: string, shape: readonly number[]): boolean {
  return shape.length === 2 && name.endsWith('.weight') && !name.includes('_embeddings.');
}

export function toHfConfig(c: EncoderConfig, labels: readonly string[]): HfBertConfig {
  const wide = wideShape(c);
  return {
    architectures: [c.numLabels > 0 ? 'BertForSequenceClassification' : 'BertForMaskedLM'],
    model_type: 'bert',
    vocab_size: c.vocabSize,
    hidden_size: c.hiddenSize,
    num_hidden_layers: c.numLayers,
    num_attention_heads: c.numHeads,
    intermediate_size: c.intermediateSize,
    max_position_embeddings: c.maxPositions,
    type_vocab_size: c.typeVocabSize,
    layer_norm_eps: c.layerNormEps,
    hidden_act: 'gelu',
    hidden_dropout_prob: c.hiddenDropout,
    attention_probs_dropout_prob: c.attentionDropout,
    initializer_range: c.initializerRange,
    ...(wide ? { wide_buckets: wide.buckets, wide_max_n: wide.maxN, wide_pooling: wide.pooling, wide_hash: WIDE_HASH_VERSION } : {}),
    ...(labels.length
      ? { id2label: Object.fromEntries(labels.map((l, i) => [String(i), l])), label2id: Object.fromEntries(labels.map((l, i) => [l, i])) }
      : {}),
  };
}

export function fromHfConfig(h: HfBertConfig, file: string, hasMlmHead: boolean, hasClassifier: boolean): { config: EncoderConfig; labels: string[] } {
  const need = <K extends keyof HfBertConfig>(k: K): NonNullable<HfBertConfig[K]> => {
    if (h[k] === undefined || h[k] === null) throw new Error(`${file}: missing key '${String(k)}'`);
    return h[k] as NonNullable<HfBertConfig[K]>;
  };
  if (h.hidden_act && h.hidden_act !== 'gelu') throw new Error(`${file}: hidden_act '${h.hidden_act}' is not supported (only 'gelu')`);
  if (hasClassifier && (h.wide_buckets ?? 0) > 0 && (h.wide_hash ?? 1) !== WIDE_HASH_VERSION) {
    throw new Error(`${file}: the wide n-gram table was written for hash version ${h.wide_hash ?? 1}, this code hashes with version ${WIDE_HASH_VERSION}; rerun the stage that wrote it`);
  }
  const labels = h.id2label ? Object.keys(h.id2label).sort((a, b) => Number(a) - Number(b)).map((k) => h.id2label![k]) : [];
  return {
    labels,
    config: {
      vocabSize: need('vocab_size'),
      hiddenSize: need('hidden_size'),
      numLayers: need('num_hidden_layers'),
      numHeads: need('num_attention_heads'),
      intermediateSize: need('intermediate_size'),
      maxPositions: need('max_position_embeddings'),
      typeVocabSize: h.type_vocab_size ?? 2,
      layerNormEps: h.layer_norm_eps ?? 1e-12,
      numLabels: hasClassifier ? labels.length || 2 : 0,
      hiddenDropout: h.hidden_dropout_prob ?? 0.1,
      attentionDropout: h.attention_probs_dropout_prob ?? 0.1,
      initializerRange: h.initializer_range ?? 0.02,
      mlmHead: hasMlmHead,
      wideBuckets: hasClassifier ? (h.wide_buckets ?? 0) : 0,
      wideMaxN: h.wide_max_n ?? 3,
      ...(h.wide_pooling !== undefined ? { widePooling: h.wide_pooling } : {}),
    },
  };
}

/** Hugging Face name variants we accept on load: `BertModel` without the `bert.` prefix, TF-style gamma/beta. */
function canonicalName(name: string): string {
  let n = name.replace(/\.gamma$/, '.weight').replace(/\.beta$/, '.bias');
  if (/^(embeddings|encoder|pooler)\./.test(n)) n = `bert.${n}`;
  return n;
}

export interface LoadedCheckpoint {
  encoder: Encoder;
  labels: string[];
  vocab: string[];
}

export function saveCheckpoint(dir: string, encoder: Encoder, labels: readonly string[], vocab: readonly string[]): void {
  fs.mkdirSync(dir, { recursive: true });
  const tensors: TensorMap = new Map();
  for (const [name, v] of encoder.params) {
    const data = isDenseKernel(name, v.shape) ? tf.tidy(() => v.transpose()) : v;
    const values = data.dataSync() as Float32Array;
    const shape = v.shape as number[];
    tensors.set(name, f32(isDenseKernel(name, shape) ? [shape[1], shape[0]] : shape, Float32Array.from(values)));
    if (data !== v) data.dispose();
  }
  writeSafetensors(path.join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  writeJsonAtomic(path.join(dir, 'config.json'), toHfConfig(encoder.config, labels));
  writeFileAtomic(path.join(dir, 'vocab.txt'), vocab.join('\n') + '\n');
}

/**
 * Loads a checkpoint directory. Every parameter the config implies must be present with its shape; a missing or
 * mis-shaped tensor is an error that names it. Heads are taken as the tensors show (`classifier.*`, `cls.predictions.*`).
 */
export function loadCheckpoint(dir: string, options: { numLabels?: number; mlmHead?: boolean; seed?: number } = {}): LoadedCheckpoint {
  const configFile = path.join(dir, 'config.json');
  const weightsFile = path.join(dir, 'model.safetensors');
  if (!fs.existsSync(configFile)) throw new Error(`${configFile}: checkpoint config not found`);
  const { tensors: raw } = readSafetensors(weightsFile);
  const tensors: TensorMap = new Map([...raw].map(([k, v]) => [canonicalName(k), v]));
  const hf = readJson<HfBertConfig>(configFile);
  const hasClassifier = tensors.has('classifier.weight');
  const hasMlm = tensors.has('cls.predictions.transform.dense.weight');
  const { config, labels } = fromHfConfig(hf, configFile, options.mlmHead ?? hasMlm, options.numLabels !== undefined ? options.numLabels > 0 : hasClassifier);
  if (options.numLabels !== undefined) config.numLabels = options.numLabels;
  const fresh = Encoder.create(config, options.seed ?? 0); // heads absent from the file start from a fresh init
  for (const [name, shape] of parameterShapes(config)) {
    const t = tensors.get(name);
    const isHead = name.startsWith('classifier.') || name.startsWith('cls.');
    if (!t) {
      if (isHead && !(name.startsWith('classifier.') ? hasClassifier : hasMlm)) continue;
      throw new Error(`${weightsFile}: missing tensor '${name}' (expected shape [${shape}])`);
    }
    const fileShape = isDenseKernel(name, shape) ? [shape[1], shape[0]] : shape;
    if (t.dtype !== 'F32') throw new Error(`${weightsFile}: tensor '${name}' has dtype ${t.dtype}, expected F32`);
    if (t.shape.join(',') !== fileShape.join(',')) {
      if ((name.startsWith('classifier.') || name === WIDE_TABLE) && options.numLabels !== undefined) continue; // a new label set: fresh classifier
      throw new Error(`${weightsFile}: tensor '${name}' has shape [${t.shape}], config.json implies [${fileShape}]`);
    }
    const value = tf.tidy(() => {
      const x = tf.tensor(t.data as Float32Array, t.shape, 'float32');
      return isDenseKernel(name, shape) ? x.transpose() : x;
    });
    fresh.params.get(name)!.assign(value);
    value.dispose();
  }
  const vocabFile = path.join(dir, 'vocab.txt');
  const vocab = fs.existsSync(vocabFile) ? fs.readFileSync(vocabFile, 'utf8').split('\n').filter((l, i, a) => i < a.length - 1 || l !== '') : [];
  return { encoder: fresh, labels, vocab };
}

