/**
 * ONNX export of an encoder checkpoint with its classification head (opset 17, standard ops only).
 *
 * Inputs `input_ids` and `attention_mask` (int64, [batch, seq], both axes dynamic), output `logits` [batch, labels].
 * The graph follows `packages/model/src/encoder.ts` op for op; LayerNormalization and the erf-GELU pattern are the
 * forms ONNX Runtime's optimizer fuses. How each dense layer and the word embedding are emitted is the `precision`'s
 * business: float32, or INT8 (dynamic quantization, see `int8.ts`).
 */
import type { Encoder } from '@distill/model';
import { GraphBuilder } from './onnx/graph';
import { DataType } from './onnx/onnx-proto';

/** How weights are emitted: `linear` for x·W + b, `embedding` for a table lookup. */
export interface Precision {
  linear(g: GraphBuilder, x: string, name: string, w: Float32Array, b: Float32Array, inDim: number, outDim: number): string;
  embedding(g: GraphBuilder, ids: string, name: string, table: Float32Array, rows: number, dim: number): string;
}

export const float32Precision: Precision = {
  linear(g, x, name, w, b, inDim, outDim) {
    const y = g.op('MatMul', [x, g.float(`${name}.weight`, [inDim, outDim], w)]);
    return g.op('Add', [y, g.float(`${name}.bias`, [outDim], b)]);
  },
  embedding(g, ids, name, table, rows, dim) {
    return g.op('Gather', [g.float(name, [rows, dim], table), ids], { axis: 0 });
  },
};

export interface ExportOptions {
  precision?: Precision;
  labels?: readonly string[];
  producer?: string;
}

function values(encoder: Encoder, name: string): Float32Array {
  const v = encoder.params.get(name);
  if (!v) throw new Error(`export: checkpoint has no tensor '${name}'`);
  return v.dataSync() as Float32Array;
}

export function exportEncoder(encoder: Encoder, opts: ExportOptions = {}): Uint8Array {
  const c = encoder.config;
  if (c.numLabels <= 0) throw new Error('export: the checkpoint has no classifier head (classifier.weight)');
  const P = opts.precision ?? float32Precision;
  const H = c.hiddenSize;
  const heads = c.numHeads;
  const headSize = H / heads;
  const g = new GraphBuilder();
  const v = (n: string) => values(encoder, n);
  const ln = (x: string, prefix: string) =>
    g.op('LayerNormalization', [x, g.float(`${prefix}.weight`, [H], v(`${prefix}.weight`)), g.float(`${prefix}.bias`, [H], v(`${prefix}.bias`))], { axis: -1, epsilon: { float: c.layerNormEps } });
  const linear = (x: string, prefix: string, inDim: number, outDim: number) => P.linear(g, x, prefix, v(`${prefix}.weight`), v(`${prefix}.bias`), inDim, outDim);
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

  // Additive mask: (1 - mask) · -10000, broadcast over heads and query positions.
  const maskF = g.op('Cast', [mask], { to: DataType.FLOAT });
  const bias = g.op('Unsqueeze', [g.op('Mul', [g.op('Sub', [g.scalar('one_f', 1), maskF]), g.scalar('mask_value', -10000)]), g.int64('axes12', [1, 2])], {}, 'mask_bias');
  const splitShape = g.int64('split_heads_shape', [0, 0, heads, headSize]);
  const mergeShape = g.int64('merge_heads_shape', [0, 0, H]);
  const scale = g.scalar('attention_scale', 1 / Math.sqrt(headSize));

  for (let l = 0; l < c.numLayers; l++) {
    const p = `bert.encoder.layer.${l}`;
    const q = g.op('Transpose', [g.op('Reshape', [linear(h, `${p}.attention.self.query`, H, H), splitShape])], { perm: [0, 2, 1, 3] });
    const kT = g.op('Transpose', [g.op('Reshape', [linear(h, `${p}.attention.self.key`, H, H), splitShape])], { perm: [0, 2, 3, 1] });
    const vv = g.op('Transpose', [g.op('Reshape', [linear(h, `${p}.attention.self.value`, H, H), splitShape])], { perm: [0, 2, 1, 3] });
    const scores = g.op('Add', [g.op('Mul', [g.op('MatMul', [q, kT]), scale]), bias]);
    const probs = g.op('Softmax', [scores], { axis: -1 });
    const context = g.op('Reshape', [g.op('Transpose', [g.op('MatMul', [probs, vv])], { perm: [0, 2, 1, 3] }), mergeShape]);
    const h1 = ln(g.op('Add', [linear(context, `${p}.attention.output.dense`, H, H), h]), `${p}.attention.output.LayerNorm`);
    seqShape(h1);
    const inter = linear(h1, `${p}.intermediate.dense`, H, c.intermediateSize);
    const gelu = g.op('Mul', [g.op('Mul', [inter, g.op('Add', [g.op('Erf', [g.op('Div', [inter, g.scalar('sqrt2', Math.SQRT2)])]), g.scalar('one_g', 1)])]), g.scalar('half', 0.5)]);
    h = ln(g.op('Add', [linear(gelu, `${p}.output.dense`, c.intermediateSize, H), h1]), `${p}.output.LayerNorm`);
    seqShape(h);
  }

  const cls = g.op('Gather', [h, g.initializer('cls_index', DataType.INT64, [], BigInt64Array.of(0n))], { axis: 1 });
  const pooled = g.op('Tanh', [linear(cls, 'bert.pooler.dense', H, H)]);
  const logits = linear(pooled, 'classifier', H, c.numLabels);
  g.node('Identity', [logits], ['logits']);
  g.output('logits', DataType.FLOAT, ['batch', c.numLabels]);
  return g.toBytes({
    graphName: 'encoder_classifier',
    producer: opts.producer ?? 'distill-pipeline',
    opset: 17,
    metadata: opts.labels ? { labels: JSON.stringify(opts.labels) } : {},
  });
}
