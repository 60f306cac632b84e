/**
 * A text classifier on ONNX Runtime. A model directory (written by the quantize stage) holds `model.onnx` and/or
 * `model.int8.onnx`, `vocab.txt`, `labels.json` and `serving.json` ({ max_length, lower_case, normalization }). Every
 * text gets the model's normalisation (the one its training data got) and is cut to `max_length` tokens before it
 * reaches the graph, so no query is an error inside ONNX Runtime.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { WordPieceTokenizer, applyNormalization, argmaxRows, classificationMetrics, labelSets, multiLabelMetrics, parseNormalization, predictedSet, readJson, sigmoid, sigmoidAll, type Example, type Normalization } from '@distill/core';

export interface ServingConfig {
  /** the longest input in tokens, [CLS] and [SEP] included: the model's position count */
  max_length: number;
  lower_case: boolean;
  /** the training data's text normalisation; absent in directories written before it was recorded: `none` */
  normalization?: Normalization;
  /** `multi_label_classification`: a sigmoid per label, every label at or above its threshold predicted; absent = single-label */
  problem_type?: 'multi_label_classification';
  /** multi-label: one probability threshold per label (in labels.json order), chosen on valid */
  thresholds?: number[];
}

/** The serving settings as ONNX `metadata_props`, for users of the .onnx file alone (see docs/formats.md). */
export function servingMetadata(s: ServingConfig): Record<string, string> {
  return {
    max_length: String(s.max_length),
    do_lower_case: String(s.lower_case),
    text_normalization: s.normalization ?? 'none',
    tokenizer: 'tokenizer.json',
    ...(s.problem_type ? { problem_type: s.problem_type } : {}),
    ...(s.thresholds ? { thresholds: JSON.stringify(s.thresholds) } : {}),
  };
}

/** What `evaluate` scores: accuracy (multi-label: subset accuracy, the predicted set equal to the gold set) and macro-F1, plus micro-F1 for multi-label. */
export interface EvaluationMetrics {
  accuracy: number;
  macro_f1: number;
  micro_f1?: number;
}

export interface ClassifierOptions {
  /** intra-op threads; 1 keeps latency measurements comparable */
  threads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** write the optimized graph here (to inspect fusions) */
  optimizedModelFilePath?: string;
  /** a batch runs in length-sorted groups of at most this many texts, each padded to its own longest (default 64) */
  groupSize?: number;
  /** the fixed cost of one model run, in tokens of one row (default 8): how much padding is worth saving a run */
  runCostTokens?: number;
  /**
   * whether idle intra-op threads spin waiting for work (ONNX Runtime's default, true): faster alone, but with more
   * threads than free cores (a server beside its load generator) the spinning takes CPU from the work
   */
  spinning?: boolean;
}

export interface Prediction {
  /** the most probable label and its probability */
  label: string;
  score: number;
  top: { label: string; score: number }[];
  /** multi-label: every label whose probability reaches its threshold */
  labels?: string[];
}

export function softmaxRow(logits: Float32Array, offset: number, k: number): number[] {
  let max = -Infinity;
  for (let j = 0; j < k; j++) max = Math.max(max, logits[offset + j]);
  const e = Array.from({ length: k }, (_, j) => Math.exp(logits[offset + j] - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / sum);
}

/**
 * Splits rows into model runs that waste little on padding: sorted by length, cut where the saved padding outweighs
 * the cost of one more run. A run of n rows padded to length L costs `runCostTokens + n × L`; the cuts minimise the
 * total (dynamic programming over the sorted rows, O(n²) for a batch of n). Returns row indices per run.
 */
export function lengthGroups(lengths: readonly number[], maxGroup: number, runCostTokens: number): number[][] {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[a] - lengths[b]);
  const n = order.length;
  const best = new Float64Array(n + 1).fill(Infinity);
  const cut = new Int32Array(n + 1);
  best[0] = 0;
  for (let end = 1; end <= n; end++) {
    const longest = lengths[order[end - 1]];
    for (let start = Math.max(0, end - maxGroup); start < end; start++) {
      const cost = best[start] + runCostTokens + (end - start) * longest;
      if (cost < best[end]) {
        best[end] = cost;
        cut[end] = start;
      }
    }
  }
  const groups: number[][] = [];
  for (let end = n; end > 0; end = cut[end]) groups.unshift(order.slice(cut[end], end));
  return groups;
}

/** The model's inputs for a batch of texts: `input_ids` and `attention_mask` (int64), padded to the longest. */
export function encodeFeeds(tokenizer: WordPieceTokenizer, texts: readonly string[], maxLength: number): Record<string, ort.Tensor> {
  return idsFeeds(texts.map((t) => tokenizer.encode(t, maxLength).ids), tokenizer.padId);
}

