/**
 * Test helpers: Hugging Face checkpoints in their real layouts, written with random weights (ERNIE 3.0's
 * `ernie.`-prefixed names with the task-type embedding, BERT's, sharded, F16/BF16, masked-LM without a pooler), and a
 * reference forward pass over the same weights: plain float64 loops over the PyTorch-layout tensors, written from
 * Hugging Face's `BertModel`/`ErnieModel`, sharing no code with encoder.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Rng, writeSafetensors, type NamedTensor, type TensorMap } from '@distill/core';

export interface HfShape {
  vocab: string[];
  hidden: number;
  layers: number;
  heads: number;
  intermediate: number;
  positions: number;
  types: number;
  tasks: number;
  eps: number;
  labels: string[];
}

export type Weights = Map<string, { shape: number[]; data: Float64Array }>;

/** Random weights under Hugging Face names without the model prefix (`embeddings.…`, `encoder.…`, `pooler.…`, heads). */
export function randomWeights(s: HfShape, seed: number, parts: { pooler?: boolean; classifier?: boolean; mlm?: boolean; taskType?: boolean; scale?: number } = {}): Weights {
  const rng = new Rng(seed);
  const w: Weights = new Map();
  const H = s.hidden;
  const put = (name: string, shape: number[], scale = parts.scale ?? 0.3, offset = 0) =>
    w.set(name, { shape, data: Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => offset + scale * rng.normal()) });
  put('embeddings.word_embeddings.weight', [s.vocab.length, H]);
  put('embeddings.position_embeddings.weight', [s.positions, H]);
  put('embeddings.token_type_embeddings.weight', [s.types, H]);
  if (parts.taskType ?? true) put('embeddings.task_type_embeddings.weight', [s.tasks, H]);
  put('embeddings.LayerNorm.weight', [H], 0.1, 1);
  put('embeddings.LayerNorm.bias', [H], 0.1);
  for (let l = 0; l < s.layers; l++) {
    const p = `encoder.layer.${l}`;
    for (const m of ['query', 'key', 'value']) {
      put(`${p}.attention.self.${m}.weight`, [H, H]);
      put(`${p}.attention.self.${m}.bias`, [H], 0.1);
    }
    put(`${p}.attention.output.dense.weight`, [H, H]);
    put(`${p}.attention.output.dense.bias`, [H], 0.1);
    put(`${p}.attention.output.LayerNorm.weight`, [H], 0.1, 1);
    put(`${p}.attention.output.LayerNorm.bias`, [H], 0.1);
    put(`${p}.intermediate.dense.weight`, [s.intermediate, H]);
    put(`${p}.intermediate.dense.bias`, [s.intermediate], 0.1);
    put(`${p}.output.dense.weight`, [H, s.intermediate]);
    put(`${p}.output.dense.bias`, [H], 0.1);
    put(`${p}.output.LayerNorm.weight`, [H], 0.1, 1);
    put(`${p}.output.LayerNorm.bias`, [H], 0.1);
  }
  if (parts.pooler ?? true) {
    put('pooler.dense.weight', [H, H]);
    put('pooler.dense.bias', [H], 0.1);
  }
  if (parts.classifier ?? true) {
    put('classifier.weight', [s.labels.length, H]);
    put('classifier.bias', [s.labels.length], 0.1);
  }
  if (parts.mlm) {
    put('cls.predictions.transform.dense.weight', [H, H]);
    put('cls.predictions.transform.dense.bias', [H], 0.1);
    put('cls.predictions.transform.LayerNorm.weight', [H], 0.1, 1);
    put('cls.predictions.transform.LayerNorm.bias', [H], 0.1);
    put('cls.predictions.bias', [s.vocab.length], 0.1);
  }
  return w;
}

