/**
 * Pipeline definitions (`pipelines/<name>.yaml`): a DAG of named stages, each `uses` one stage package, reads the
 * outputs of the stages named in its `inputs`, and is configured by `params` (validated by that package's schema).
 *
 *   description: what this run is for
 *   seed: 13
 *   backend: auto            # tfjs backend: auto | tfjs-node-gpu | tfjs-node | wasm | cpu
 *   matmul: fp32             # native matmul inputs: fp32 | bf16 | auto (bf16 where the CPU has AVX-512 BF16)
 *   stages:
 *     data:    { uses: data, params: { ... } }
 *     teacher: { uses: teacher, inputs: { data: data }, params: { ... } }
 *     split:                 # `foreach` (as DVC's): one stage per item, split-0, split-1, …, ${item} substituted
 *       foreach: [0, 1]
 *       uses: data
 *       params: { source: { train: train_${item}.json } }
 *
 * Every error names the file, the key path and (where the YAML has it) the line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';

/**
 * The native matmul's inputs (packages/model/src/native-kernels.ts): float32, or rounded to bfloat16 with float32
 * accumulation (twice the multiply-adds per instruction on AVX-512 BF16); `auto` is bf16 where the CPU has it.
 */
export const MATMUL_PRECISIONS = ['fp32', 'bf16', 'auto'] as const;
export type MatmulPrecision = (typeof MATMUL_PRECISIONS)[number];