/** The model's inputs for already tokenized rows, padded to the longest. */
export function idsFeeds(encoded: readonly (readonly number[])[], padId: number): Record<string, ort.Tensor> {
  const seq = Math.max(...encoded.map((e) => e.length));
  const ids = new BigInt64Array(encoded.length * seq).fill(BigInt(padId));
  const mask = new BigInt64Array(encoded.length * seq);
  encoded.forEach((e, r) => {
    for (let j = 0; j < e.length; j++) {
      ids[r * seq + j] = BigInt(e[j]);
      mask[r * seq + j] = 1n;
    }
  });
  return { input_ids: new ort.Tensor('int64', ids, [encoded.length, seq]), attention_mask: new ort.Tensor('int64', mask, [encoded.length, seq]) };
}

/** Graph outputs beside `logits` of a model with a wide n-gram table: each head's logits alone (their sum is `logits`). */
export const ENCODER_LOGITS = 'encoder_logits';
export const TABLE_LOGITS = 'table_logits';
/** A multi-label model's graph output beside `logits`: each label's sigmoid probability. */
export const PROBABILITIES = 'probabilities';

/** Logits of a model's parts: `both` is the served output; `encoder` and `table` are present for a model with a table. */
export interface ComponentLogits {
  both: Float32Array;
  encoder?: Float32Array;
  table?: Float32Array;
}

export class OnnxClassifier {
  private constructor(
    readonly modelFile: string,
    readonly session: ort.InferenceSession,
    readonly tokenizer: WordPieceTokenizer,
    readonly labels: string[],
    readonly serving: ServingConfig,
    readonly groupSize: number,
    readonly runCostTokens: number,
  ) {}

