/** `manifest.json`, written by every stage: what it read, its parameters, what it wrote, how long it took, on what. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { listFiles, writeJsonAtomic } from './fsutil';

export interface StageManifest {
  pipeline: string;
  stage: string;
  uses: string;
  inputs: Record<string, string>;
  params: unknown;
  /** the dataset files this stage read (workspace-relative), as recorded by the stage harness */
  reads?: string[];
  seed: number;
  files: { path: string; bytes: number }[];
  seconds: number;
  /** when the stage finished (ISO 8601), and the git commit its code came from: which run a stage's output is from */
  finished_at?: string;
  git_commit?: string | null;
  backend: string | null;
  versions: Record<string, string>;
  summary: Record<string, unknown>;
}

const TRACKED_PACKAGES = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', 'onnxruntime-node', 'apache-arrow', 'nx'];

export function packageVersions(workspaceRoot: string): Record<string, string> {
  const versions: Record<string, string> = { node: process.version };
  for (const name of TRACKED_PACKAGES) {
    const file = path.join(workspaceRoot, 'node_modules', name, 'package.json');
    if (fs.existsSync(file)) versions[name] = JSON.parse(fs.readFileSync(file, 'utf8')).version;
  }
  return versions;
}

export function writeManifest(outDir: string, manifest: Omit<StageManifest, 'files'>): StageManifest {
  const files = listFiles(outDir)
    .filter((f) => f !== 'manifest.json')
    .map((f) => ({ path: f, bytes: fs.statSync(path.join(outDir, f)).size }));
  const full = { ...manifest, files };
  writeJsonAtomic(path.join(outDir, 'manifest.json'), full);
  return full;
}

export function readManifest(stageDir: string): StageManifest {
  const file = path.join(stageDir, 'manifest.json');
  if (!fs.existsSync(file)) throw new Error(`${file}: missing — has stage '${path.basename(stageDir)}' run?`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as StageManifest;
}
