#!/usr/bin/env tsx
/** `report-cli.ts --pipeline pipelines/<name>.yaml`: writes artifacts/<name>/report.json from the stages' outputs. */
import * as path from 'node:path';
import { Command } from 'commander';
import { findWorkspaceRoot, loadPipeline, writeJsonAtomic } from '@distill/core';
import { buildReport } from './report';

new Command()
  .name('report')
  .requiredOption('-p, --pipeline <file>', 'pipeline YAML file')
  .action((opts: { pipeline: string }) => {
    try {
      const root = findWorkspaceRoot();
      const pipeline = loadPipeline(path.resolve(root, opts.pipeline));
      const report = buildReport(root, pipeline);
      const file = path.join(root, 'artifacts', pipeline.name, 'report.json');
      writeJsonAtomic(file, report);
      console.error(`wrote ${path.relative(root, file)}`);
      for (const m of report.models) {
        console.error(`  ${m.name.padEnd(16)} ${m.format.padEnd(10)} acc ${(100 * m.accuracy).toFixed(2).padStart(6)}  F1 ${(100 * m.macro_f1).toFixed(2).padStart(6)}  p50 ${m.latency_ms.p50.toFixed(2).padStart(7)} ms  ${(m.size_bytes / 1e6).toFixed(2)} MB`);
      }
    } catch (err) {
      console.error(`error: ${(err as Error).message}`);
      process.exitCode = 1;
    }
  })
  .parse();
