/**
 * The command of an inherited stage's target (targets.ts): makes artifacts/<pipeline>/<stage> a link to the base
 * pipeline's output of that stage, replacing whatever was there (an output of its own from before, or a link), so the
 * stages downstream read the base's output where they expect their pipeline's.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export function linkStage(root: string, base: string, pipeline: string, stage: string): void {
  const source = path.join(root, 'artifacts', base, stage);
  if (!fs.existsSync(path.join(source, 'manifest.json'))) throw new Error(`${pipeline}.${stage} is inherited from ${base}, but ${source} has no output: run nx run pipelines:${base}.${stage}`);
  const link = path.join(root, 'artifacts', pipeline, stage);
  fs.mkdirSync(path.dirname(link), { recursive: true });
  const tmp = `${link}.link-tmp`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.symlinkSync(path.relative(path.dirname(link), source), tmp, 'junction'); // a junction needs no privileges on Windows
  fs.rmSync(link, { recursive: true, force: true }); // a link is removed, not followed
  fs.renameSync(tmp, link);
}
