/**
 * The encoder: one BERT-style model, configurable in depth and width, written once.
 *
 *   embeddings = LayerNorm(word[ids] + position[0..S) + tokenType[types])
 *   for each layer (post-LN):
 *     q, k, v   = h·Wq + bq, h·Wk + bk, h·Wv + bv          split into heads: [B, heads, S, headSize]
 *     attention = softmax(q·kᵀ / √headSize + maskBias)
 *     h         = LayerNorm(h + (attention·v)·Wo + bo)
 *     h         = LayerNorm(h + GELU(h·Wi + bi)·Wo2 + bo2)
 *   pooled = tanh(h[CLS]·Wp + bp)
 *   heads: classification (pooled → logits), masked LM (tied to the word embeddings)
 *
 * A model may also carry a wide n-gram table (Wide & Deep), a second classification head of its own (wide.ts,
 * `tableLogits`): its parameters live in the same map (one checkpoint), and `classifierHead` (inference.ts) adds its
 * logits to the encoder's. `forward` computes the encoder alone; `wideNgrams` here is the table's feature hash.
 *
 * `forward` returns everything distillation needs: hidden states of every layer, per-layer queries/keys/values
 * (split into heads), attention probabilities, pooled output and logits.
 *
 * Parameters are tf.Variables keyed by their Hugging Face BERT names. Dense kernels are stored [in, out] (TensorFlow
 * layout); checkpoint I/O transposes them to and from PyTorch's [out, in].
 */
import * as tf from '@tensorflow/tfjs';
import { fusedGelu, fusedLayerNorm, hasFusedOps } from './fused-ops';
import { dropout } from './dropout';
import { Rng } from '@distill/core';

export interface EncoderConfig {
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  maxPositions: number;
  typeVocabSize: number;
  layerNormEps: number;
  /** classification labels; 0 = no classifier head */
  numLabels: number;
  hiddenDropout: number;
  attentionDropout: number;
  initializerRange: number;
  /** with an MLM head (cls.predictions.*) */
  mlmHead: boolean;
  /** wide n-gram part of the classifier: hash buckets (0 or absent = none) and the longest n-gram (default 3) */
  wideBuckets?: number;
  wideMaxN?: number;
  /** how the n-gram rows are pooled: 'sqrt' = sum / √count (the sum of a length-normalized (L2) bag of n-grams), 'mean'
   * = sum / count. Absent = 'mean', the pooling of checkpoints written before this option. */
  widePooling?: WidePooling;
  /**
   * Hugging Face's `problem_type`: `multi_label_classification` scores each label on its own (a sigmoid per label,
   * binary cross-entropy); absent = single-label (softmax over the labels)
   */
  problemType?: ProblemType;
}

export type ProblemType = 'single_label_classification' | 'multi_label_classification';

/** Whether the model's classifier is multi-label (a sigmoid per label). */
export function isMultiLabelModel(c: EncoderConfig): boolean {
  return c.problemType === 'multi_label_classification';
}

export type WidePooling = 'mean' | 'sqrt';

/** The wide part of a model: its table's buckets, the longest n-gram, the pooling. */
export interface WideShape {
  buckets: number;
  maxN: number;
  pooling: WidePooling;
}

export const DEFAULT_ENCODER: Omit<EncoderConfig, 'vocabSize' | 'numLabels'> = {
  hiddenSize: 312,
  numLayers: 4,
  numHeads: 12,
  intermediateSize: 1200,
  maxPositions: 128,
  typeVocabSize: 2,
  layerNormEps: 1e-12,
  hiddenDropout: 0.1,
  attentionDropout: 0.1,
  initializerRange: 0.02,
  mlmHead: false,
  wideBuckets: 0,
  wideMaxN: 3,
};

/** The wide table's parameter name (`_embeddings.`: stored [buckets, labels] like an embedding, not transposed). */
export const WIDE_TABLE = 'wide.ngram_embeddings.weight';
/**
 * n-gram hash: h = x₀ mod B; h = ((h·M₁ mod B)·M₂ + xᵢ) mod B per further token (that is, h·M₁M₂ + xᵢ mod B, in two
 * products that each stay below 2³¹); then (h + (n-1)·OFFSET) mod B per order n.
 */
