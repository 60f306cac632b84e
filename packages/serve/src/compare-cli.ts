#!/usr/bin/env tsx
/** `npm run compare -- A/report.json B/report.json … [--out compare.md]`: prints the comparison and writes Markdown. */
import * as path from 'node:path';
import { Command } from 'commander';
import { readJson, writeFileAtomic } from '@distill/core';
import { compareReports } from './compare';
import type { Report } from './report';

new Command()
  .name('compare')
  .argument('<reports...>', 'two or more report.json files')
  .option('-o, --out <file>', 'also write the Markdown table here')
  .action((files: string[], opts: { out?: string }) => {
    try {
      const reports = files.map((f) => readJson<Report>(f));
      const names = files.map((f, i) => `${reports[i].pipeline} (${path.basename(path.dirname(path.resolve(f)))})`);
      const md = compareReports(names, reports);
      process.stdout.write(md);
      if (opts.out) writeFileAtomic(opts.out, md);
    } catch (err) {
      console.error(`error: ${(err as Error).message}`);
      process.exitCode = 1;
    }
  })
  .parse();