export const STAGE_KINDS = ['data', 'augment', 'teacher', 'distill', 'prune', 'quantize', 'serve', 'predict'] as const;
export type StageKind = (typeof STAGE_KINDS)[number];
export const BACKENDS = ['auto', 'tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

const NAME = /^[a-z][a-z0-9_-]*$/;

const stageSchema = z
  .object({
    uses: z.enum(STAGE_KINDS),
    description: z.string().optional(),
    inputs: z.record(z.string().regex(NAME, 'input roles are lower-case names'), z.string()).default({}),
    /** stages that must finish first although this one reads nothing of theirs (so that a benchmark runs alone) */
    after: z.array(z.string()).default([]),
    params: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

const pipelineSchema = z
  .object({
    description: z.string().optional(),
    extends: z.string().optional(),
    seed: z.number().int().nonnegative().default(13),
    backend: z.enum(BACKENDS).default('auto'),
    matmul: z.enum(MATMUL_PRECISIONS).default('fp32'),
    data_dir: z.string().optional(),
    stages: z.record(z.string().regex(NAME, 'stage names are lower-case letters, digits, - and _'), stageSchema),
  })
  .strict();

export type StageDef = z.infer<typeof stageSchema>;
export interface Pipeline {
  name: string;
  file: string;
  description?: string;
  seed: number;
  backend: BackendName;
  /** the native matmul's input precision for the stages that train (DISTILL_MATMUL overrides it) */
  matmul: MatmulPrecision;
  dataDir?: string;
  stages: Record<string, StageDef>;
  /** Stage names, upstream before downstream. */
  order: string[];
  /** the file this one `extends` (absolute path), if any; that file may extend another in turn */
  base?: string;
}

/** One thing wrong in a pipeline file: where (key path, line) and what. */
export interface PipelineProblem {
  keyPath: (string | number)[];
  message: string;
  line?: number;
}

function problemText(file: string, p: PipelineProblem): string {
  return `${file}${p.line ? `:${p.line}` : ''}: ${p.keyPath.length ? p.keyPath.join('.') + ': ' : ''}${p.message}`;
}

/** Everything wrong in one pipeline file, one `file:line: key.path: message` line each. */
export class PipelineError extends Error {
  readonly problems: PipelineProblem[];
  constructor(readonly file: string, keyPath: (string | number)[], message: string, line?: number, more: PipelineProblem[] = []) {
    const problems = [{ keyPath, message, line }, ...more];
    super(problems.length === 1 ? problemText(file, problems[0]) : `${problems.length} problems in ${file}:\n${problems.map((p) => `  ${problemText(file, p)}`).join('\n')}`);
    this.name = 'PipelineError';
    this.problems = problems;
  }

  get keyPath(): (string | number)[] {
    return this.problems[0].keyPath;
  }

  get line(): number | undefined {
    return this.problems[0].line;
  }

  static of(file: string, problems: PipelineProblem[]): PipelineError {
    const [first, ...more] = problems;
    return new PipelineError(file, first.keyPath, first.message, first.line, more);
  }
}

/** Edit distance, for "did you mean" suggestions. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  }
  return d[a.length][b.length];
}

/** ` (did you mean 'x'?)` when one of `known` is close to `word`, else ''. */
export function didYouMean(word: string, known: readonly string[]): string {
  let best: { name: string; d: number } | null = null;
  for (const name of known) {
    const d = distance(word, name);
    if (!best || d < best.d) best = { name, d };
  }
  return best && best.d <= Math.max(2, Math.floor(word.length / 3)) ? ` (did you mean '${best.name}'?)` : '';
}

/** The parts of a zod 4 schema's definition that the help text and the "did you mean" read. */
interface ZodDef {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  defaultValue?: unknown;
  entries?: Record<string, string>;
  options?: z.ZodType[];
  values?: unknown[];
  valueType?: z.ZodType;
  element?: z.ZodType;
  in?: z.ZodType;
}

const zodDef = (t: z.ZodType): ZodDef => (t as unknown as { _zod: { def: ZodDef } })._zod.def;

/** One line per top-level parameter of a stage's params schema: name, type and default (for a CLI's --help). */
export function describeParams(schema: z.ZodType): string[] {
  const describe = (t: z.ZodType): { type: string; dflt?: unknown; optional: boolean } => {
    const d = zodDef(t);
    if (d.type === 'default' || d.type === 'prefault') {
      const inner = describe(d.innerType!);
      const value = typeof d.defaultValue === 'function' ? (d.defaultValue as () => unknown)() : d.defaultValue;
      return { ...inner, dflt: value, optional: true };
    }
    if (d.type === 'optional' || d.type === 'nullable') return { ...describe(d.innerType!), optional: true };
    if (d.type === 'enum') return { type: Object.values(d.entries ?? {}).join(' | '), optional: false };
    if (d.type === 'literal') return { type: (d.values ?? []).map(String).join(' | '), optional: false };
    if (d.type === 'union') return { type: (d.options ?? []).map((o) => describe(o).type).join(' | '), optional: false };
    return { type: d.type, optional: false };
  };
  const top = zodDef(schema);
  const shape = top.type === 'object' ? top.shape ?? {} : {};
  return Object.entries(shape).map(([key, t]) => {
    const x = describe(t);
    const dflt = x.dflt !== undefined && typeof x.dflt !== 'object' ? ` (default ${JSON.stringify(x.dflt)})` : x.optional ? ' (optional)' : ' (required)';
    return `${key}: ${x.type}${dflt}`;
  });
}

/** The keys an object schema at `keyPath` inside `schema` accepts (zod 4 definitions), when it can be found. */
function schemaKeysAt(schema: z.ZodType, keyPath: readonly (string | number)[]): string[] {
  const unwrap = (t: z.ZodType): z.ZodType[] => {
    const d = zodDef(t);
    if (d.innerType) return unwrap(d.innerType);
    if (d.type === 'pipe' && d.in) return unwrap(d.in);
    if (d.type === 'union' && d.options) return d.options.flatMap(unwrap);
    return [t];
  };
  let nodes = unwrap(schema);
  for (const key of keyPath) {
    nodes = nodes.flatMap((t) => {
      const d = zodDef(t);
      if (d.type === 'object' && d.shape && typeof key === 'string' && key in d.shape) return unwrap(d.shape[key]);
      if (d.type === 'record' && d.valueType) return unwrap(d.valueType);
      if (d.type === 'array' && d.element) return unwrap(d.element);
      return [];
    });
  }
  return [...new Set(nodes.flatMap((t) => (zodDef(t).type === 'object' ? Object.keys(zodDef(t).shape ?? {}) : [])))];
}

type LineOf = (keyPath: (string | number)[]) => number | undefined;

function parseYaml(file: string, text: string): { value: unknown; lineOf: LineOf } {
  const lineCounter = new LineCounter();
  // merge: `<<: *anchor` lets stages share params (YAML 1.1 merge keys)
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, merge: true });
  if (doc.errors.length) {
    const e = doc.errors[0];
    throw new PipelineError(file, [], `invalid YAML: ${e.message.split('\n')[0]}`, e.linePos?.[0].line);
  }
  const lineOf: LineOf = (keyPath) => {
    for (let n = keyPath.length; n > 0; n--) {
      const node = doc.getIn(keyPath.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node && node.range) return lineCounter.linePos(node.range[0]).line;
      // Unknown keys: point at the key itself within its parent map.
      const parent = doc.getIn(keyPath.slice(0, n - 1), true) as { items?: { key: { value: unknown; range?: [number, number, number] } }[] } | undefined;
      const item = parent?.items?.find((it) => it.key?.value === keyPath[n - 1]);
      if (item?.key?.range) return lineCounter.linePos(item.key.range[0]).line;
    }
    return undefined;
  };
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    // e.g. an alias bomb: aliases that expand to more than maxAliasCount nodes
    throw new PipelineError(file, [], `invalid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  return { value, lineOf };
}

/** Every issue of a failed validation as a problem with its key path, line and, for unknown keys, a suggestion. */
function zodProblems(err: z.ZodError, lineOf: LineOf, schema: z.ZodType, prefix: (string | number)[] = []): PipelineProblem[] {
  const out: PipelineProblem[] = [];
  for (const issue of err.issues) {
    const at = issue.path as (string | number)[];
    if (issue.code === 'unrecognized_keys') {
      const known = schemaKeysAt(schema, at);
      for (const key of issue.keys) {
        const keyPath = [...prefix, ...at, key];
        const hint = didYouMean(key, known) || (known.length ? ` (keys: ${known.join(', ')})` : '');
        out.push({ keyPath, message: `unknown key '${key}'${hint}`, line: lineOf(keyPath) });
      }
      continue;
    }
    const keyPath = [...prefix, ...at];
    const inner = (issue as { issues?: { message: string }[] }).issues;
    const message = issue.code === 'invalid_key' && inner?.length ? `invalid name: ${inner[0].message}` : issue.message;
    out.push({ keyPath, message, line: lineOf(keyPath) });
  }
  return out;
}

function zodToError(file: string, err: z.ZodError, lineOf: LineOf, schema: z.ZodType, prefix: (string | number)[] = []): PipelineError {
  return PipelineError.of(file, zodProblems(err, lineOf, schema, prefix));
}

function deepMerge(base: unknown, over: unknown): unknown {
  if (over === null) return undefined;
  if (typeof base !== 'object' || base === null || Array.isArray(base)) return over;
  if (typeof over !== 'object' || Array.isArray(over)) return over;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over as Record<string, unknown>)) {
    const merged = deepMerge(out[k], v);
    if (merged === undefined) delete out[k];
    else out[k] = merged;
  }
  return out;
}

/** Reads the raw YAML of a pipeline, following `extends` (the base file's keys, overridden key by key; `null` removes). */
function readRaw(file: string, seen: string[] = []): { value: Record<string, unknown>; lineOf: LineOf; base?: string } {
  if (!fs.existsSync(file)) throw new PipelineError(file, [], 'pipeline file not found');
  const { value, lineOf } = parseYaml(file, fs.readFileSync(file, 'utf8'));
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new PipelineError(file, [], 'a pipeline is a YAML mapping');
  const obj = value as Record<string, unknown>;
  if (obj.extends === undefined) return { value: obj, lineOf };
  if (typeof obj.extends !== 'string') throw new PipelineError(file, ['extends'], 'expected the path of another pipeline file', lineOf(['extends']));
  const baseFile = path.resolve(path.dirname(file), obj.extends);
  if (seen.includes(baseFile)) throw new PipelineError(file, ['extends'], `extends cycle: ${[...seen, baseFile].map((f) => path.basename(f)).join(' → ')}`, lineOf(['extends']));
  if (!fs.existsSync(baseFile)) throw new PipelineError(file, ['extends'], `no pipeline file ${path.relative(path.dirname(file), baseFile) || baseFile} to extend (looked for ${baseFile})`, lineOf(['extends']));
  const baseValue = readRaw(baseFile, [...seen, path.resolve(file)]).value;
  const { extends: _ignored, ...rest } = obj;
  return { value: deepMerge(baseValue, rest) as Record<string, unknown>, lineOf, base: baseFile };
}

const ITEM = /^[a-z0-9_]+$/;

/**
 * `${item}` replaced by `item` in every string of `value`; a string that is `${item}` alone takes the item itself, so
 * that a number item gives a number parameter (`k: ${item}` with `foreach: [8, 16]` is `k: 8`).
 */
function substituteItem(value: unknown, item: string | number): unknown {
  if (value === '${item}') return item;
  if (typeof value === 'string') return value.replaceAll('${item}', String(item));
  if (Array.isArray(value)) return value.map((v) => substituteItem(v, item));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteItem(v, item)]));
  return value;
}

/**
 * Stages with `foreach: [items]` become one stage per item, named `<stage>-<item>`, with `${item}` replaced in each
 * string of the stage (inputs, params, description, after), as DVC's `foreach` stages. Items are lower-case names or
 * numbers, so that every stage name stays a name. Returns the stages and, for line numbers, the written stage each
 * generated one comes from.
 */
function expandForeach(file: string, value: Record<string, unknown>, lineOf: LineOf): { value: Record<string, unknown>; templateOf: Map<string, string> } {
  const templateOf = new Map<string, string>();
  const stages = value.stages;
  if (!stages || typeof stages !== 'object' || Array.isArray(stages)) return { value, templateOf };
  const out: Record<string, unknown> = {};
  const problems: PipelineProblem[] = [];
  for (const [name, def] of Object.entries(stages as Record<string, unknown>)) {
    const items = (def as { foreach?: unknown } | null)?.foreach;
    if (items === undefined) {
      if (name in out) problems.push({ keyPath: ['stages', name], message: `stage '${name}' is also generated by a foreach stage ('${templateOf.get(name)}')`, line: lineOf(['stages', name]) });
      out[name] = def;
      continue;
    }
    const keyPath = ['stages', name, 'foreach'];
    if (!Array.isArray(items) || !items.length || items.some((i) => (typeof i !== 'string' && typeof i !== 'number') || !ITEM.test(String(i)))) {
      problems.push({ keyPath, message: 'foreach: a non-empty list of items, each a number or a lower-case name (letters, digits, _)', line: lineOf(keyPath) });
      continue;
    }
    const { foreach: _items, ...template } = def as Record<string, unknown>;
    for (const item of items as (string | number)[]) {
      const generated = `${name}-${item}`;
      if (generated in out) {
        problems.push({ keyPath, message: `foreach item '${item}' makes stage '${generated}', which already exists`, line: lineOf(keyPath) });
        continue;
      }
      out[generated] = substituteItem(template, item);
      templateOf.set(generated, name);
    }
  }
  if (problems.length) throw PipelineError.of(file, problems);
  return { value: { ...value, stages: out }, templateOf };
}

/** The stages that must finish before `def` runs: those it reads (`inputs`) and those it only waits for (`after`). */
export function runsAfter(def: StageDef): string[] {
  return [...new Set([...Object.values(def.inputs), ...def.after])];
}

/**
 * The kind of stage an input role must name, per stage kind (roles not listed take any kind): a quantize stage's
 * `student` is a distill stage and its `teacher` a teacher stage, so swapping them is an error, not an INT8 teacher
 * served as the student.
 */
const ROLE_KINDS: Partial<Record<StageKind, Record<string, readonly StageKind[]>>> = {
  augment: { data: ['data'], mlm: ['teacher'] },
  teacher: { data: ['data'], augment: ['augment'], pretrained: ['teacher'] },
  distill: { data: ['data'], teacher: ['teacher'], augment: ['augment'], student: ['distill', 'prune'] },
  prune: { data: ['data'], model: ['distill', 'teacher'] },
  quantize: { data: ['data'], teacher: ['teacher'], student: ['distill'] },
  serve: { data: ['data'], models: ['quantize'], ablation: ['quantize'], baselines: ['teacher'] },
  predict: { model: ['quantize'] },
};

/** Topological order of the stages; throws on a reference to a missing stage or a cycle. */
function orderStages(file: string, stages: Record<string, StageDef>, lineOf: LineOf, problems: PipelineProblem[]): string[] {
  const names = Object.keys(stages);
  const missing = (up: string) => `no stage named '${up}'${didYouMean(up, names)} (stages: ${names.join(', ')})`;
  for (const [name, def] of Object.entries(stages)) {
    for (const [role, up] of Object.entries(def.inputs)) {
      const keyPath = ['stages', name, 'inputs', role];
      if (!(up in stages)) problems.push({ keyPath, message: missing(up), line: lineOf(keyPath) });
      const kinds = ROLE_KINDS[def.uses]?.[role];
      if (up in stages && kinds && !kinds.includes(stages[up].uses)) {
        problems.push({ keyPath, message: `a ${def.uses} stage's '${role}' input is a ${kinds.join(' or ')} stage; '${up}' is a ${stages[up].uses} stage`, line: lineOf(keyPath) });
      }
    }
    def.after.forEach((up, i) => {
      const keyPath = ['stages', name, 'after', i];
      if (!(up in stages)) problems.push({ keyPath, message: missing(up), line: lineOf(keyPath) });
    });
  }
  if (problems.length) throw PipelineError.of(file, problems);
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, trail: string[]) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      const cycle = [...trail.slice(trail.indexOf(name)), name];
      const keyPath = ['stages', cycle[0], 'inputs'];
      throw new PipelineError(file, keyPath, `cycle: ${cycle.join(' → ')}`, lineOf(keyPath));
    }
    state.set(name, 'visiting');
    for (const up of runsAfter(stages[name])) visit(up, [...trail, name]);
    state.set(name, 'done');
    order.push(name);
  };
  for (const name of Object.keys(stages)) visit(name, []);
  return order;
}