export const WIDE_HASH_MULTIPLIERS = [1021, 1019] as const;
/** recorded in checkpoints (`wide_hash`): version 1 (one multiplier, 8009, at most 262144 buckets) hashed differently */
export const WIDE_HASH_VERSION = 2;
export const WIDE_ORDER_OFFSET = 7919;
/** largest bucket count whose hash stays exact in int32: (B - 1)·max(M₁, M₂) + vocab < 2³¹ */
export const WIDE_MAX_BUCKETS = 1048576;

export function validateEncoderConfig(c: EncoderConfig): void {
  const positive = ['vocabSize', 'hiddenSize', 'numLayers', 'numHeads', 'intermediateSize', 'maxPositions', 'typeVocabSize'] as const;
  for (const k of positive) if (!Number.isInteger(c[k]) || c[k] <= 0) throw new Error(`encoder config: ${k} must be a positive integer, got ${c[k]}`);
  if (c.hiddenSize % c.numHeads !== 0) throw new Error(`encoder config: hiddenSize ${c.hiddenSize} is not divisible by numHeads ${c.numHeads}`);
  const buckets = c.wideBuckets ?? 0;
  const maxN = c.wideMaxN ?? 3;
  if (!Number.isInteger(buckets) || buckets < 0 || buckets > WIDE_MAX_BUCKETS) throw new Error(`encoder config: wideBuckets must be an integer in [0, ${WIDE_MAX_BUCKETS}], got ${buckets}`);
  if (buckets > 0 && (!Number.isInteger(maxN) || maxN < 1 || maxN > 4)) throw new Error(`encoder config: wideMaxN must be 1..4, got ${maxN}`);
  if (c.widePooling !== undefined && c.widePooling !== 'mean' && c.widePooling !== 'sqrt') throw new Error(`encoder config: widePooling must be 'mean' or 'sqrt', got ${String(c.widePooling)}`);
  if (buckets > 0 && c.vocabSize > 2 ** 31 - 1 - (buckets - 1) * Math.max(...WIDE_HASH_MULTIPLIERS)) throw new Error(`encoder config: vocabSize ${c.vocabSize} is too large for the wide hash with ${buckets} buckets`);
}

export function hasWide(c: EncoderConfig): boolean {
  return c.numLabels > 0 && (c.wideBuckets ?? 0) > 0;
}

/** The wide part's shape, when the model has one. */
export function wideShape(c: EncoderConfig): WideShape | null {
  return hasWide(c) ? { buckets: c.wideBuckets!, maxN: c.wideMaxN ?? 3, pooling: c.widePooling ?? 'mean' } : null;
}

export type Params = Map<string, tf.Variable>;

export interface ForwardInputs {
  /** [batch, seq] int32 token ids */
  inputIds: tf.Tensor2D;
  /** [batch, seq] 1 for tokens, 0 for padding */
  attentionMask: tf.Tensor2D;
  /** [batch, seq] int32 segment ids; zeros when omitted */
  tokenTypeIds?: tf.Tensor2D;
}

export interface ForwardOptions {
  training?: boolean;
  /** base seed of this call's dropout masks (each dropout site adds its own offset) */
  seed?: number;
  /** prefix tuning (P-tuning v2): per layer, [prefixLength, hidden] keys and values every position also attends to */
  prefix?: Prefix;
  /**
   * per layer, an [intermediate] mask the FFN's activations (after GELU) are multiplied by: the gradient of the loss
   * with respect to a mask of ones is each neuron's first-order importance (pruning.ts)
   */
  ffnMasks?: tf.Tensor1D[];
}

export interface Prefix {
  keys: tf.Tensor2D[];
  values: tf.Tensor2D[];
}

