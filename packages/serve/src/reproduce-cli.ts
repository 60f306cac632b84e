#!/usr/bin/env tsx
/**
 * `npm run reproduce -- artifacts/<name>/report.json [--as <new name>] [--run]`: writes the pipeline exactly as that
 * report ran it (resolved YAML, seeds included) to `pipelines/<new name>.yaml` and prints (or, with --run, runs) the
 * command that reruns it from scratch. Warns when the checkout is not the report's git commit.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { findWorkspaceRoot, readJson, writeFileAtomic } from '@distill/core';
import { gitCommit, reproductionYaml, type Report } from './report';

new Command()
  .name('reproduce')
  .argument('<report>', 'a report.json written by a pipeline run')
  .option('--as <name>', 'name of the pipeline to write (default: <original>-repro)')
  .option('--run', 'run it now (npx nx run pipelines:<name> --skip-nx-cache)')
  .action((reportFile: string, o: { as?: string; run?: boolean }) => {
    const root = findWorkspaceRoot();
    const report = readJson<Report>(path.resolve(reportFile));
    if (!report.reproduce) throw new Error(`${reportFile}: no 'reproduce' section (written before reports recorded it)`);
    const r = report.reproduce;
    const name = o.as ?? `${report.pipeline}-repro`;
    if (!/^[a-z0-9][a-z0-9_-]*$/i.test(name)) throw new Error(`--as ${name}: use letters, digits, '-' and '_'`);
    const file = path.join(root, 'pipelines', `${name}.yaml`);
    if (fs.existsSync(file)) throw new Error(`${path.relative(root, file)} exists; choose another name with --as`);
    const head = gitCommit(root);
    if (r.git_commit && head !== r.git_commit) console.error(`warning: this checkout is ${head ?? 'not a git repository'}, the report ran at ${r.git_commit}${r.git_dirty ? ' (with uncommitted changes)' : ''}: git checkout ${r.git_commit}`);
    writeFileAtomic(file, reproductionYaml(reportFile, r));
    const args = ['nx', 'run', `pipelines:${name}`, '--skip-nx-cache'];
    console.error(`wrote ${path.relative(root, file)}\n${o.run ? 'running' : 'run'}: npx ${args.join(' ')}`);
    if (o.run) process.exitCode = spawnSync('npx', args, { cwd: root, stdio: 'inherit' }).status ?? 1;
  })
  .parseAsync()
  .catch((e: Error) => {
    console.error(`error: ${e.message}`);
    process.exitCode = 1;
  });