/** A params schema per stage package, used to validate each stage's `params`. */
export type ParamsSchemas = Partial<Record<StageKind, z.ZodType>>;

/**
 * Loads and validates a pipeline file. With `paramsSchemas`, every stage's params are validated too
 * (unknown keys, wrong types and missing required keys are errors).
 */
export function loadPipeline(file: string, paramsSchemas: ParamsSchemas = {}): Pipeline {
  const raw = readRaw(file);
  const { base } = raw;
  const { value, templateOf } = expandForeach(file, raw.value, raw.lineOf);
  // a generated stage's problems point at the lines of the stage it is written as
  const lineOf: LineOf = (keyPath) => raw.lineOf(keyPath[0] === 'stages' && typeof keyPath[1] === 'string' && templateOf.has(keyPath[1]) ? ['stages', templateOf.get(keyPath[1])!, ...keyPath.slice(2)] : keyPath);
  const parsed = pipelineSchema.safeParse(value);
  if (!parsed.success) {
    // the file's own keys are wrong; the params of the stages that did parse are checked too, so one run shows all
    const problems = zodProblems(parsed.error, lineOf, pipelineSchema);
    const stages = (value as { stages?: unknown }).stages;
    if (stages && typeof stages === 'object') {
      for (const [name, def] of Object.entries(stages as Record<string, unknown>)) {
        const one = stageSchema.safeParse(def);
        const schema = one.success ? paramsSchemas[one.data.uses] : undefined;
        const res = schema?.safeParse(one.data!.params);
        if (res && !res.success) problems.push(...zodProblems(res.error, lineOf, schema!, ['stages', name, 'params']));
      }
    }
    throw PipelineError.of(file, problems);
  }
  const cfg = parsed.data;
  if (!Object.keys(cfg.stages).length) throw new PipelineError(file, ['stages'], 'a pipeline needs at least one stage', lineOf(['stages']));
  const problems: PipelineProblem[] = [];
  // the name becomes artifacts/<name>/ and an Nx project: no dots or separators that could leave artifacts/
  const name = path.basename(file).replace(/\.ya?ml$/, '');
  if (!NAME.test(name)) problems.push({ keyPath: [], message: `the file name '${name}' is no pipeline name: lower-case letters, digits, - and _, starting with a letter` });
  // `report` is the pipeline's own last target (report.json); a stage of that name would replace it
  if ('report' in cfg.stages) problems.push({ keyPath: ['stages', 'report'], message: "'report' is reserved for the pipeline's report target; name the stage otherwise", line: lineOf(['stages', 'report']) });
  for (const [name, def] of Object.entries(cfg.stages)) {
    const schema = paramsSchemas[def.uses];
    if (!schema) continue;
    const res = schema.safeParse(def.params);
    if (!res.success) problems.push(...zodProblems(res.error, lineOf, schema, ['stages', name, 'params']));
  }
  // ${…} in a value: only ${DATA_DIR} is substituted (paths.ts); anything else is a mistake to point at now
  const variables = (value: unknown, keyPath: (string | number)[]): void => {
    if (typeof value === 'string') {
      for (const m of value.matchAll(/\$\{([^}]*)\}/g)) {
        if (m[1] !== 'DATA_DIR') problems.push({ keyPath, message: `'\${${m[1]}}': only \${DATA_DIR} is substituted in pipeline files (and \${item} in a foreach stage)`, line: lineOf(keyPath) });
      }
    } else if (Array.isArray(value)) value.forEach((v, i) => variables(v, [...keyPath, i]));
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) variables(v, [...keyPath, k]);
  };
  for (const [name, def] of Object.entries(cfg.stages)) variables(def.params, ['stages', name, 'params']);
  if (cfg.data_dir) variables(cfg.data_dir, ['data_dir']);
  const order = orderStages(file, cfg.stages, lineOf, problems);
  return {
    name,
    file,
    description: cfg.description,
    seed: cfg.seed,
    backend: cfg.backend,
    matmul: cfg.matmul,
    dataDir: cfg.data_dir,
    stages: cfg.stages,
    order,
    ...(base ? { base } : {}),
  };
}