/** Fresh prefix parameters (`prefix.layer.<l>.key` / `.value`, [length, hidden]), N(0, initializerRange). */
export function initPrefix(c: EncoderConfig, length: number, seed: number): Params {
  const rng = new Rng(seed);
  const params: Params = new Map();
  for (let l = 0; l < c.numLayers; l++) {
    for (const kind of ['key', 'value']) {
      const values = Float32Array.from({ length: length * c.hiddenSize }, () => rng.normal() * c.initializerRange);
      params.set(`prefix.layer.${l}.${kind}`, tf.variable(tf.tensor2d(values, [length, c.hiddenSize]), true));
    }
  }
  return params;
}

export function prefixFrom(params: Params, numLayers: number): Prefix {
  return {
    keys: Array.from({ length: numLayers }, (_, l) => get(params, `prefix.layer.${l}.key`) as unknown as tf.Tensor2D),
    values: Array.from({ length: numLayers }, (_, l) => get(params, `prefix.layer.${l}.value`) as unknown as tf.Tensor2D),
  };
}

export interface EncoderOutput {
  /** embeddings output, then the output of every layer: [batch, seq, hidden] each */
  hidden: tf.Tensor3D[];
  /** per layer, [batch, heads, seq, headSize] */
  queries: tf.Tensor4D[];
  keys: tf.Tensor4D[];
  values: tf.Tensor4D[];
  /** per layer, [batch, heads, seq, seq] */
  attentions: tf.Tensor4D[];
  /** last hidden state */
  sequence: tf.Tensor3D;
  /** [batch, hidden] */
  pooled: tf.Tensor2D;
  /** [batch, numLabels], the encoder's own classifier (without a wide table's logits), when the model has one */
  logits?: tf.Tensor2D;
}

/** The names and shapes of every parameter, in a fixed order. */
export function parameterShapes(c: EncoderConfig): [string, number[]][] {
  const H = c.hiddenSize;
  const shapes: [string, number[]][] = [
    ['bert.embeddings.word_embeddings.weight', [c.vocabSize, H]],
    ['bert.embeddings.position_embeddings.weight', [c.maxPositions, H]],
    ['bert.embeddings.token_type_embeddings.weight', [c.typeVocabSize, H]],
    ['bert.embeddings.LayerNorm.weight', [H]],
    ['bert.embeddings.LayerNorm.bias', [H]],
  ];
  for (let l = 0; l < c.numLayers; l++) {
    const p = `bert.encoder.layer.${l}`;
    for (const m of ['query', 'key', 'value']) shapes.push([`${p}.attention.self.${m}.weight`, [H, H]], [`${p}.attention.self.${m}.bias`, [H]]);
    shapes.push(
      [`${p}.attention.output.dense.weight`, [H, H]],
      [`${p}.attention.output.dense.bias`, [H]],
      [`${p}.attention.output.LayerNorm.weight`, [H]],
      [`${p}.attention.output.LayerNorm.bias`, [H]],
      [`${p}.intermediate.dense.weight`, [H, c.intermediateSize]],
      [`${p}.intermediate.dense.bias`, [c.intermediateSize]],
      [`${p}.output.dense.weight`, [c.intermediateSize, H]],
      [`${p}.output.dense.bias`, [H]],
      [`${p}.output.LayerNorm.weight`, [H]],
      [`${p}.output.LayerNorm.bias`, [H]],
    );
  }
  shapes.push(['bert.pooler.dense.weight', [H, H]], ['bert.pooler.dense.bias', [H]]);
  if (c.numLabels > 0) shapes.push(['classifier.weight', [H, c.numLabels]], ['classifier.bias', [c.numLabels]]);
  const wide = wideShape(c);
  if (wide) shapes.push([WIDE_TABLE, [wide.buckets, c.numLabels]]);
  if (c.mlmHead) {
    shapes.push(
      ['cls.predictions.transform.dense.weight', [H, H]],
      ['cls.predictions.transform.dense.bias', [H]],
      ['cls.predictions.transform.LayerNorm.weight', [H]],
      ['cls.predictions.transform.LayerNorm.bias', [H]],
      ['cls.predictions.bias', [c.vocabSize]],
    );
  }
  return shapes;
}

