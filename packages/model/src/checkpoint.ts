/**
 * Checkpoints in the Hugging Face layout: a directory with `model.safetensors` (PyTorch parameter names and layouts),
 * `config.json` and the tokenizer files. Loads: BERT (`model_type: "bert"`: BertModel, BertForSequenceClassification,
 * BertForMaskedLM, BertForPreTraining, TF-style gamma/beta names), ERNIE 3.0 (`model_type: "ernie"`, the task-type
 * embedding folded into the token-type one), this product's own with the wide n-gram table
 * (`model_type: "bert-ngram"`, docs/formats.md); F32, F16, BF16 or F64 tensors; one file or shards
 * (`model.safetensors.index.json`). Writes: `bert` for an encoder alone, `bert-ngram` for a model with the table, so
 * that transformers refuses it rather than loading the encoder without its table.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { asFloat32, f32, readJson, readSafetensors, writeFileAtomic, writeJsonAtomic, writeSafetensors, writeTokenizerFiles, type TensorMap, type TokenizerSpec } from '@distill/core';
import { Encoder, WIDE_HASH_VERSION, WIDE_TABLE, parameterShapes, wideShape, type EncoderConfig, type Params, type ProblemType, type WidePooling } from './encoder';

/** A model with the wide n-gram table: BERT's config keys plus `wide_*`; transformers has no such model type. */
export const NGRAM_MODEL_TYPE = 'bert-ngram';
export const NGRAM_ARCHITECTURE = 'BertWithNgramTableForSequenceClassification';
const MODEL_TYPES = ['bert', 'ernie', NGRAM_MODEL_TYPE];

export interface HfBertConfig {
  architectures?: string[];
  model_type: string;
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
  /** ERNIE 3.0: a task-type embedding added to every token (task id 0 unless given) */
  use_task_id?: boolean;
  task_type_vocab_size?: number;
  position_embedding_type?: string;
  problem_type?: ProblemType;
}

/** Dense kernels are [in, out] here and [out, in] in PyTorch; embeddings are [rows, hidden] in both. */
function isDenseKernel(name: string, shape: readonly number[]): boolean {
  return shape.length === 2 && name.endsWith('.weight') && !name.includes('_embeddings.');
}

export function toHfConfig(c: EncoderConfig, labels: readonly string[]): HfBertConfig {
  const wide = wideShape(c);
  return {
    architectures: [wide ? NGRAM_ARCHITECTURE : c.numLabels > 0 ? 'BertForSequenceClassification' : 'BertForMaskedLM'],
    model_type: wide ? NGRAM_MODEL_TYPE : 'bert',
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
    ...(c.problemType && c.numLabels > 0 ? { problem_type: c.problemType } : {}),
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
  if (h.problem_type && !['single_label_classification', 'multi_label_classification'].includes(h.problem_type)) throw new Error(`${file}: problem_type '${h.problem_type}' is not supported (single_label_classification or multi_label_classification)`);
  if (h.position_embedding_type && h.position_embedding_type !== 'absolute') throw new Error(`${file}: position_embedding_type '${h.position_embedding_type}' is not supported (only 'absolute')`);
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
      ...(hasClassifier && h.problem_type === 'multi_label_classification' ? { problemType: h.problem_type } : {}),
    },
  };
}

/** Hugging Face name variants we accept on load: `BertModel` without the `bert.` prefix, ERNIE's `ernie.`, TF-style gamma/beta. */
function canonicalName(name: string): string {
  let n = name.replace(/\.gamma$/, '.weight').replace(/\.beta$/, '.bias').replace(/^ernie\./, 'bert.');
  if (/^(embeddings|encoder|pooler)\./.test(n)) n = `bert.${n}`;
  return n;
}

const TASK_TYPE = 'bert.embeddings.task_type_embeddings.weight';
const TOKEN_TYPE = 'bert.embeddings.token_type_embeddings.weight';

export interface LoadedCheckpoint {
  encoder: Encoder;
  labels: string[];
  vocab: string[];
  /** what loading did beyond copying tensors (a head started fresh, labels reordered, a task embedding folded), to log */
  notes: string[];
}