/** Validates one stage's params with its package's schema; the error names the file and key path. */
export function stageParams<S extends z.ZodType>(pipeline: Pipeline, stage: string, schema: S): z.infer<S> {
  const def = pipeline.stages[stage];
  if (!def) throw new PipelineError(pipeline.file, ['stages', stage], `no such stage${didYouMean(stage, pipeline.order)} (stages: ${pipeline.order.join(', ')})`);
  const res = schema.safeParse(def.params);
  if (!res.success) throw zodToError(pipeline.file, res.error, lineOfStage(pipeline.file), schema, ['stages', stage, 'params']);
  return res.data;
}

/** Line numbers of a pipeline file's keys (re-read: a loaded Pipeline keeps only values). */
function lineOfStage(file: string): LineOf {
  try {
    return parseYaml(file, fs.readFileSync(file, 'utf8')).lineOf;
  } catch {
    return () => undefined;
  }
}

/** Every stage upstream of `stage` (transitively), in pipeline order. */
export function upstreamOf(pipeline: Pipeline, stage: string): string[] {
  const seen = new Set<string>();
  const walk = (s: string) => {
    for (const up of Object.values(pipeline.stages[s].inputs)) {
      if (!seen.has(up)) {
        seen.add(up);
        walk(up);
      }
    }
  };
  walk(stage);
  return pipeline.order.filter((s) => seen.has(s));
}

/**
 * What determines a stage's output besides code and upstream outputs: its own definition and the pipeline-wide
 * settings it sees. This (not the whole file) is what the Nx cache hashes for the stage.
 */
export function stageSlice(pipeline: Pipeline, stage: string): unknown {
  const def = pipeline.stages[stage];
  return { stage, uses: def.uses, inputs: def.inputs, params: def.params, seed: pipeline.seed, backend: pipeline.backend, ...(pipeline.matmul !== 'fp32' ? { matmul: pipeline.matmul } : {}) };
}

/** Output directory of a stage: `artifacts/<pipeline>/<stage>`. */
export function stageDir(workspaceRoot: string, pipelineName: string, stage: string): string {
  return path.join(workspaceRoot, 'artifacts', pipelineName, stage);
}