function f32ToF16(x: number): number {
  const f = new Float32Array([x]);
  const b = new Uint32Array(f.buffer)[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = ((b >>> 23) & 0xff) - 127 + 15;
  const mant = b & 0x7fffff;
  if (exp <= 0) return sign; // the weights here are far from half's subnormals
  if (exp >= 31) return sign | 0x7c00;
  let h = sign | (exp << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h += 1; // round to nearest even
  return h;
}

function f16ToF64(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  return exp === 0 ? sign * frac * 2 ** -24 : sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

export type Layout = { prefix: 'ernie' | 'bert' | ''; dtype: 'F32' | 'F16' | 'BF16'; shards?: number };

/**
 * Writes `w` as a checkpoint directory (config.json, vocab.txt, safetensors in the given dtype and shards). Returns the
 * weights as the file holds them (rounded to F16/BF16), which the reference must use.
 */
export function writeHfCheckpoint(dir: string, s: HfShape, w: Weights, config: Record<string, unknown>, layout: Layout): Weights {
  fs.mkdirSync(dir, { recursive: true });
  const stored: Weights = new Map();
  const tensors: [string, NamedTensor][] = [];
  for (const [name, t] of w) {
    const full = layout.prefix && !/^(classifier|cls)\./.test(name) ? `${layout.prefix}.${name}` : name;
    if (layout.dtype === 'F32') {
      const data = Float32Array.from(t.data);
      tensors.push([full, { dtype: 'F32', shape: t.shape, data }]);
      stored.set(name, { shape: t.shape, data: Float64Array.from(data) });
    } else if (layout.dtype === 'F16') {
      const bits = Uint16Array.from(t.data, (x) => f32ToF16(x));
      tensors.push([full, { dtype: 'F16', shape: t.shape, data: bits }]);
      stored.set(name, { shape: t.shape, data: Float64Array.from(bits, f16ToF64) });
    } else {
      const f = Float32Array.from(t.data);
      const bits = Uint16Array.from(new Uint32Array(f.buffer), (b) => b >>> 16); // truncation: the reference reads the same bits back
      const back = new Float32Array(Uint32Array.from(bits, (b) => b << 16).buffer);
      tensors.push([full, { dtype: 'BF16', shape: t.shape, data: bits }]);
      stored.set(name, { shape: t.shape, data: Float64Array.from(back) });
    }
  }
  const shards = layout.shards ?? 1;
  if (shards === 1) writeSafetensors(path.join(dir, 'model.safetensors'), new Map(tensors), { format: 'pt' });
  else {
    const weightMap: Record<string, string> = {};
    for (let k = 0; k < shards; k++) {
      const file = `model-${String(k + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
      const part: TensorMap = new Map(tensors.filter((_, i) => i % shards === k));
      for (const name of part.keys()) weightMap[name] = file;
      writeSafetensors(path.join(dir, file), part, { format: 'pt' });
    }
    fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }));
  }
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, 2));
  fs.writeFileSync(path.join(dir, 'vocab.txt'), s.vocab.join('\n') + '\n');
  return stored;
}

/** config.json of an ERNIE 3.0 checkpoint (as `nghuyong/ernie-3.0-*-zh` have it) of shape `s`. */
export function ernieConfig(s: HfShape, architecture = 'ErnieForSequenceClassification'): Record<string, unknown> {
  return {
    architectures: [architecture], model_type: 'ernie', vocab_size: s.vocab.length, hidden_size: s.hidden, num_hidden_layers: s.layers,
    num_attention_heads: s.heads, intermediate_size: s.intermediate, max_position_embeddings: s.positions, type_vocab_size: s.types,
    task_type_vocab_size: s.tasks, use_task_id: true, layer_norm_eps: s.eps, hidden_act: 'gelu', hidden_dropout_prob: 0.1,
    attention_probs_dropout_prob: 0.1, initializer_range: 0.02, position_embedding_type: 'absolute', pad_token_id: 0,
    id2label: Object.fromEntries(s.labels.map((l, i) => [String(i), l])), label2id: Object.fromEntries(s.labels.map((l, i) => [l, i])),
  };
}

/** erf to ~1e-15 (a series near 0, a continued fraction beyond), for the exact GELU. */
function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let sum = 0;
    let term = ax;
    for (let n = 0; n < 60; n++) {
      sum += term / (2 * n + 1);
      term *= (-ax * ax) / (n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  let f = 0;
  for (let n = 60; n >= 1; n--) f = n / 2 / (ax + f);
  return Math.sign(x) * (1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f));
}

export interface ReferenceOutput {
  /** embeddings output, then every layer's: [batch][position][hidden] */
  hidden: number[][][][];
  /** [batch][labels], when the weights have a pooler and a classifier */
  logits: number[][] | null;
}

/** Hugging Face's BERT/ERNIE forward pass (eval mode) in float64; the task-type embedding added when present. */
export function referenceForward(w: Weights, s: HfShape, ids: number[][], mask: number[][]): ReferenceOutput {
  const H = s.hidden;
  const get = (n: string) => {
    const t = w.get(n);
    if (!t) throw new Error(`reference: no tensor ${n}`);
    return t.data;
  };
  const linear = (x: number[], name: string, outDim: number) => {
    const W = get(`${name}.weight`);
    const b = get(`${name}.bias`);
    return Array.from({ length: outDim }, (_, j) => x.reduce((acc, xi, i) => acc + xi * W[j * x.length + i], b[j]));
  };
  const layerNorm = (x: number[], name: string) => {
    const g = get(`${name}.weight`);
    const b = get(`${name}.bias`);
    const mean = x.reduce((a, v) => a + v, 0) / x.length;
    const variance = x.reduce((a, v) => a + (v - mean) ** 2, 0) / x.length;
    return x.map((v, i) => ((v - mean) / Math.sqrt(variance + s.eps)) * g[i] + b[i]);
  };
  const row = (name: string, r: number) => Array.from(get(name).subarray(r * H, (r + 1) * H));
  const hidden: number[][][][] = [];
  const logits: number[][] = [];
  const hasTask = w.has('embeddings.task_type_embeddings.weight');
  for (let b = 0; b < ids.length; b++) {
    const seq = ids[b].length;
    let h = ids[b].map((id, t) => {
      const word = row('embeddings.word_embeddings.weight', id);
      const type = row('embeddings.token_type_embeddings.weight', 0);
      const pos = row('embeddings.position_embeddings.weight', t);
      const task = hasTask ? row('embeddings.task_type_embeddings.weight', 0) : new Array(H).fill(0);
      return layerNorm(word.map((v, i) => v + type[i] + pos[i] + task[i]), 'embeddings.LayerNorm');
    });
    const states = [h];
    const dh = H / s.heads;
    for (let l = 0; l < s.layers; l++) {
      const p = `encoder.layer.${l}`;
      const q = h.map((x) => linear(x, `${p}.attention.self.query`, H));
      const k = h.map((x) => linear(x, `${p}.attention.self.key`, H));
      const v = h.map((x) => linear(x, `${p}.attention.self.value`, H));
      const context = h.map((_, t) => {
        const out = new Array(H).fill(0);
        for (let head = 0; head < s.heads; head++) {
          const o = head * dh;
          const scores = k.map((kk, u) => {
            let dot = 0;
            for (let i = 0; i < dh; i++) dot += q[t][o + i] * kk[o + i];
            return mask[b][u] ? dot / Math.sqrt(dh) : -Infinity;
          });
          const max = Math.max(...scores);
          const e = scores.map((x) => Math.exp(x - max));
          const z = e.reduce((a, x) => a + x, 0);
          for (let u = 0; u < seq; u++) for (let i = 0; i < dh; i++) out[o + i] += (e[u] / z) * v[u][o + i];
        }
        return out;
      });
      const attn = context.map((c, t) => layerNorm(linear(c, `${p}.attention.output.dense`, H).map((x, i) => x + h[t][i]), `${p}.attention.output.LayerNorm`));
      h = attn.map((a) => {
        const inter = linear(a, `${p}.intermediate.dense`, s.intermediate).map((x) => 0.5 * x * (1 + erf(x / Math.SQRT2)));
        return layerNorm(linear(inter, `${p}.output.dense`, H).map((x, i) => x + a[i]), `${p}.output.LayerNorm`);
      });
      states.push(h);
    }
    hidden.push(states);
    if (w.has('pooler.dense.weight') && w.has('classifier.weight')) {
      const pooled = linear(h[0], 'pooler.dense', H).map(Math.tanh);
      logits.push(linear(pooled, 'classifier', s.labels.length));
    }
  }
  return { hidden: hidden[0] ? hidden[0].map((_, layer) => hidden.map((hb) => hb[layer])) : [], logits: logits.length ? logits : null };
}