export interface LoadOptions {
  /** the classifier's size: 0 for none; absent = as the checkpoint has it */
  numLabels?: number;
  /** the labels the classifier must predict, in order: a classifier saved with the same labels in another order is reordered, one with other labels starts fresh */
  labels?: readonly string[];
  mlmHead?: boolean;
  seed?: number;
}

/**
 * Saves the encoder (and its heads) in the Hugging Face layout; with `tokenizer` (the data stage's settings) Hugging
 * Face's tokenizer files too, `model_max_length` being the model's position count.
 */
export function saveCheckpoint(dir: string, encoder: Encoder, labels: readonly string[], vocab: readonly string[], tokenizer?: Omit<TokenizerSpec, 'maxLength'>): void {
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
  if (tokenizer) writeTokenizerFiles(dir, vocab, { ...tokenizer, maxLength: encoder.config.maxPositions });
  else writeFileAtomic(path.join(dir, 'vocab.txt'), vocab.join('\n') + '\n');
}

/** The checkpoint's tensors, from `model.safetensors` or the shards its index names; a clear error for other formats. */
function readWeights(dir: string): { tensors: TensorMap; source: string } {
  const single = path.join(dir, 'model.safetensors');
  const index = path.join(dir, 'model.safetensors.index.json');
  if (fs.existsSync(single)) return { tensors: readSafetensors(single).tensors, source: single };
  if (fs.existsSync(index)) {
    const map = readJson<{ weight_map?: Record<string, string> }>(index).weight_map;
    if (!map || typeof map !== 'object') throw new Error(`${index}: no weight_map`);
    const tensors: TensorMap = new Map();
    for (const shard of new Set(Object.values(map))) {
      const file = path.join(dir, shard);
      if (path.dirname(path.resolve(file)) !== path.resolve(dir)) throw new Error(`${index}: shard '${shard}' is outside the checkpoint directory`);
      if (!fs.existsSync(file)) throw new Error(`${index}: shard '${shard}' not found in ${dir}`);
      for (const [name, t] of readSafetensors(file).tensors) {
        if (map[name] !== shard) throw new Error(`${file}: tensor '${name}' is not listed for this shard in ${path.basename(index)}`);
        tensors.set(name, t);
      }
    }
    const missing = Object.keys(map).filter((n) => !tensors.has(n));
    if (missing.length) throw new Error(`${index}: ${missing.length} listed tensors are in no shard (first: '${missing[0]}')`);
    return { tensors, source: index };
  }
  const other = ['pytorch_model.bin', 'pytorch_model.bin.index.json', 'tf_model.h5', 'model.ckpt.index', 'model_state.pdparams', 'flax_model.msgpack'].find((f) => fs.existsSync(path.join(dir, f)));
  const convert = `convert it to safetensors first, in Python: save_file({k: v.clone().contiguous() for k, v in torch.load("pytorch_model.bin", map_location="cpu").items()}, "model.safetensors") (from safetensors.torch import save_file; docs/formats.md)`;
  if (other) throw new Error(`${path.join(dir, other)}: this format is not read here; checkpoints load from model.safetensors or a sharded model.safetensors.index.json: ${convert}`);
  throw new Error(`${single}: checkpoint file not found (nor model.safetensors.index.json); ${convert}`);
}

/** Hugging Face's placeholder names (`LABEL_0`, …), which say nothing about the order. */
const isPlaceholder = (labels: readonly string[]) => labels.every((l, i) => l === `LABEL_${i}`);

/**
 * Loads a checkpoint directory. Every parameter the config implies must be present with its shape; a missing or
 * mis-shaped tensor is an error that names it. Heads are taken as the tensors show (`classifier.*`, `cls.predictions.*`);
 * a missing pooler (a masked-LM save) starts fresh and is noted.
 */