/** Fresh parameters as BERT initialises them: N(0, initializerRange) weights, zero biases, unit LayerNorm gains; the
 * wide table starts at zero (the model starts as the encoder alone). */
export function initParams(c: EncoderConfig, seed: number): Params {
  validateEncoderConfig(c);
  const rng = new Rng(seed);
  const params: Params = new Map();
  for (const [name, shape] of parameterShapes(c)) {
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    if (name.endsWith('LayerNorm.weight')) values.fill(1);
    else if (!name.endsWith('.bias') && name !== WIDE_TABLE) for (let i = 0; i < size; i++) values[i] = rng.normal() * c.initializerRange;
    // tfjs variable names are global; parameters are keyed by name in the map, so two encoders can coexist.
    params.set(name, tf.variable(tf.tensor(values, shape, 'float32'), true));
  }
  return params;
}

/** The shape of a model as it ran, for manifests and reports (a stage's params may name another one, e.g. a default
 * student shape when the student comes from a checkpoint). */
export function modelShape(c: EncoderConfig): { hidden_size: number; layers: number; heads: number; intermediate_size: number; max_length: number; vocab_size: number; labels: number; wide_buckets: number } {
  return { hidden_size: c.hiddenSize, layers: c.numLayers, heads: c.numHeads, intermediate_size: c.intermediateSize, max_length: c.maxPositions, vocab_size: c.vocabSize, labels: c.numLabels, wide_buckets: hasWide(c) ? c.wideBuckets! : 0 };
}

export function countParams(params: Params): number {
  let n = 0;
  for (const v of params.values()) n += v.size;
  return n;
}

export function disposeParams(params: Params): void {
  for (const v of params.values()) v.dispose();
}

function get(params: Params, name: string): tf.Variable {
  const v = params.get(name);
  if (!v) throw new Error(`encoder: missing parameter ${name}`);
  return v;
}

/** LayerNorm over the last axis (one fused kernel with its gradient where the backend has it: fused-ops.ts). */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  if (hasFusedOps()) return fusedLayerNorm(x, gamma, beta, eps);
  const { mean, variance } = tf.moments(x, -1, true);
  return x.sub(mean).mul(tf.rsqrt(variance.add(eps))).mul(gamma).add(beta);
}

/** GELU with the exact erf form, as BERT uses it (fused where the backend has the kernel). */
export function gelu(x: tf.Tensor): tf.Tensor {
  if (hasFusedOps()) return fusedGelu(x);
  return x.mul(tf.erf(x.mul(Math.SQRT1_2)).add(1)).mul(0.5);
}

function dense(x: tf.Tensor, params: Params, prefix: string): tf.Tensor {
  const w = get(params, `${prefix}.weight`);
  const b = get(params, `${prefix}.bias`);
  const [inSize, outSize] = w.shape as [number, number];
  const y = tf.matMul(x.reshape([-1, inSize]), w).add(b);
  return y.reshape([...x.shape.slice(0, -1), outSize]);
}

/** Additive attention bias from a [batch, seq] mask: 0 where attended, -10000 on padding (as BERT). */
export function maskBias(attentionMask: tf.Tensor2D): tf.Tensor4D {
  const [b, s] = attentionMask.shape;
  return tf.sub(1, attentionMask.toFloat()).mul(-10000).reshape([b, 1, 1, s]) as tf.Tensor4D;
}

/**
 * The wide part's features: every n-gram (n = 1..maxN) of token ids inside the attention mask ([CLS] and [SEP]
 * included, so "starts with" / "ends with" n-grams count), hashed into `buckets`. Returns ids [batch, K] and weights
 * [batch, K] (1 / the row's n-gram count, or 1 / √count with 'sqrt' pooling; 0 for n-grams touching padding),
 * K = Σₙ max(0, seq - n + 1). Integer math only, exact in int32 (see WIDE_MAX_BUCKETS); the ONNX export emits the same
 * ops in int64.
 */
