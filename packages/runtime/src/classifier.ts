/**
 * A text classifier on ONNX Runtime. A model directory (written by the quantize stage) holds `model.onnx` and/or
 * `model.int8.onnx`, `vocab.txt`, `labels.json` and `serving.json` ({ max_length, lower_case }).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { WordPieceTokenizer, argmaxRows, classificationMetrics, readJson, type ClassificationMetrics, type Example } from '@distill/core';

export interface ServingConfig {
  max_length: number;
  lower_case: boolean;
}

export interface ClassifierOptions {
  /** intra-op threads; 1 keeps latency measurements comparable */
  threads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** write the optimized graph here (to inspect fusions) */
  optimizedModelFilePath?: string;
}

export interface Prediction {
  label: string;
  score: number;
  top: { label: string; score: number }[];
}

export function softmaxRow(logits: Float32Array, offset: number, k: number): number[] {
  let max = -Infinity;
  for (let j = 0; j < k; j++) max = Math.max(max, logits[offset + j]);
  const e = Array.from({ length: k }, (_, j) => Math.exp(logits[offset + j] - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / sum);
}

/** The model's inputs for a batch of texts: `input_ids` and `attention_mask` (int64), padded to the longest. */
export function encodeFeeds(tokenizer: WordPieceTokenizer, texts: readonly string[], maxLength: number): Record<string, ort.Tensor> {
  const encoded = texts.map((t) => tokenizer.encode(t, maxLength).ids);
  const seq = Math.max(...encoded.map((e) => e.length));
  const ids = new BigInt64Array(texts.length * seq).fill(BigInt(tokenizer.padId));
  const mask = new BigInt64Array(texts.length * seq);
  encoded.forEach((e, r) => {
    for (let j = 0; j < e.length; j++) {
      ids[r * seq + j] = BigInt(e[j]);
      mask[r * seq + j] = 1n;
    }
  });
  return { input_ids: new ort.Tensor('int64', ids, [texts.length, seq]), attention_mask: new ort.Tensor('int64', mask, [texts.length, seq]) };
}

export class OnnxClassifier {
  private constructor(
    readonly modelFile: string,
    readonly session: ort.InferenceSession,
    readonly tokenizer: WordPieceTokenizer,
    readonly labels: string[],
    readonly serving: ServingConfig,
  ) {}

  /** Loads `modelFile` (an .onnx file inside a model directory). */
  static async load(modelFile: string, options: ClassifierOptions = {}): Promise<OnnxClassifier> {
    const dir = path.dirname(modelFile);
    for (const f of [modelFile, path.join(dir, 'vocab.txt'), path.join(dir, 'labels.json'), path.join(dir, 'serving.json')]) {
      if (!fs.existsSync(f)) throw new Error(`${f}: missing from the model directory`);
    }
    const serving = readJson<ServingConfig>(path.join(dir, 'serving.json'));
    const labels = readJson<string[]>(path.join(dir, 'labels.json'));
    const tokenizer = WordPieceTokenizer.fromFile(path.join(dir, 'vocab.txt'), { lowerCase: serving.lower_case });
    const session = await ort.InferenceSession.create(modelFile, {
      intraOpNumThreads: options.threads ?? 1,
      interOpNumThreads: 1,
      graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
      executionProviders: ['cpu'],
      ...(options.optimizedModelFilePath ? { optimizedModelFilePath: options.optimizedModelFilePath } : {}),
    });
    return new OnnxClassifier(modelFile, session, tokenizer, labels, serving);
  }

  /** Logits for a batch of texts, padded to the batch's longest sequence: [texts.length × labels] row-major. */
  async logits(texts: readonly string[]): Promise<Float32Array> {
    if (!texts.length) return new Float32Array(0);
    const out = await this.session.run(encodeFeeds(this.tokenizer, texts, this.serving.max_length));
    return out.logits.data as Float32Array;
  }

  /** Logits for many texts, `batchSize` at a time, in input order. */
  async logitsAll(texts: readonly string[], batchSize = 64): Promise<Float32Array> {
    const k = this.labels.length;
    const out = new Float32Array(texts.length * k);
    for (let i = 0; i < texts.length; i += batchSize) out.set(await this.logits(texts.slice(i, i + batchSize)), i * k);
    return out;
  }

  /** Logits, accuracy and macro-F1 on labeled rows. */
  async evaluate(rows: readonly Example[]): Promise<{ logits: Float32Array; metrics: ClassificationMetrics }> {
    const logits = await this.logitsAll(rows.map((r) => r.text));
    const metrics = classificationMetrics(rows.map((r) => r.label), argmaxRows(logits, this.labels.length), this.labels);
    return { logits, metrics };
  }

  async classify(texts: readonly string[], topK = 1): Promise<Prediction[]> {
    const k = this.labels.length;
    const logits = await this.logits(texts);
    return texts.map((_, r) => {
      const probs = softmaxRow(logits, r * k, k);
      const top = probs
        .map((score, j) => ({ label: this.labels[j], score }))
        .sort((a, b) => b.score - a.score)
        .slice(0, Math.max(1, topK));
      return { label: top[0].label, score: top[0].score, top };
    });
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
