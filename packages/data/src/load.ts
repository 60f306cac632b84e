/**
 * Loaders for the supported formats. Every row that does not parse is reported with its file and line number
 * (or skipped and counted, with `on_error: skip`).
 */
import { readLines, textProblem } from '@distill/core';
import type { SourceParams } from './config';

export interface RawRow {
  id: string;
  text: string;
  /** label name, or null for unlabeled text */
  label: string | null;
  /** line in the source file */
  line: number;
  /** the row's own readable label name (CLUE `label_desc`), checked against the label file's */
  description?: string;
}

export interface LabelSpec {
  name: string;
  /** verbalizer word for prompt-based training (`label==word` in a label file, Chinese label names for FewCLUE) */
  verbalizer?: string;
  /** readable name (CLUE `label_desc`) */
  description?: string;
}

export interface LoadResult<T> {
  rows: T[];
  skipped: { file: string; line: number; reason: string }[];
  /** texts cut to max_chars */
  truncated?: number;
}

/** How texts longer than `max_chars` are handled (source params). */
export interface LengthPolicy {
  max_chars: number;
  too_long: 'truncate' | 'skip' | 'fail';
}

/** The text to keep under the length policy, or an error for `report` (skip or fail). Counts cuts in `truncated`. */
function withinLength(text: string, policy: LengthPolicy | undefined, counter: { truncated: number }): { text: string } | { error: string } {
  if (!policy) return { text };
  const chars = Array.from(text);
  if (chars.length <= policy.max_chars) return { text };
  if (policy.too_long === 'truncate') {
    counter.truncated += 1;
    return { text: chars.slice(0, policy.max_chars).join('') };
  }
  return { error: `text of ${chars.length} characters, more than max_chars ${policy.max_chars} (too_long: ${policy.too_long})` };
}

class RowErrors {
  readonly skipped: LoadResult<unknown>['skipped'] = [];
  constructor(private readonly mode: 'fail' | 'skip') {}
  report(file: string, line: number, reason: string): void {
    if (this.mode === 'fail') throw new Error(`${file}:${line}: ${reason}`);
    this.skipped.push({ file, line, reason });
  }
}

/** Label list: CLUE `labels.json` (JSON lines `{label, label_desc}`) or `label` / `label==word` lines. */
export function loadLabels(file: string): LabelSpec[] {
  const labels: LabelSpec[] = [];
  readLines(file).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    if (line.startsWith('{')) {
      let obj: Record<string, unknown>;
      try {
        obj = JSON.parse(line);
      } catch (err) {
        throw new Error(`${file}:${i + 1}: invalid JSON: ${(err as Error).message}`);
      }
      if (obj.label === undefined) throw new Error(`${file}:${i + 1}: missing field 'label'`);
      labels.push({
        name: String(obj.label),
        ...(typeof obj.label_desc === 'string' ? { description: obj.label_desc } : {}),
        ...(typeof obj.label_zh === 'string' ? { verbalizer: obj.label_zh } : {}),
      });
      return;
    }
    const [name, word] = line.split('==');
    if (!name.trim()) throw new Error(`${file}:${i + 1}: a label line needs a name before '==' (got '${line}')`);
    labels.push(word ? { name: name.trim(), verbalizer: word.trim() } : { name: name.trim() });
  });
  const names = labels.map((l) => l.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new Error(`${file}: label '${dup}' is listed twice`);
  if (!labels.length) throw new Error(`${file}: no labels`);
  return labels;
}

/** The first key that a flat JSON object line repeats at its top level, or null (JSON.parse keeps the last silently). */
export function duplicateKey(line: string): string | null {
  const seen = new Set<string>();
  let depth = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    else if (c === '"') {
      let j = i + 1;
      while (j < line.length && line[j] !== '"') j += line[j] === '\\' ? 2 : 1;
      const key = line.slice(i + 1, j);
      i = j;
      if (depth !== 1) continue;
      let k = j + 1;
      while (line[k] === ' ' || line[k] === '\t') k++;
      if (line[k] !== ':') continue;
      if (seen.has(key)) return key;
      seen.add(key);
    }
  }
  return null;
}

