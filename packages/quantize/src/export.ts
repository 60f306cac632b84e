/**
 * ONNX export of an encoder checkpoint with its classification head (opset 17).
 *
 * Inputs `input_ids` and `attention_mask` (int64, [batch, seq], both axes dynamic), output `logits` [batch, labels]
 * (a multi-label model also outputs `probabilities`, the sigmoid of each logit);
 * a model with a wide part also outputs its two heads apart, `encoder_logits` and `table_logits` (their sum is `logits`).
 * A model with a wide n-gram part computes its hashed n-grams from `input_ids` inside the graph, so serving needs
 * nothing beyond the token ids.
 * Two flavours of the same model:
 * - `portable`: standard ONNX ops only, following `packages/model/src/encoder.ts` op for op. LayerNormalization and the
 *   erf-GELU pattern are forms ONNX Runtime's optimizer fuses (into SkipLayerNormalization and BiasGelu); attention
 *   stays MatMul/Softmax.
 * - `ort`: ONNX Runtime's contrib ops (domain `com.microsoft`) emitted directly: MultiHeadAttention (scores, mask,
 *   softmax and context in one kernel) and BiasGelu. Runs on ONNX Runtime only. Residual + LayerNorm is `Sum` +
 *   LayerNormalization, not SkipLayerNormalization: ONNX Runtime 1.30's CPU SkipLayerNormalization kernel is the slower
 *   one (TNEWS student INT8 at batch 32: 622 texts/s with it, 785 without), and its optimizer fuses `Add` +
 *   LayerNormalization into it but leaves `Sum` alone.
 * How each weight multiply and the word embedding are emitted is the `precision`'s business: float32, INT8 dynamic
 * (`int8.ts`) or INT8 static QDQ (`qdq.ts`).
 */
import { WIDE_HASH_MULTIPLIERS, WIDE_ORDER_OFFSET, WIDE_TABLE, isMultiLabelModel, wideShape, type Encoder, type WideShape } from '@distill/model';
import { ENCODER_LOGITS, PROBABILITIES, TABLE_LOGITS } from '@distill/runtime';
import { GraphBuilder } from './onnx/graph';
import { DataType } from './onnx/onnx-proto';
import { emitCompressedLookup, type CompressedTable } from './table';

/** How weights are emitted: `matmul` for x·W (layer `name`), `embedding` for a table lookup. */
export interface Precision {
  matmul(g: GraphBuilder, x: string, name: string, w: Float32Array, inDim: number, outDim: number): string;
  embedding(g: GraphBuilder, ids: string, name: string, table: Float32Array, rows: number, dim: number): string;
}

export const float32Precision: Precision = {
  matmul(g, x, name, w, inDim, outDim) {
    return g.op('MatMul', [x, g.float(`${name}.weight`, [inDim, outDim], w)]);
  },
  embedding(g, ids, name, table, rows, dim) {
    return g.op('Gather', [g.float(name, [rows, dim], table), ids], { axis: 0 });
  },
};

export type Flavour = 'portable' | 'ort';

export interface ExportOptions {
  precision?: Precision;
  flavour?: Flavour;
  labels?: readonly string[];
  producer?: string;
  /**
   * prefix tuning's per-layer keys and values ([length × hidden] each, `loadPrefix`), folded into the graph as
   * constants that every position attends to (portable flavour)
   */
  prefix?: { length: number; keys: Float32Array[]; values: Float32Array[] };
  /** the wide table compressed (table.ts): replaces the table's lookup, whatever the precision */
  table?: CompressedTable;
  /** more `metadata_props` (the tokenizer settings a user of the .onnx file needs) */
  metadata?: Record<string, string>;
  /** called with the finished graph before it is serialised (calibration adds outputs here) */
  beforeSerialise?: (g: GraphBuilder) => void;
}

function values(encoder: Encoder, name: string): Float32Array {
  const v = encoder.params.get(name);
  if (!v) throw new Error(`export: checkpoint has no tensor '${name}'`);
  return v.dataSync() as Float32Array;
}

const MS = 'com.microsoft';

/**
 * The wide part (encoder.ts `wideNgrams` and wide.ts `tableLogits`), the same integer hash in int64:
 * Σₖ weightₖ · table[idₖ] over the hashed 1..maxN-grams of the ids inside the mask (weight 1/count or 1/√count);
 * `lookup` emits the table's rows for the n-gram ids. int64 leaves room for h·M₁M₂ in one product (the model's two
 * int32 products give the same residue), and each order's hash extends the one before by a token:
 * hₙ[p] = (hₙ₋₁[p]·M₁M₂ + x[p+n−1]) mod B, validₙ[p] = validₙ₋₁[p]·mask[p+n−1]. Fewer ops matter at batch 1.
 */