export function wideNgrams(inputIds: tf.Tensor2D, attentionMask: tf.Tensor2D, wide: WideShape): { ids: tf.Tensor2D; weights: tf.Tensor2D } {
  const { buckets, maxN } = wide;
  const [batch, seq] = inputIds.shape;
  const B = tf.scalar(buckets, 'int32');
  const [M1, M2] = WIDE_HASH_MULTIPLIERS.map((m) => tf.scalar(m, 'int32'));
  const mask = attentionMask.toFloat();
  const ids: tf.Tensor[] = [];
  const valid: tf.Tensor[] = [];
  for (let n = 1; n <= Math.min(maxN, seq); n++) {
    const width = seq - n + 1;
    const at = (t: number) => inputIds.slice([0, t], [batch, width]);
    let h = tf.mod(at(0), B);
    let m = mask.slice([0, 0], [batch, width]);
    for (let t = 1; t < n; t++) {
      h = tf.mod(tf.mod(h.mul(M1), B).mul(M2).add(at(t)), B);
      m = m.mul(mask.slice([0, t], [batch, width]));
    }
    ids.push(tf.mod(h.add(tf.scalar((n - 1) * WIDE_ORDER_OFFSET, 'int32')), B));
    valid.push(m);
  }
  const v = tf.concat(valid, 1);
  const count = v.sum(1, true).maximum(1);
  const divisor = wide.pooling === 'sqrt' ? count.sqrt() : count;
  return { ids: tf.concat(ids, 1) as tf.Tensor2D, weights: v.div(divisor) as tf.Tensor2D };
}

export class Encoder {
  constructor(readonly config: EncoderConfig, readonly params: Params) {
    validateEncoderConfig(config);
  }

  static create(config: EncoderConfig, seed: number): Encoder {
    return new Encoder(config, initParams(config, seed));
  }

  private dropout(x: tf.Tensor, rate: number, opts: ForwardOptions, site: number): tf.Tensor {
    if (!opts.training || rate <= 0) return x;
    return dropout(x, rate, (opts.seed ?? 0) * 1009 + site);
  }