export function loadCheckpoint(dir: string, options: LoadOptions = {}): LoadedCheckpoint {
  const configFile = path.join(dir, 'config.json');
  if (!fs.existsSync(configFile)) throw new Error(`${configFile}: checkpoint config not found`);
  const hf = readJson<HfBertConfig>(configFile);
  const modelType = hf.model_type ?? 'bert';
  if (!MODEL_TYPES.includes(modelType)) {
    throw new Error(`${configFile}: model_type '${modelType}' is not supported; supported: ${MODEL_TYPES.join(', ')} (BERT and ERNIE 3.0 layouts, and this product's own with the n-gram table)`);
  }
  const { tensors: raw, source: weightsFile } = readWeights(dir);
  const tensors: TensorMap = new Map([...raw].map(([k, v]) => [canonicalName(k), v]));
  const notes: string[] = [];
  const values = (name: string): Float32Array => {
    const v = asFloat32(tensors.get(name)!);
    if (!v) throw new Error(`${weightsFile}: tensor '${name}' has dtype ${tensors.get(name)!.dtype}, expected a floating-point one (F32, F16, BF16, F64)`);
    return v;
  };
  if (modelType === 'ernie' && hf.use_task_id) {
    // ERNIE adds task_type_embeddings[task id] to every token; with the default task id 0 that is one constant
    // vector, folded exactly into each token-type row (every token gets exactly one)
    if (!tensors.has(TASK_TYPE)) throw new Error(`${weightsFile}: use_task_id is true in config.json but tensor 'ernie.embeddings.task_type_embeddings.weight' is missing`);
    if (!tensors.has(TOKEN_TYPE)) throw new Error(`${weightsFile}: missing tensor 'ernie.embeddings.token_type_embeddings.weight'`);
    const task = values(TASK_TYPE);
    const types = Float32Array.from(values(TOKEN_TYPE));
    const H = tensors.get(TOKEN_TYPE)!.shape[1];
    if (tensors.get(TASK_TYPE)!.shape[1] !== H) throw new Error(`${weightsFile}: task_type_embeddings has width ${tensors.get(TASK_TYPE)!.shape[1]}, token_type_embeddings ${H}`);
    for (let i = 0; i < types.length; i++) types[i] += task[i % H];
    tensors.set(TOKEN_TYPE, f32([...tensors.get(TOKEN_TYPE)!.shape], types));
    notes.push('ERNIE task-type embedding (task id 0) folded into the token-type embeddings');
  }
  tensors.delete(TASK_TYPE);
  const hasClassifier = tensors.has('classifier.weight');
  const hasMlm = tensors.has('cls.predictions.transform.dense.weight');
  const wantClassifier = options.numLabels !== undefined ? options.numLabels > 0 : hasClassifier;
  const { config, labels: savedLabels } = fromHfConfig(hf, configFile, options.mlmHead ?? hasMlm, wantClassifier);
  if (options.numLabels !== undefined) config.numLabels = options.numLabels;
  let labels = savedLabels;
  // the saved classifier's rows in the order of options.labels; null = the classifier (and table) start fresh
  let rowOrder: number[] | null = hasClassifier ? savedLabels.map((_, i) => i) : null;
  if (hasClassifier && wantClassifier && options.labels) {
    const want = options.labels;
    if (savedLabels.length === want.length && isPlaceholder(savedLabels)) {
      notes.push(`the classifier's labels are placeholders (${savedLabels.slice(0, 2).join(', ')}, …): kept in order as ${want.slice(0, 2).join(', ')}, …`);
    } else if (savedLabels.length === want.length && want.every((l) => savedLabels.includes(l))) {
      rowOrder = want.map((l) => savedLabels.indexOf(l));
      if (rowOrder.some((r, i) => r !== i)) notes.push(`the classifier's rows reordered from the checkpoint's id2label to the data's label order`);
    } else {
      rowOrder = null;
      notes.push(`the checkpoint's classifier predicts other labels (${savedLabels.join(', ') || 'unnamed'}) than the data's: the classifier starts fresh`);
    }
    labels = [...want];
  }
  const fresh = Encoder.create(config, options.seed ?? 0); // heads absent from the file start from a fresh init
  for (const [name, shape] of parameterShapes(config)) {
    const t = tensors.get(name);
    const isClassifier = name.startsWith('classifier.') || name === WIDE_TABLE;
    if (!t) {
      if (name.startsWith('cls.') && !hasMlm) continue;
      if (isClassifier && !hasClassifier) continue;
      if (name.startsWith('bert.pooler.')) {
        if (name.endsWith('.weight')) notes.push('the checkpoint has no pooler (a masked-LM save): the pooler starts fresh');
        continue;
      }
      throw new Error(`${weightsFile}: missing tensor '${name}' (expected shape [${shape}])`);
    }
    if (isClassifier && rowOrder === null) continue;
    const fileShape = isDenseKernel(name, shape) ? [shape[1], shape[0]] : shape;
    let data = values(name);
    if (t.shape.join(',') !== fileShape.join(',')) {
      if (isClassifier && options.numLabels !== undefined) continue; // a new label set: fresh classifier
      throw new Error(`${weightsFile}: tensor '${name}' has shape [${t.shape}], config.json implies [${fileShape}]`);
    }
    if (isClassifier && rowOrder && rowOrder.some((r, i) => r !== i)) data = reorderLabels(name, data, t.shape, rowOrder);
    const value = tf.tidy(() => {
      const x = tf.tensor(data, t.shape, 'float32');
      return isDenseKernel(name, shape) ? x.transpose() : x;
    });
    fresh.params.get(name)!.assign(value);
    value.dispose();
  }
  const vocabFile = path.join(dir, 'vocab.txt');
  const vocab = fs.existsSync(vocabFile) ? fs.readFileSync(vocabFile, 'utf8').split('\n').filter((l, i, a) => i < a.length - 1 || l !== '') : [];
  return { encoder: fresh, labels, vocab, notes };
}