/** CLUE JSON lines: one object per line with the text and label fields (and optional `id`). */
export function loadClue(file: string, src: Pick<SourceParams, 'text_field' | 'label_field' | 'on_error'> & Partial<LengthPolicy>, labelled = true): LoadResult<RawRow> {
  const errors = new RowErrors(src.on_error);
  const rows: RawRow[] = [];
  const policy = src.max_chars ? { max_chars: src.max_chars, too_long: src.too_long ?? 'truncate' } : undefined;
  const counter = { truncated: 0 };
  readLines(file).forEach((line, i) => {
    if (!line.trim()) return;
    let obj: Record<string, unknown>;
    try {
      obj = JSON.parse(line);
    } catch (err) {
      return errors.report(file, i + 1, `invalid JSON: ${(err as Error).message}`);
    }
    const dup = duplicateKey(line);
    if (dup !== null) return errors.report(file, i + 1, `the key '${dup}' appears twice (which one is meant?)`);
    const raw = obj[src.text_field];
    if (typeof raw !== 'string') return errors.report(file, i + 1, `missing text field '${src.text_field}'`);
    const problem = textProblem(raw);
    if (problem) return errors.report(file, i + 1, problem);
    const kept = withinLength(raw, policy, counter);
    if ('error' in kept) return errors.report(file, i + 1, kept.error);
    const text = kept.text;
    let label: string | null = null;
    if (labelled) {
      const l = obj[src.label_field];
      if (l === undefined || l === null || l === '') return errors.report(file, i + 1, `missing label field '${src.label_field}'`);
      label = String(l);
    }
    const description = typeof obj.label_desc === 'string' ? { description: obj.label_desc } : {};
    rows.push({ id: obj.id !== undefined ? String(obj.id) : `${i + 1}`, text, label, line: i + 1, ...description });
  });
  return { rows, skipped: errors.skipped, truncated: counter.truncated };
}

/** `text<TAB>label` lines. */
export function loadTsv(file: string, onError: 'fail' | 'skip', policy?: LengthPolicy): LoadResult<RawRow> {
  const errors = new RowErrors(onError);
  const rows: RawRow[] = [];
  const counter = { truncated: 0 };
  readLines(file).forEach((line, i) => {
    if (!line.trim()) return;
    const tab = line.lastIndexOf('\t');
    if (tab < 0) return errors.report(file, i + 1, 'expected `text<TAB>label`');
    const label = line.slice(tab + 1).trim();
    if (!label) return errors.report(file, i + 1, 'empty label');
    const problem = textProblem(line.slice(0, tab));
    if (problem) return errors.report(file, i + 1, problem);
    const kept = withinLength(line.slice(0, tab), policy, counter);
    if ('error' in kept) return errors.report(file, i + 1, kept.error);
    rows.push({ id: `${i + 1}`, text: kept.text, label, line: i + 1 });
  });
  return { rows, skipped: errors.skipped, truncated: counter.truncated };
}

/** Unlabeled text: one text per line, or JSON lines carrying `textField`. */
export function loadUnlabeled(file: string, textField: string): LoadResult<RawRow> {
  const lines = readLines(file);
  const json = lines.length > 0 && lines[0].trimStart().startsWith('{');
  if (json) return loadClue(file, { text_field: textField, label_field: '', on_error: 'fail' }, false);
  return { rows: lines.map((text, i) => ({ id: `${i + 1}`, text, label: null, line: i + 1 })).filter((r) => r.text.trim()), skipped: [] };
}

/** The labels of a multi-label field: split, trimmed, deduplicated. */
export function splitLabels(label: string, separator: string): string[] {
  return [...new Set(label.split(separator).map((l) => l.trim()).filter(Boolean))];
}

/**
 * Checks every row's label (each of its labels, with a separator) against the label list; an unknown label names the
 * file and line. Multi-label fields come back canonical: labels in label-list order, joined by the separator.
 */
export function checkLabels(rows: RawRow[], labels: LabelSpec[], file: string, onError: 'fail' | 'skip', separator?: string): LoadResult<RawRow> {
  const order = new Map(labels.map((l, i) => [l.name, i]));
  const described = new Map(labels.filter((l) => l.description).map((l) => [l.name, l.description!]));
  const errors = new RowErrors(onError);
  const kept: RawRow[] = [];
  for (const r of rows) {
    if (r.label === null) {
      kept.push(r);
      continue;
    }
    const parts = separator ? splitLabels(r.label, separator) : [r.label];
    const unknown = parts.find((p) => !order.has(p));
    if (unknown !== undefined) {
      errors.report(file, r.line, `label '${unknown}' is not in the label file`);
      continue;
    }
    const expected = !separator ? described.get(r.label) : undefined;
    if (r.description !== undefined && expected !== undefined && r.description !== expected) {
      errors.report(file, r.line, `label '${r.label}' is '${expected}' in the label file, but this row's label_desc says '${r.description}'`);
      continue;
    }
    kept.push(separator ? { ...r, label: parts.sort((a, b) => order.get(a)! - order.get(b)!).join(separator) } : r);
  }
  return { rows: kept, skipped: errors.skipped };
}
