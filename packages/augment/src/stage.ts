/**
 * The augment stage. Reads: `<split>.arrow` of the data stage (input `data`). Writes: `augmented.arrow` (the original
 * rows, then augmented ones, with `origin_id` and `strategy` columns) and `augment-report.json`.
 */
import * as path from 'node:path';
import { deriveSeed, readDataset, utf8, writeDataset, writeJsonAtomic, type StageContext, type StageDefinition } from '@distill/core';
import { augmentRows } from './augment';
import { paramsSchema, type AugmentParams } from './config';
import { buildStrategies } from './strategies';

export async function runAugment(ctx: StageContext<AugmentParams>) {
  const p = ctx.params;
  const ds = readDataset(path.join(ctx.input('data'), `${p.split}.arrow`));
  const { rows, stats } = augmentRows(ds.rows, buildStrategies(p.strategies), p.multiplier, deriveSeed(ctx.seed, 'augment'));
  writeDataset(path.join(ctx.outDir, 'augmented.arrow'), rows, ds.labels, {
    origin_id: utf8(rows.map((r) => r.origin_id)),
    strategy: utf8(rows.map((r) => r.strategy)),
  });
  writeJsonAtomic(path.join(ctx.outDir, 'augment-report.json'), { input_rows: ds.rows.length, output_rows: rows.length, ...stats });
  ctx.log.info(`${ds.rows.length} rows → ${rows.length}`, stats.produced);
  return { summary: { input_rows: ds.rows.length, output_rows: rows.length, produced: stats.produced, duplicates_rejected: stats.duplicates_rejected } };
}

export const augmentStage: StageDefinition<typeof paramsSchema> = { kind: 'augment', schema: paramsSchema, run: runAugment };
