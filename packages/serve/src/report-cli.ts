#!/usr/bin/env tsx
/** `report-cli.ts --pipeline pipelines/<name>.yaml`: writes artifacts/<name>/report.json from the stages' outputs. */
import * as path from 'node:path';
import { Command } from 'commander';
import * as fs from 'node:fs';
import { findWorkspaceRoot, loadPipeline, readJson, stageDir, writeFileAtomic, writeJsonAtomic, type Pipeline } from '@distill/core';
import { renderCharts, type Curve } from './charts';
import { buildReport } from './report';
import { renderReportHtml, type DataCardSummary } from './report-html';

/** Validation evaluations of every training stage (curves.json), as one series per stage. */
function collectCurves(root: string, pipeline: Pipeline): Curve[] {
  const out: Curve[] = [];
  for (const stage of pipeline.order) {
    const file = path.join(stageDir(root, pipeline.name, stage), 'curves.json');
    if (!fs.existsSync(file)) continue;
    for (const ev of readJson<{ evals: Record<string, number>[] }>(file).evals) {
      const metric = ev.accuracy !== undefined ? 'accuracy' : ev.mlm_accuracy !== undefined ? 'MLM accuracy' : 'negative latent loss';
      out.push({ stage, step: ev.step, metric, value: ev.score });
    }
  }
  return out;
}

new Command()
  .name('report')
  .requiredOption('-p, --pipeline <file>', 'pipeline YAML file')
  .action(async (opts: { pipeline: string }) => {
    try {
      const root = findWorkspaceRoot();
      const pipeline = loadPipeline(path.resolve(root, opts.pipeline));
      const report = buildReport(root, pipeline);
      const file = path.join(root, 'artifacts', pipeline.name, 'report.json');
      writeJsonAtomic(file, report);
      const dataStage = pipeline.order.find((s) => pipeline.stages[s].uses === 'data');
      const cardFile = dataStage ? path.join(stageDir(root, pipeline.name, dataStage), 'data-card.json') : '';
      const card = cardFile && fs.existsSync(cardFile) ? readJson<DataCardSummary>(cardFile) : null;
      const html = renderReportHtml(report, await renderCharts(report, collectCurves(root, pipeline)), card);
      writeFileAtomic(path.join(root, 'artifacts', pipeline.name, 'report.html'), html);
      console.error(`wrote ${path.relative(root, file)} and report.html`);
      for (const m of report.models) {
        console.error(`  ${m.name.padEnd(16)} ${m.format.padEnd(10)} acc ${(100 * m.accuracy).toFixed(2).padStart(6)}  F1 ${(100 * m.macro_f1).toFixed(2).padStart(6)}  p50 ${m.latency_ms.p50.toFixed(2).padStart(7)} ms  ${(m.size_bytes / 1e6).toFixed(2)} MB`);
      }
    } catch (err) {
      console.error(`error: ${(err as Error).message}`);
      process.exitCode = 1;
    }
  })
  .parseAsync();
