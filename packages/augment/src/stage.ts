/**
 * The augment stage. Reads: `train.arrow` / `unlabeled.arrow` of the data stage (input `data`), the Cilin lexicon
 * (`lexicon`), and for `mlm` a checkpoint with an MLM head (input `mlm`). Writes: `augmented.arrow` (and
 * `augmented-unlabeled.arrow`): the original rows, then augmented ones, with `origin_id` and `strategy` columns;
 * `augment-report.json` and `augment-report.md` (rows per strategy, rejected duplicates, edit distance, samples).
 */
import * as path from 'node:path';
import { buildPosVocab, deriveSeed, segment, utf8, writeDataset, writeFileAtomic, writeJsonAtomic, type StageContext, type StageDefinition } from '@distill/core';
import { mergeCandidates, type AugmentStats } from './augment';
import { paramsSchema, type AugmentParams, type StrategyName } from './config';
import { loadCilin } from './lexicon';
import { mlmCandidates } from './mlm';
import { buildStrategies } from './strategies';
import { candidatesParallel } from './workers';

const OUTPUT: Record<string, string> = { train: 'augmented.arrow', unlabeled: 'augmented-unlabeled.arrow' };

export function reportMarkdown(stats: Record<string, AugmentStats>): string {
  const lines = ['# Augmentation report', ''];
  for (const [split, s] of Object.entries(stats)) {
    lines.push(`## ${split}: ${s.input_rows} rows → ${s.output_rows} (${s.duplicates_rejected} duplicates rejected)`, '', '| strategy | rows | mean edit distance |', '|---|---:|---:|');
    for (const name of Object.keys(s.produced)) lines.push(`| ${name} | ${s.produced[name]} | ${s.mean_edit_distance[name].toFixed(2)} |`);
    for (const [name, samples] of Object.entries(s.samples)) {
      lines.push('', `### ${name}`, '');
      for (const x of samples) lines.push(`- ${x.original} → ${x.augmented}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

export async function runAugment(ctx: StageContext<AugmentParams>) {
  const p = ctx.params;
  const synonyms = p.lexicon ? loadCilin(ctx.path(p.lexicon)) : null;
  if (p.strategies.mlm && !ctx.inputs.mlm) {
    throw new Error(`${ctx.pipeline.file}: stages.${ctx.stage}.strategies.mlm needs a model: add inputs.mlm naming a stage whose checkpoint/ has an MLM head (a pretrained teacher)`);
  }
  const allStats: Record<string, AugmentStats> = {};
  for (const split of p.splits) {
    const ds = ctx.dataset('data', `${split}.arrow`);
    const started = Date.now();
    const segmented = ds.rows.map((r) => segment(r.text));
    const augmentCtx = { posVocab: buildPosVocab(segmented), synonyms };
    const seed = deriveSeed(ctx.seed, `augment-${split}`);
    const candidates = await candidatesParallel(segmented, p.strategies, augmentCtx, p.multiplier, seed, p.workers);
    const names: StrategyName[] = buildStrategies(p.strategies, augmentCtx).map(([n]) => n);
    if (p.strategies.mlm) {
      const textLevel = names.length;
      const extra = await mlmCandidates(path.join(ctx.input('mlm'), 'checkpoint'), segmented, p.strategies.mlm, p.multiplier, seed, ctx.backend, textLevel);
      extra.forEach((c, i) => candidates[i].push(...c));
      names.push('mlm');
    }
    const { rows, stats } = mergeCandidates(ds.rows, candidates, names);
    writeDataset(path.join(ctx.outDir, OUTPUT[split]), rows, ds.labels, {
      origin_id: utf8(rows.map((r) => r.origin_id)),
      strategy: utf8(rows.map((r) => r.strategy)),
    });
    ctx.log.info(`${split}: ${ds.rows.length} rows → ${rows.length} in ${((Date.now() - started) / 1000).toFixed(1)}s`, stats.produced);
    allStats[split] = stats;
  }
  writeJsonAtomic(path.join(ctx.outDir, 'augment-report.json'), allStats);
  writeFileAtomic(path.join(ctx.outDir, 'augment-report.md'), reportMarkdown(allStats));
  return {
    summary: Object.fromEntries(Object.entries(allStats).map(([split, s]) => [split, { input_rows: s.input_rows, output_rows: s.output_rows, produced: s.produced, duplicates_rejected: s.duplicates_rejected }])),
  };
}

export const augmentStage: StageDefinition<typeof paramsSchema> = { kind: 'augment', schema: paramsSchema, run: runAugment };