  forward(inputs: ForwardInputs, opts: ForwardOptions = {}): EncoderOutput {
    const c = this.config;
    const P = this.params;
    const [batch, seq] = inputs.inputIds.shape as [number, number];
    if (seq > c.maxPositions) throw new Error(`encoder: sequence length ${seq} exceeds maxPositions ${c.maxPositions}`);
    const H = c.hiddenSize;
    const heads = c.numHeads;
    const headSize = H / heads;
    let site = 0;

    const words = tf.gather(get(P, 'bert.embeddings.word_embeddings.weight'), inputs.inputIds.flatten()).reshape([batch, seq, H]);
    const positions = get(P, 'bert.embeddings.position_embeddings.weight').slice([0, 0], [seq, H]).expandDims(0);
    const types = inputs.tokenTypeIds
      ? tf.gather(get(P, 'bert.embeddings.token_type_embeddings.weight'), inputs.tokenTypeIds.flatten()).reshape([batch, seq, H])
      : get(P, 'bert.embeddings.token_type_embeddings.weight').slice([0, 0], [1, H]).expandDims(0);
    let h = layerNorm(words.add(positions).add(types), get(P, 'bert.embeddings.LayerNorm.weight'), get(P, 'bert.embeddings.LayerNorm.bias'), c.layerNormEps);
    h = this.dropout(h, c.hiddenDropout, opts, site++);

    let bias: tf.Tensor = maskBias(inputs.attentionMask);
    const prefixLength = opts.prefix ? opts.prefix.keys[0].shape[0] : 0;
    if (prefixLength) bias = tf.concat([tf.zeros([batch, 1, 1, prefixLength]), bias], 3); // prefixes are always attended
    const out: EncoderOutput = { hidden: [h as tf.Tensor3D], queries: [], keys: [], values: [], attentions: [], sequence: h as tf.Tensor3D, pooled: null as unknown as tf.Tensor2D };
    const splitHeads = (x: tf.Tensor) => x.reshape([batch, seq, heads, headSize]).transpose([0, 2, 1, 3]) as tf.Tensor4D;

    for (let l = 0; l < c.numLayers; l++) {
      const p = `bert.encoder.layer.${l}`;
      const q = splitHeads(dense(h, P, `${p}.attention.self.query`));
      const k = splitHeads(dense(h, P, `${p}.attention.self.key`));
      const v = splitHeads(dense(h, P, `${p}.attention.self.value`));
      // with prefix tuning, keys and values get the layer's prefix in front: [batch, heads, prefix + seq, headSize]
      const withPrefix = (x: tf.Tensor4D, pre: tf.Tensor2D | undefined) =>
        pre ? tf.concat([pre.reshape([1, prefixLength, heads, headSize]).transpose([0, 2, 1, 3]).tile([batch, 1, 1, 1]), x], 2) : x;
      const kAll = withPrefix(k, opts.prefix?.keys[l]);
      const vAll = withPrefix(v, opts.prefix?.values[l]);
      const scores = tf.matMul(q, kAll.transpose([0, 1, 3, 2])).mul(1 / Math.sqrt(headSize)).add(bias);
      const probs = tf.softmax(scores) as tf.Tensor4D;
      const context = tf.matMul(this.dropout(probs, c.attentionDropout, opts, site++), vAll).transpose([0, 2, 1, 3]).reshape([batch, seq, H]);
      const attnOut = this.dropout(dense(context, P, `${p}.attention.output.dense`), c.hiddenDropout, opts, site++);
      const h1 = layerNorm(attnOut.add(h), get(P, `${p}.attention.output.LayerNorm.weight`), get(P, `${p}.attention.output.LayerNorm.bias`), c.layerNormEps);
      const act = gelu(dense(h1, P, `${p}.intermediate.dense`));
      const ff = dense(opts.ffnMasks ? act.mul(opts.ffnMasks[l]) : act, P, `${p}.output.dense`);
      h = layerNorm(this.dropout(ff, c.hiddenDropout, opts, site++).add(h1), get(P, `${p}.output.LayerNorm.weight`), get(P, `${p}.output.LayerNorm.bias`), c.layerNormEps);
      out.queries.push(q);
      out.keys.push(k);
      out.values.push(v);
      out.attentions.push(probs);
      out.hidden.push(h as tf.Tensor3D);
    }
    out.sequence = h as tf.Tensor3D;
    const cls = h.slice([0, 0, 0], [batch, 1, H]).reshape([batch, H]);
    out.pooled = tf.tanh(dense(cls, P, 'bert.pooler.dense')) as tf.Tensor2D;
    if (c.numLabels > 0) out.logits = dense(this.dropout(out.pooled, c.hiddenDropout, opts, site++), P, 'classifier') as tf.Tensor2D;
    return out;
  }

  /** Masked-LM logits over the vocabulary at the given flat positions (row = batch·seq index): [positions, vocab]. */
  mlmLogits(sequence: tf.Tensor3D, flatPositions: tf.Tensor1D): tf.Tensor2D {
    if (!this.config.mlmHead) throw new Error('encoder: this model has no MLM head (mlmHead: false)');
    const P = this.params;
    const H = this.config.hiddenSize;
    const picked = tf.gather(sequence.reshape([-1, H]), flatPositions);
    const t = layerNorm(gelu(dense(picked, P, 'cls.predictions.transform.dense')), get(P, 'cls.predictions.transform.LayerNorm.weight'), get(P, 'cls.predictions.transform.LayerNorm.bias'), this.config.layerNormEps);
    return tf.matMul(t, get(P, 'bert.embeddings.word_embeddings.weight').transpose()).add(get(P, 'cls.predictions.bias')) as tf.Tensor2D;
  }

  dispose(): void {
    disposeParams(this.params);
  }
}
