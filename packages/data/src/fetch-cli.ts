#!/usr/bin/env tsx
/**
 * `npm run data -- fetch <dataset…> [--dir DIR] [--base-url URL]`: downloads and verifies a dataset's files (see
 * sources.ts); `npm run data -- list` shows the datasets and their files.
 */
import * as path from 'node:path';
import { Command } from 'commander';
import { findWorkspaceRoot, resolveDataDir } from '@distill/core';
import { DataFetchError, fetchDataset } from './fetch';
import { DATASETS } from './sources';

const program = new Command().name('data').description('Download and verify the public datasets the pipelines read');

program
  .command('fetch')
  .argument('<datasets...>', `one or more of: ${Object.keys(DATASETS).join(', ')}`)
  .option('--dir <dir>', 'the data directory (default: $DISTILL_DATA_DIR, else ../shared/data)')
  .option('--base-url <url>', 'a mirror laid out like the data directory, used instead of each file\'s source')
  .action(async (names: string[], opts: { dir?: string; baseUrl?: string }) => {
    const dir = path.resolve(opts.dir ?? resolveDataDir(findWorkspaceRoot()));
    const unknown = names.filter((n) => !DATASETS[n]);
    if (unknown.length) {
      console.error(`error: unknown dataset ${unknown.map((n) => `'${n}'`).join(', ')} (datasets: ${Object.keys(DATASETS).join(', ')})`);
      process.exitCode = 2;
      return;
    }
    let failed = false;
    for (const name of names) {
      try {
        const r = await fetchDataset(DATASETS[name], dir, { baseUrl: opts.baseUrl });
        console.error(`${name}: ${r.present.length} present, ${r.fetched.length} fetched, all verified in ${dir}`);
      } catch (err) {
        if (!(err instanceof DataFetchError)) throw err;
        console.error(`error: ${err.message}`);
        failed = true;
      }
    }
    if (failed) process.exitCode = 1;
  });

program
  .command('list')
  .description('the datasets and their files')
  .action(() => {
    for (const d of Object.values(DATASETS)) {
      console.log(`${d.name}: ${d.description}`);
      for (const f of d.files) console.log(`  ${f.path} (${f.bytes} bytes) ← ${f.url ?? f.archive?.url ?? `build: ${f.build}`}`);
    }
  });

program.parseAsync(process.argv);