function wideLogits(g: GraphBuilder, ids: string, mask: string, wide: WideShape, vocabSize: number, lookup: (ngramIds: string) => string): string {
  const i64 = (name: string, value: number) => g.initializer(name, DataType.INT64, [], BigInt64Array.of(BigInt(value)));
  const buckets = i64('wide_buckets', wide.buckets);
  const multiplier = i64('wide_hash_multiplier', WIDE_HASH_MULTIPLIERS[0] * WIDE_HASH_MULTIPLIERS[1]);
  const axis1 = g.int64('wide_axis1', [1]);
  const constants = new Map<number, string>();
  const at = (t: number) => constants.get(t) ?? constants.set(t, g.int64(`wide_index_${t < 0 ? 'minus_' : ''}${Math.abs(t)}`, [t])).get(t)!;
  const allButLast = (x: string) => g.op('Slice', [x, at(0), at(-1), axis1]);
  const from = (x: string, t: number) => g.op('Slice', [x, at(t), at(2 ** 62), axis1]);
  // ids below the bucket count need no reduction
  let h = vocabSize <= wide.buckets ? ids : g.op('Mod', [ids, buckets]);
  let inside = mask;
  const idParts = [h];
  const validParts = [inside];
  for (let n = 2; n <= wide.maxN; n++) {
    h = g.op('Mod', [g.op('Add', [g.op('Mul', [allButLast(h), multiplier]), from(ids, n - 1)]), buckets]);
    inside = g.op('Mul', [allButLast(inside), from(mask, n - 1)]);
    idParts.push(g.op('Mod', [g.op('Add', [h, i64(`wide_order_offset_${n}`, (n - 1) * WIDE_ORDER_OFFSET)]), buckets]));
    validParts.push(inside);
  }
  const ngramIds = g.op('Concat', idParts, { axis: 1 }, 'wide_ngram_ids');
  const valid = g.op('Cast', [g.op('Concat', validParts, { axis: 1 })], { to: DataType.FLOAT });
  const count = g.op('Max', [g.op('ReduceSum', [valid, axis1], { keepdims: 1 }), g.scalar('wide_one', 1)]);
  const divisor = wide.pooling === 'sqrt' ? g.op('Sqrt', [count]) : count;
  const weights = g.op('Unsqueeze', [g.op('Div', [valid, divisor]), g.int64('wide_axis2', [2])], {}, 'wide_weights');
  const rows = lookup(ngramIds);
  return g.op('ReduceSum', [g.op('Mul', [rows, weights]), axis1], { keepdims: 0 }, 'wide_logits');
}

