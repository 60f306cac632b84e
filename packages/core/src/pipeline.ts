/**
 * Pipeline definitions (`pipelines/<name>.yaml`): a DAG of named stages, each `uses` one stage package, reads the
 * outputs of the stages named in its `inputs`, and is configured by `params` (validated by that package's schema).
 *
 *   description: what this run is for
 *   seed: 13
 *   backend: auto            # tfjs backend: auto | tfjs-node-gpu | tfjs-node | wasm | cpu
 *   stages:
 *     data:    { uses: data, params: { ... } }
 *     teacher: { uses: teacher, inputs: { data: data }, params: { ... } }
 *
 * Every error names the file, the key path and (where the YAML has it) the line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';

export const STAGE_KINDS = ['data', 'augment', 'teacher', 'distill', 'quantize', 'serve'] as const;
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
  dataDir?: string;
  stages: Record<string, StageDef>;
  /** Stage names, upstream before downstream. */
  order: string[];
  /** the file this one `extends` (absolute path), if any; that file may extend another in turn */
  base?: string;
}

export class PipelineError extends Error {
  constructor(readonly file: string, readonly keyPath: (string | number)[], message: string, readonly line?: number) {
    super(`${file}${line ? `:${line}` : ''}: ${keyPath.length ? keyPath.join('.') + ': ' : ''}${message}`);
    this.name = 'PipelineError';
  }
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
  return { value: doc.toJS(), lineOf };
}

function zodToError(file: string, err: z.ZodError, lineOf: LineOf, prefix: (string | number)[] = []): PipelineError {
  const issue = err.issues[0];
  let keyPath = [...prefix, ...(issue.path as (string | number)[])];
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    keyPath = [...keyPath, issue.keys[0]];
    message = `unknown key '${issue.keys[0]}'`;
  }
  return new PipelineError(file, keyPath, message, lineOf(keyPath));
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
  const baseValue = readRaw(baseFile, [...seen, path.resolve(file)]).value;
  const { extends: _ignored, ...rest } = obj;
  return { value: deepMerge(baseValue, rest) as Record<string, unknown>, lineOf, base: baseFile };
}

/** The stages that must finish before `def` runs: those it reads (`inputs`) and those it only waits for (`after`). */
export function runsAfter(def: StageDef): string[] {
  return [...new Set([...Object.values(def.inputs), ...def.after])];
}

/** Topological order of the stages; throws on a reference to a missing stage or a cycle. */
function orderStages(file: string, stages: Record<string, StageDef>, lineOf: LineOf): string[] {
  for (const [name, def] of Object.entries(stages)) {
    for (const [role, up] of Object.entries(def.inputs)) {
      if (!(up in stages)) {
        const keyPath = ['stages', name, 'inputs', role];
        throw new PipelineError(file, keyPath, `no stage named '${up}' (stages: ${Object.keys(stages).join(', ')})`, lineOf(keyPath));
      }
    }
    def.after.forEach((up, i) => {
      if (!(up in stages)) {
        const keyPath = ['stages', name, 'after', i];
        throw new PipelineError(file, keyPath, `no stage named '${up}' (stages: ${Object.keys(stages).join(', ')})`, lineOf(keyPath));
      }
    });
  }
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
  const { value, lineOf, base } = readRaw(file);
  const parsed = pipelineSchema.safeParse(value);
  if (!parsed.success) throw zodToError(file, parsed.error, lineOf);
  const cfg = parsed.data;
  if (!Object.keys(cfg.stages).length) throw new PipelineError(file, ['stages'], 'a pipeline needs at least one stage', lineOf(['stages']));
  for (const [name, def] of Object.entries(cfg.stages)) {
    const schema = paramsSchemas[def.uses];
    if (!schema) continue;
    const res = schema.safeParse(def.params);
    if (!res.success) throw zodToError(file, res.error, lineOf, ['stages', name, 'params']);
  }
  const order = orderStages(file, cfg.stages, lineOf);
  return {
    name: path.basename(file).replace(/\.ya?ml$/, ''),
    file,
    description: cfg.description,
    seed: cfg.seed,
    backend: cfg.backend,
    dataDir: cfg.data_dir,
    stages: cfg.stages,
    order,
    ...(base ? { base } : {}),
  };
}

/** Validates one stage's params with its package's schema; the error names the file and key path. */
export function stageParams<S extends z.ZodType>(pipeline: Pipeline, stage: string, schema: S): z.infer<S> {
  const def = pipeline.stages[stage];
  if (!def) throw new PipelineError(pipeline.file, ['stages', stage], `no such stage (stages: ${pipeline.order.join(', ')})`);
  const res = schema.safeParse(def.params);
  if (!res.success) throw zodToError(pipeline.file, res.error, () => undefined, ['stages', stage, 'params']);
  return res.data;
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
  return { stage, uses: def.uses, inputs: def.inputs, params: def.params, seed: pipeline.seed, backend: pipeline.backend };
}

/** Output directory of a stage: `artifacts/<pipeline>/<stage>`. */
export function stageDir(workspaceRoot: string, pipelineName: string, stage: string): string {
  return path.join(workspaceRoot, 'artifacts', pipelineName, stage);
}
