/**
 * Arrow IPC files are how stages hand data to each other.
 *
 * - datasets: `id` (utf8), `text` (utf8), `label` (int32 index into the label list, -1 when unlabeled),
 *   plus optional extra columns (augment adds `origin_id` and `strategy`);
 * - logits / predictions: `id` (utf8), `logits` (fixed-size list of float32, one value per label).
 *
 * Files are written atomically, and the same content always gives the same bytes.
 */
import * as fs from 'node:fs';
import {
  Field,
  FixedSizeList,
  Float32,
  Int32,
  List,
  Schema,
  Table,
  Utf8,
  Vector,
  makeData,
  makeVector,
  tableFromIPC,
  tableToIPC,
  vectorFromArray,
} from 'apache-arrow';
import { writeFileAtomic } from './fsutil';

export type ColumnSpec =
  | { kind: 'utf8'; values: readonly string[] }
  | { kind: 'int32list'; values: readonly (readonly number[])[] }
  | { kind: 'int32'; values: ArrayLike<number> }
  | { kind: 'float32'; values: ArrayLike<number> }
  | { kind: 'float32xN'; width: number; values: Float32Array };

export const utf8 = (values: readonly string[]): ColumnSpec => ({ kind: 'utf8', values });
export const int32 = (values: ArrayLike<number>): ColumnSpec => ({ kind: 'int32', values });
/** A variable-length list of int32 per row (e.g. the label set of a multi-label row). */
export const int32List = (values: readonly (readonly number[])[]): ColumnSpec => ({ kind: 'int32list', values });
export const float32 = (values: ArrayLike<number>): ColumnSpec => ({ kind: 'float32', values });
/** A row-major matrix stored as one fixed-size list of `width` float32 per row. */
export const float32xN = (values: Float32Array, width: number): ColumnSpec => ({ kind: 'float32xN', width, values });

function toVector(name: string, spec: ColumnSpec): Vector {
  switch (spec.kind) {
    case 'utf8':
      return vectorFromArray(spec.values as string[], new Utf8());
    case 'int32':
      return makeVector(Int32Array.from(spec.values));
    case 'int32list':
      return vectorFromArray(spec.values.map((v) => Int32Array.from(v)), new List(new Field('item', new Int32(), false)));
    case 'float32':
      return makeVector(Float32Array.from(spec.values));
    case 'float32xN': {
      const rows = spec.values.length / spec.width;
      if (!Number.isInteger(rows)) throw new Error(`column ${name}: ${spec.values.length} values is not a multiple of ${spec.width}`);
      const child = makeData({ type: new Float32(), length: spec.values.length, data: spec.values });
      const type = new FixedSizeList(spec.width, new Field('item', new Float32(), false));
      return new Vector([makeData({ type, length: rows, nullCount: 0, child })]);
    }
  }
}

/** Writes columns (all of the same length) to an Arrow IPC file; `metadata` goes into the schema. */
export function writeArrow(file: string, columns: Record<string, ColumnSpec>, metadata: Record<string, string> = {}): void {
  const names = Object.keys(columns);
  const vectors = names.map((n) => toVector(n, columns[n]));
  const lengths = new Set(vectors.map((v) => v.length));
  if (lengths.size > 1) throw new Error(`${file}: columns have different lengths: ${names.map((n, i) => `${n}=${vectors[i].length}`).join(', ')}`);
  const fields = names.map((n, i) => new Field(n, vectors[i].type, false));
  const schema = new Schema(fields, new Map(Object.entries(metadata)));
  const data = Object.fromEntries(names.map((n, i) => [n, vectors[i]]));
  const table = new Table(schema, data);
  writeFileAtomic(file, tableToIPC(table, 'file'));
}

/** A read Arrow file with typed accessors that name the file in their errors. */
export class ArrowFile {
  constructor(readonly file: string, readonly table: Table) {}

  static read(file: string): ArrowFile {
    if (!fs.existsSync(file)) throw new Error(`${file}: no such Arrow file`);
    try {
      return new ArrowFile(file, tableFromIPC(fs.readFileSync(file)));
    } catch (err) {
      throw new Error(`${file}: not a readable Arrow IPC file: ${(err as Error).message}`);
    }
  }