/** A label-indexed tensor with its labels in `order`: `classifier.weight` [labels, hidden] (PyTorch layout), `classifier.bias` [labels], the table [buckets, labels]. */
function reorderLabels(name: string, data: Float32Array, shape: readonly number[], order: readonly number[]): Float32Array {
  const out = new Float32Array(data.length);
  if (name === WIDE_TABLE) {
    const k = shape[1];
    for (let r = 0; r < shape[0]; r++) order.forEach((from, to) => (out[r * k + to] = data[r * k + from]));
  } else {
    const width = name.endsWith('.bias') ? 1 : shape[1];
    order.forEach((from, to) => out.set(data.subarray(from * width, (from + 1) * width), to * width));
  }
  return out;
}

/** Prefix tuning's per-layer keys and values (`prefix.layer.<l>.key` / `.value`, [length, hidden]) beside a checkpoint. */
export const PREFIX_FILE = 'prefix.safetensors';

export function savePrefix(dir: string, params: Params): void {
  const tensors: TensorMap = new Map([...params].filter(([n]) => n.startsWith('prefix.')).map(([n, v]) => [n, f32(v.shape as number[], Float32Array.from(v.dataSync() as Float32Array))]));
  writeSafetensors(path.join(dir, PREFIX_FILE), tensors, { format: 'pt' });
}

/** The prefix saved beside a checkpoint, as float32 arrays per layer; null when the checkpoint has none. */
export function loadPrefix(dir: string, numLayers: number, hidden: number): { length: number; keys: Float32Array[]; values: Float32Array[] } | null {
  const file = path.join(dir, PREFIX_FILE);
  if (!fs.existsSync(file)) return null;
  const { tensors } = readSafetensors(file);
  const read = (l: number, kind: string) => {
    const t = tensors.get(`prefix.layer.${l}.${kind}`);
    if (!t) throw new Error(`${file}: missing tensor 'prefix.layer.${l}.${kind}' (the model has ${numLayers} layers)`);
    if (t.shape.length !== 2 || t.shape[1] !== hidden) throw new Error(`${file}: tensor 'prefix.layer.${l}.${kind}' has shape [${t.shape}], expected [length, ${hidden}]`);
    return { length: t.shape[0], values: asFloat32(t)! };
  };
  const keys = Array.from({ length: numLayers }, (_, l) => read(l, 'key'));
  const values = Array.from({ length: numLayers }, (_, l) => read(l, 'value'));
  const length = keys[0].length;
  if ([...keys, ...values].some((k) => k.length !== length)) throw new Error(`${file}: the layers' prefixes have different lengths`);
  return { length, keys: keys.map((k) => k.values), values: values.map((v) => v.values) };
}
