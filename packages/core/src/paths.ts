/** Where things are: the workspace root, the data directory, and paths written in pipeline files. */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The directory holding `nx.json`, searched upward from `from`. */
export function findWorkspaceRoot(from = process.cwd()): string {
  let dir = path.resolve(from);
  for (;;) {
    if (fs.existsSync(path.join(dir, 'nx.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no nx.json found in ${from} or any parent directory`);
    dir = parent;
  }
}

export const DATA_DIR_ENV = 'DISTILL_DATA_DIR';

/**
 * The data directory: `$DISTILL_DATA_DIR` if set, else the pipeline's `data_dir`, else `../shared/data` beside the
 * workspace. Relative paths are taken from the workspace root.
 */
export function resolveDataDir(workspaceRoot: string, pipelineDataDir?: string): string {
  const chosen = process.env[DATA_DIR_ENV] || pipelineDataDir || '../shared/data';
  return path.resolve(workspaceRoot, chosen);
}

/** Resolves a path from a pipeline file: `${DATA_DIR}` is the data directory; relative paths start at the workspace root. */
export function resolveConfigPath(p: string, workspaceRoot: string, dataDir: string): string {
  const replaced = p.replace(/\$\{DATA_DIR\}/g, dataDir);
  if (/\$\{[^}]*\}/.test(replaced)) throw new Error(`path '${p}': only \${DATA_DIR} can be substituted`);
  return path.resolve(workspaceRoot, replaced);
}
