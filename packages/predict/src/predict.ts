/**
 * Batch prediction: texts from a file (JSON lines, TSV, plain text or Arrow), predicted in batches by an
 * `OnnxClassifier`, written as JSON lines (`{"id", "label", "score", "top": [{label, score}, …]}`, plus `labels` above
 * their thresholds for a multi-label model) or Arrow (`id`, `label`, `score`, and `probs`: every label's probability,
 * labels in the schema metadata). The output is written whole or not at all.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ArrowFile, Progress, float32, float32xN, predictedSet, readLines, sigmoidAll, textProblem, utf8, writeArrow, writeFileAtomic } from '@distill/core';
import { softmaxRow, type OnnxClassifier } from '@distill/runtime';
import type { ReadOptions } from './config';

export interface InputRows {
  ids: string[];
  texts: string[];
  /** blank lines of a text file, skipped and counted */
  skipped_blank: number;
}

export function inputFormat(file: string, format: ReadOptions['format']): Exclude<ReadOptions['format'], 'auto'> {
  if (format !== 'auto') return format;
  const ext = path.extname(file).toLowerCase();
  if (ext === '.jsonl' || ext === '.json') return 'jsonl';
  if (ext === '.tsv') return 'tsv';
  if (ext === '.txt') return 'txt';
  if (ext === '.arrow') return 'arrow';
  throw new Error(`${file}: cannot tell the format from the extension '${ext}' (known: .jsonl, .json, .tsv, .txt, .arrow); give it (--format, or read.format)`);
}

/** The texts (and ids) of a file; a row without a text, bad JSON or invalid text is an error naming the file and line. */
export function readInputs(file: string, o: ReadOptions): InputRows {
  const format = inputFormat(file, o.format);
  const ids: string[] = [];
  const texts: string[] = [];
  let blank = 0;
  const add = (id: string, text: string, where: string) => {
    const problem = textProblem(text);
    if (problem) throw new Error(`${where}: ${problem}`);
    ids.push(id);
    texts.push(text);
  };
  if (format === 'arrow') {
    const a = ArrowFile.read(file);
    const t = a.strings('text');
    const id = a.has('id') ? a.strings('id') : t.map((_, i) => String(i));
    t.forEach((text, i) => add(id[i], text, `${file}: row ${i}`));
    return { ids, texts, skipped_blank: 0 };
  }
  readLines(file).forEach((line, i) => {
    const where = `${file}:${i + 1}`;
    if (!line.trim()) {
      blank += 1;
      return;
    }
    if (format === 'txt') return add(String(i + 1), line, where);
    if (format === 'tsv') {
      const cols = line.split('\t');
      if (o.text_column >= cols.length) throw new Error(`${where}: no column ${o.text_column} (the line has ${cols.length})`);
      return add(String(i + 1), cols[o.text_column], where);
    }
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (err) {
      throw new Error(`${where}: invalid JSON: ${(err as Error).message}`);
    }
    if (!row || typeof row !== 'object' || Array.isArray(row)) throw new Error(`${where}: a JSON line must be an object`);
    const r = row as Record<string, unknown>;
    const field = o.text_field ?? ('text' in r ? 'text' : 'sentence' in r ? 'sentence' : 'text');
    if (typeof r[field] !== 'string') throw new Error(`${where}: no string field '${field}'${o.text_field ? '' : " (nor 'sentence'; give text_field)"}`);
    add(r[o.id_field] !== undefined ? String(r[o.id_field]) : String(i + 1), r[field] as string, where);
  });
  return { ids, texts, skipped_blank: blank };
}

export interface Predictions {
  labels: string[];
  /** [rows × labels] probabilities, row-major (multi-label: a sigmoid per label) */
  probs: Float32Array;
  /** multi-label models: each label's threshold (a text gets every label at or above it) */
  thresholds?: number[];
}

/** Probabilities for every text, `batchSize` at a time, with a progress line. */
export async function predictAll(clf: OnnxClassifier, texts: readonly string[], batchSize: number, progress = true): Promise<Predictions> {
  const k = clf.labels.length;
  const probs = new Float32Array(texts.length * k);
  const bar = progress ? new Progress('predict', texts.length, 'texts') : null;
  for (let start = 0; start < texts.length; start += batchSize) {
    const chunk = texts.slice(start, start + batchSize);
    const logits = await clf.logits(chunk);
    if (clf.multiLabel) probs.set(sigmoidAll(logits), start * k);
    else chunk.forEach((_, r) => probs.set(softmaxRow(logits, r * k, k), (start + r) * k));
    bar?.update(start + chunk.length);
  }
  return { labels: clf.labels, probs, ...(clf.multiLabel ? { thresholds: clf.thresholds } : {}) };
}

function topOf(p: Predictions, row: number, topK: number): { label: string; score: number }[] {
  const k = p.labels.length;
  return p.labels
    .map((label, j) => ({ label, score: p.probs[row * k + j] }))
    .sort((a, b) => b.score - a.score)
    .slice(0, Math.min(topK, k));
}

export function writePredictions(file: string, ids: readonly string[], p: Predictions, format: 'jsonl' | 'arrow', topK: number): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  if (format === 'arrow') {
    const best = ids.map((_, i) => topOf(p, i, 1)[0]);
    writeArrow(file, { id: utf8(ids), label: utf8(best.map((b) => b.label)), score: float32(best.map((b) => b.score)), probs: float32xN(p.probs, p.labels.length) }, { labels: JSON.stringify(p.labels) });
    return;
  }
  const lines = ids.map((id, i) => {
    const top = topOf(p, i, topK);
    const chosen = p.thresholds ? { labels: predictedSet(p.probs, i, p.thresholds).map((j) => p.labels[j]) } : {};
    return JSON.stringify({ id, label: top[0].label, score: top[0].score, top, ...chosen });
  });
  writeFileAtomic(file, lines.join('\n') + (lines.length ? '\n' : ''));
}

/** How many rows went to each label. */
export function labelCounts(p: Predictions): Record<string, number> {
  const k = p.labels.length;
  const counts: Record<string, number> = Object.fromEntries(p.labels.map((l) => [l, 0]));
  for (let i = 0; i < p.probs.length / k; i++) counts[topOf(p, i, 1)[0].label] += 1;
  return counts;
}