  /** Loads `modelFile` (an .onnx file inside a model directory). */
  static async load(modelFile: string, options: ClassifierOptions = {}): Promise<OnnxClassifier> {
    const dir = path.dirname(modelFile);
    for (const f of [modelFile, path.join(dir, 'vocab.txt'), path.join(dir, 'labels.json'), path.join(dir, 'serving.json')]) {
      if (!fs.existsSync(f)) throw new Error(`${f}: missing from the model directory`);
    }
    const servingFile = path.join(dir, 'serving.json');
    const serving = readJson<ServingConfig>(servingFile);
    if (!Number.isInteger(serving.max_length) || serving.max_length < 2) throw new Error(`${servingFile}: max_length must be an integer ≥ 2, got ${JSON.stringify(serving.max_length)}`);
    serving.normalization = parseNormalization(serving.normalization, `${servingFile}: normalization`);
    const labels = readJson<string[]>(path.join(dir, 'labels.json'));
    if (serving.problem_type !== undefined && serving.problem_type !== 'multi_label_classification') throw new Error(`${servingFile}: problem_type must be 'multi_label_classification' or absent, got ${JSON.stringify(serving.problem_type)}`);
    if (serving.thresholds !== undefined && (!Array.isArray(serving.thresholds) || serving.thresholds.length !== labels.length || serving.thresholds.some((t) => typeof t !== 'number' || !(t >= 0 && t <= 1)))) {
      throw new Error(`${servingFile}: thresholds must be ${labels.length} numbers in [0, 1], one per label`);
    }
    const tokenizer = WordPieceTokenizer.fromFile(path.join(dir, 'vocab.txt'), { lowerCase: serving.lower_case });
    const session = await ort.InferenceSession.create(modelFile, {
      intraOpNumThreads: options.threads ?? 1,
      interOpNumThreads: 1,
      graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
      executionProviders: ['cpu'],
      ...(options.spinning === false ? { extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } } } : {}),
      ...(options.optimizedModelFilePath ? { optimizedModelFilePath: options.optimizedModelFilePath } : {}),
    });
    const { groupSize = 64, runCostTokens = 8 } = options;
    if (!Number.isInteger(groupSize) || groupSize < 1) throw new Error(`groupSize must be a positive integer, got ${groupSize}`);
    if (!(runCostTokens >= 0)) throw new Error(`runCostTokens must be at least 0, got ${runCostTokens}`);
    return new OnnxClassifier(modelFile, session, tokenizer, labels, serving, groupSize, runCostTokens);
  }

  /**
   * Logits for a batch of texts: [texts.length × labels] row-major, in input order. The texts run in length groups
   * (`lengthGroups`), each padded to its own longest: one long title then pads only its group, not the whole batch
   * (padding to the batch's longest cost the served TNEWS student ~30% of its throughput).
   */
  async logits(texts: readonly string[]): Promise<Float32Array> {
    const k = this.labels.length;
    const encoded = texts.map((t) => this.encode(t));
    const out = new Float32Array(texts.length * k);
    for (const group of lengthGroups(encoded.map((e) => e.length), this.groupSize, this.runCostTokens)) {
      const result = await this.session.run(idsFeeds(group.map((i) => encoded[i]), this.tokenizer.padId), ['logits']);
      const logits = result.logits.data as Float32Array;
      group.forEach((i, r) => out.set(logits.subarray(r * k, (r + 1) * k), i * k));
    }
    return out;
  }

  /** Whether the model outputs its parts' logits apart (a model with a wide n-gram table). */
  get hasComponents(): boolean {
    return this.session.outputNames.includes(ENCODER_LOGITS) && this.session.outputNames.includes(TABLE_LOGITS);
  }

  /** Logits of the whole model and, for a model with a table, of each part alone, for many texts in input order. */
  async componentLogits(texts: readonly string[], batchSize = 64): Promise<ComponentLogits> {
    const k = this.labels.length;
    const names = this.hasComponents ? (['logits', ENCODER_LOGITS, TABLE_LOGITS] as const) : (['logits'] as const);
    const outs = names.map(() => new Float32Array(texts.length * k));
    for (let start = 0; start < texts.length; start += batchSize) {
      const chunk = texts.slice(start, start + batchSize).map((t) => this.encode(t));
      const result = await this.session.run(idsFeeds(chunk, this.tokenizer.padId), [...names]);
      names.forEach((n, j) => outs[j].set(result[n].data as Float32Array, start * k));
    }
    return outs.length === 3 ? { both: outs[0], encoder: outs[1], table: outs[2] } : { both: outs[0] };
  }

  /** A text's input ids: normalised as the training data was, tokenized, cut to `maxLength`. */
  encode(text: string): number[] {
    return this.tokenizer.encode(applyNormalization(text, this.serving.normalization ?? 'none'), this.serving.max_length).ids;
  }

  /** The longest input in tokens ([CLS] and [SEP] included); longer texts are cut. */
  get maxLength(): number {
    return this.serving.max_length;
  }

  /** Logits for many texts, `batchSize` at a time, in input order. */
  async logitsAll(texts: readonly string[], batchSize = 64): Promise<Float32Array> {
    const k = this.labels.length;
    const out = new Float32Array(texts.length * k);
    for (let i = 0; i < texts.length; i += batchSize) out.set(await this.logits(texts.slice(i, i + batchSize)), i * k);
    return out;
  }

  /** Whether the model is multi-label (serving.json `problem_type`). */
  get multiLabel(): boolean {
    return this.serving.problem_type === 'multi_label_classification';
  }

  /** Multi-label: each label's threshold (0.5 where serving.json has none). */
  get thresholds(): number[] {
    return this.serving.thresholds ?? this.labels.map(() => 0.5);
  }

  /** Logits and metrics on labeled rows: accuracy and macro-F1; multi-label: subset accuracy, macro- and micro-F1 at the thresholds. */
  async evaluate(rows: readonly Example[]): Promise<{ logits: Float32Array; metrics: EvaluationMetrics }> {
    const logits = await this.logitsAll(rows.map((r) => r.text));
    if (this.multiLabel) {
      const m = multiLabelMetrics(labelSets(rows), sigmoidAll(logits), this.thresholds, this.labels);
      return { logits, metrics: { accuracy: m.subset_accuracy, macro_f1: m.macro_f1, micro_f1: m.micro_f1 } };
    }
    const m = classificationMetrics(rows.map((r) => r.label), argmaxRows(logits, this.labels.length), this.labels);
    return { logits, metrics: { accuracy: m.accuracy, macro_f1: m.macro_f1 } };
  }

  /** Each text's most probable labels (softmax; multi-label: a sigmoid per label, and `labels` above the thresholds). */
  async classify(texts: readonly string[], topK = 1): Promise<Prediction[]> {
    const k = this.labels.length;
    const logits = await this.logits(texts);
    return texts.map((_, r) => {
      const probs = this.multiLabel ? Array.from(logits.subarray(r * k, (r + 1) * k), sigmoid) : softmaxRow(logits, r * k, k);
      const top = probs
        .map((score, j) => ({ label: this.labels[j], score }))
        .sort((a, b) => b.score - a.score)
        .slice(0, Math.max(1, topK));
      const chosen = this.multiLabel ? { labels: predictedSet(Float32Array.from(probs), 0, this.thresholds).map((j) => this.labels[j]) } : {};
      return { label: top[0].label, score: top[0].score, top, ...chosen };
    });
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