  get numRows(): number {
    return this.table.numRows;
  }

  get metadata(): Map<string, string> {
    return this.table.schema.metadata;
  }

  has(name: string): boolean {
    return this.table.getChild(name) !== null;
  }

  private column(name: string): Vector {
    const col = this.table.getChild(name);
    if (!col) throw new Error(`${this.file}: no column '${name}' (has: ${this.table.schema.fields.map((f) => f.name).join(', ')})`);
    return col;
  }

  strings(name: string): string[] {
    return this.column(name).toArray() as string[];
  }

  ints(name: string): Int32Array {
    return Int32Array.from(this.column(name).toArray() as ArrayLike<number>);
  }

  intLists(name: string): number[][] {
    const col = this.column(name);
    return Array.from({ length: col.length }, (_, i) => Array.from(col.get(i) as ArrayLike<number>));
  }

  floats(name: string): Float32Array {
    return Float32Array.from(this.column(name).toArray() as ArrayLike<number>);
  }

  /** A fixed-size-list float32 column as one row-major matrix. */
  matrix(name: string): { values: Float32Array; width: number; rows: number } {
    const col = this.column(name);
    if (!(col.type instanceof FixedSizeList)) throw new Error(`${this.file}: column '${name}' is not a fixed-size list`);
    const width = col.type.listSize;
    const values = new Float32Array(col.length * width);
    let offset = 0;
    for (const chunk of col.data) {
      const child = chunk.children[0];
      const start = child.offset + chunk.offset * width;
      values.set((child.values as Float32Array).subarray(start, start + chunk.length * width), offset);
      offset += chunk.length * width;
    }
    return { values, width, rows: col.length };
  }
}

/** One labeled (or unlabeled, label -1) example. */
export interface Example {
  id: string;
  text: string;
  label: number;
  /** multi-label datasets: every label index of the row (and `label` is -1) */
  labels?: number[];
}

/** Writes a dataset split; the label names travel in the schema metadata. */
export function writeDataset(file: string, rows: readonly Example[], labels: readonly string[], extra: Record<string, ColumnSpec> = {}): void {
  const multi = rows.some((r) => r.labels !== undefined);
  writeArrow(
    file,
    {
      id: utf8(rows.map((r) => r.id)),
      text: utf8(rows.map((r) => r.text)),
      label: int32(rows.map((r) => r.label)),
      ...(multi ? { labels: int32List(rows.map((r) => r.labels ?? [])) } : {}),
      ...extra,
    },
    { labels: JSON.stringify(labels) },
  );
}

export interface Dataset {
  file: string;
  rows: Example[];
  labels: string[];
  arrow: ArrowFile;
}

export function readDataset(file: string): Dataset {
  const arrow = ArrowFile.read(file);
  const ids = arrow.strings('id');
  const texts = arrow.strings('text');
  const labelIdx = arrow.ints('label');
  const labelsJson = arrow.metadata.get('labels');
  if (!labelsJson) throw new Error(`${file}: schema metadata has no 'labels'`);
  const labels = JSON.parse(labelsJson) as string[];
  const sets = arrow.has('labels') ? arrow.intLists('labels') : null;
  const rows: Example[] = ids.map((id, i) => (sets ? { id, text: texts[i], label: labelIdx[i], labels: sets[i] } : { id, text: texts[i], label: labelIdx[i] }));
  return { file, rows, labels, arrow };
}

/** Logits (or probabilities) per example, as the teacher and every evaluated model write them. */
export function writeLogits(file: string, ids: readonly string[], logits: Float32Array, numLabels: number, metadata: Record<string, string> = {}): void {
  writeArrow(file, { id: utf8(ids), logits: float32xN(logits, numLabels) }, metadata);
}

export function readLogits(file: string): { ids: string[]; logits: Float32Array; numLabels: number } {
  const arrow = ArrowFile.read(file);
  const m = arrow.matrix('logits');
  return { ids: arrow.strings('id'), logits: m.values, numLabels: m.width };
}