export function exportEncoder(encoder: Encoder, opts: ExportOptions = {}): Uint8Array {
  const c = encoder.config;
  if (c.numLabels <= 0) throw new Error('export: the checkpoint has no classifier head (classifier.weight)');
  const P = opts.precision ?? float32Precision;
  const ort = (opts.flavour ?? 'portable') === 'ort';
  const prefix = opts.prefix;
  if (prefix && ort) throw new Error("export: a prefix-tuned model exports with flavour 'portable' (the 'ort' flavour's MultiHeadAttention has no place for constant prefixes)");
  if (prefix && (prefix.keys.length !== c.numLayers || prefix.values.length !== c.numLayers)) throw new Error(`export: the prefix has ${prefix.keys.length} layers, the model ${c.numLayers}`);
  const H = c.hiddenSize;
  const heads = c.numHeads;
  const headSize = H / heads;
  const g = new GraphBuilder();
  const v = (n: string) => values(encoder, n);
  const ln = (x: string, prefix: string) =>
    g.op('LayerNormalization', [x, g.float(`${prefix}.weight`, [H], v(`${prefix}.weight`)), g.float(`${prefix}.bias`, [H], v(`${prefix}.bias`))], { axis: -1, epsilon: { float: c.layerNormEps } });
  const matmul = (x: string, prefix: string, inDim: number, outDim: number) => P.matmul(g, x, prefix, v(`${prefix}.weight`), inDim, outDim);
  const bias = (prefix: string, dim: number) => g.float(`${prefix}.bias`, [dim], v(`${prefix}.bias`));
  const linear = (x: string, prefix: string, inDim: number, outDim: number) => g.op('Add', [matmul(x, prefix, inDim, outDim), bias(prefix, outDim)]);
  /** LayerNorm(x · W + b + residual) */
  const denseResidualNorm = (x: string, prefix: string, inDim: number, residual: string, norm: string) =>
    ln(g.op(ort ? 'Sum' : 'Add', [linear(x, prefix, inDim, H), residual]), norm);
  /** GELU(x · W + b), exact (erf) form */
  const denseGelu = (x: string, prefix: string, inDim: number, outDim: number) => {
    if (ort) return g.op('BiasGelu', [matmul(x, prefix, inDim, outDim), bias(prefix, outDim)], {}, 'bias_gelu', MS);
    const y = linear(x, prefix, inDim, outDim);
    return g.op('Mul', [g.op('Mul', [y, g.op('Add', [g.op('Erf', [g.op('Div', [y, g.scalar('sqrt2', Math.SQRT2)])]), g.scalar('one_g', 1)])]), g.scalar('half', 0.5)]);
  };
  const seqShape = (x: string) => g.shape(x, DataType.FLOAT, ['batch', 'sequence', H]);

  const ids = g.input('input_ids', DataType.INT64, ['batch', 'sequence']);
  const mask = g.input('attention_mask', DataType.INT64, ['batch', 'sequence']);

  // Embeddings: word[ids] + (position[0..S) + tokenType[0]); single-segment input, so the segment row is folded in.
  const words = P.embedding(g, ids, 'bert.embeddings.word_embeddings.weight', v('bert.embeddings.word_embeddings.weight'), c.vocabSize, H);
  const pos = v('bert.embeddings.position_embeddings.weight');
  const type0 = v('bert.embeddings.token_type_embeddings.weight').subarray(0, H);
  const posPlusType = new Float32Array(pos.length);
  for (let i = 0; i < pos.length; i++) posPlusType[i] = pos[i] + type0[i % H];
  const seqLen = g.op('Slice', [g.op('Shape', [ids]), g.int64('one', [1]), g.int64('two', [2])], {}, 'seq_len');
  const positions = g.op('Slice', [g.float('position_plus_type_embeddings', [c.maxPositions, H], posPlusType), g.int64('zero', [0]), seqLen, g.int64('axis0', [0])]);
  let h = ln(g.op('Add', [words, positions]), 'bert.embeddings.LayerNorm');
  seqShape(h);

  // Attention mask. portable: additive (1 - mask) · -10000, broadcast over heads and query positions; ort: the 0/1
  // key padding mask as int32 (MultiHeadAttention applies the same -10000).
  let maskF = ort ? null : g.op('Cast', [mask], { to: DataType.FLOAT });
  // with a prefix, every query also attends to the prefix positions, in front of the sequence: a mask of ones there
  const batchDim = prefix ? g.op('Slice', [g.op('Shape', [ids]), g.int64('zero_b', [0]), g.int64('one_b', [1])], {}, 'batch_dim') : '';
  if (prefix && maskF) {
    const ones = g.op('Expand', [g.float('prefix_mask_ones', [1, prefix.length], new Float32Array(prefix.length).fill(1)), g.op('Concat', [batchDim, g.int64('prefix_length', [prefix.length])], { axis: 0 })]);
    maskF = g.op('Concat', [ones, maskF], { axis: 1 }, 'prefix_and_mask');
  }
  const maskBias = maskF ? g.op('Unsqueeze', [g.op('Mul', [g.op('Sub', [g.scalar('one_f', 1), maskF]), g.scalar('mask_value', -10000)]), g.int64('axes12', [1, 2])], {}, 'mask_bias') : null;
  const keyPadding = ort ? g.op('Cast', [mask], { to: DataType.INT32 }, 'key_padding_mask') : null;
  // the portable attention's constants (the ort flavour's MultiHeadAttention needs none: unused initializers make ONNX
  // Runtime warn at every load)
  const splitShape = ort ? '' : g.int64('split_heads_shape', [0, 0, heads, headSize]);
  const mergeShape = ort ? '' : g.int64('merge_heads_shape', [0, 0, H]);
  const scale = ort ? '' : g.scalar('attention_scale', 1 / Math.sqrt(headSize));

  const attention = (x: string, p: string): string => {
    if (ort) {
      const qkvBias = new Float32Array(3 * H);
      ['query', 'key', 'value'].forEach((n, i) => qkvBias.set(v(`${p}.attention.self.${n}.bias`), i * H));
      const [q, k, vv] = ['query', 'key', 'value'].map((n) => matmul(x, `${p}.attention.self.${n}`, H, H));
      return g.op('MultiHeadAttention', [q, k, vv, g.float(`${p}.attention.self.qkv_bias`, [3 * H], qkvBias), keyPadding!], { num_heads: heads, mask_filter_value: { float: -10000 } }, 'context', MS);
    }
    const q = g.op('Transpose', [g.op('Reshape', [linear(x, `${p}.attention.self.query`, H, H), splitShape])], { perm: [0, 2, 1, 3] });
    // [batch, prefix + sequence, heads, headSize]: the layer's constant prefix (broadcast over the batch) in front
    const withPrefix = (x4: string, kind: 'key' | 'value', l: number) => {
      if (!prefix) return x4;
      const table = (kind === 'key' ? prefix.keys : prefix.values)[l];
      const constant = g.float(`prefix.layer.${l}.${kind}`, [1, prefix.length, heads, headSize], table);
      const shape = g.op('Concat', [batchDim, g.int64('prefix_heads_shape', [prefix.length, heads, headSize])], { axis: 0 });
      return g.op('Concat', [g.op('Expand', [constant, shape]), x4], { axis: 1 });
    };
    const layer = Number(p.split('.')[3]);
    const kT = g.op('Transpose', [withPrefix(g.op('Reshape', [linear(x, `${p}.attention.self.key`, H, H), splitShape]), 'key', layer)], { perm: [0, 2, 3, 1] });
    const vv = g.op('Transpose', [withPrefix(g.op('Reshape', [linear(x, `${p}.attention.self.value`, H, H), splitShape]), 'value', layer)], { perm: [0, 2, 1, 3] });
    const scores = g.op('Add', [g.op('Mul', [g.op('MatMul', [q, kT]), scale]), maskBias!]);
    const probs = g.op('Softmax', [scores], { axis: -1 });
    return g.op('Reshape', [g.op('Transpose', [g.op('MatMul', [probs, vv])], { perm: [0, 2, 1, 3] }), mergeShape]);
  };

  for (let l = 0; l < c.numLayers; l++) {
    const p = `bert.encoder.layer.${l}`;
    const context = attention(h, p);
    seqShape(context);
    const h1 = denseResidualNorm(context, `${p}.attention.output.dense`, H, h, `${p}.attention.output.LayerNorm`);
    seqShape(h1);
    const inter = denseGelu(h1, `${p}.intermediate.dense`, H, c.intermediateSize);
    g.shape(inter, DataType.FLOAT, ['batch', 'sequence', c.intermediateSize]);
    h = denseResidualNorm(inter, `${p}.output.dense`, c.intermediateSize, h1, `${p}.output.LayerNorm`);
    seqShape(h);
  }

  const cls = g.op('Gather', [h, g.initializer('cls_index', DataType.INT64, [], BigInt64Array.of(0n))], { axis: 1 });
  const pooled = g.op('Tanh', [linear(cls, 'bert.pooler.dense', H, H)]);
  const deep = linear(pooled, 'classifier', H, c.numLabels);
  const wide = wideShape(c);
  const compressed = opts.table;
  if (compressed && (!wide || compressed.buckets !== wide.buckets || compressed.labels !== c.numLabels)) throw new Error("export: the compressed table does not match the model's wide part");
  // the table's rows for the n-gram ids: the compressed table's, or the dense table's in the model's precision
  const lookup = (ngramIds: string) =>
    compressed ? emitCompressedLookup(g, ngramIds, WIDE_TABLE, compressed) : P.embedding(g, ngramIds, WIDE_TABLE, v(WIDE_TABLE), wide!.buckets, c.numLabels);
  const table = wide ? wideLogits(g, ids, mask, wide, c.vocabSize, lookup) : null;
  const logits = table ? g.op('Add', [deep, table]) : deep;
  g.node('Identity', [logits], ['logits']);
  g.output('logits', DataType.FLOAT, ['batch', c.numLabels]);
  if (isMultiLabelModel(c)) {
    // a multi-label model scores each label on its own: its probabilities are the sigmoid of each logit
    g.node('Sigmoid', [logits], [PROBABILITIES]);
    g.output(PROBABILITIES, DataType.FLOAT, ['batch', c.numLabels]);
  }
  if (table) {
    // the two heads' logits apart (their sum is `logits`), so an evaluation can say what each part earns
    g.node('Identity', [deep], [ENCODER_LOGITS]);
    g.output(ENCODER_LOGITS, DataType.FLOAT, ['batch', c.numLabels]);
    g.node('Identity', [table], [TABLE_LOGITS]);
    g.output(TABLE_LOGITS, DataType.FLOAT, ['batch', c.numLabels]);
  }
  opts.beforeSerialise?.(g);
  return g.toBytes({
    graphName: 'encoder_classifier',
    producer: opts.producer ?? 'distill-pipeline',
    opset: 17,
    msOpset: g.nodes.some((n) => n.domain === MS) ? 1 : undefined,
    metadata: { flavour: opts.flavour ?? 'portable', ...(opts.labels ? { labels: JSON.stringify(opts.labels) } : {}), ...opts.metadata },
  });
}
