/**
 * Prints what, besides code and upstream outputs, determines one stage's output: its slice of the pipeline YAML and a
 * digest of every file or folder its params name (resolved through ${DATA_DIR}). Nx hashes this output (a runtime
 * input), so editing another stage's params leaves this stage cached, and changed data files do not.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findWorkspaceRoot, listFiles, loadPipeline, resolveConfigPath, resolveDataDir, stageSlice } from '@distill/core';

function digest(p: string): string {
  const h = crypto.createHash('sha256');
  const files = fs.statSync(p).isDirectory() ? listFiles(p).map((f) => path.join(p, f)) : [p];
  for (const f of files) h.update(path.relative(p, f)).update(fs.readFileSync(f));
  return h.digest('hex');
}

/**
 * Every string among the params that names an existing file is hashed, whatever its form (`zztrain.tsv` at the root
 * too); a folder only when the value is plainly a path (a separator or ${DATA_DIR}), so a word such as a stage name
 * that happens to match a folder does not hash it.
 */
function referencedFiles(value: unknown, resolve: (s: string) => string, out: Record<string, string>): void {
  if (typeof value === 'string') {
    if (!value || value.includes('\n')) return;
    let full: string;
    try {
      full = resolve(value);
    } catch {
      return; // not a path (e.g. a ${…} the pipeline check reports)
    }
    if (!fs.existsSync(full)) return;
    const pathLike = /[/\\]/.test(value) || value.includes('${DATA_DIR}');
    if (fs.statSync(full).isFile() || pathLike) out[value] = digest(full);
  } else if (Array.isArray(value)) value.forEach((v) => referencedFiles(v, resolve, out));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => referencedFiles(v, resolve, out));
}

export function stageInputs(file: string, stage: string, root = findWorkspaceRoot()): unknown {
  const pipeline = loadPipeline(path.resolve(root, file));
  if (!pipeline.stages[stage]) throw new Error(`${file}: no stage '${stage}'`);
  const dataDir = resolveDataDir(root, pipeline.dataDir);
  const files: Record<string, string> = {};
  referencedFiles(pipeline.stages[stage].params, (s) => resolveConfigPath(s, root, dataDir), files);
  return { slice: stageSlice(pipeline, stage), files };
}

