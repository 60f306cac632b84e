/**
 * The `cloze` teacher (config.ts `clozeSchema`): zero-shot classification by a masked-LM checkpoint as it is, no label
 * read (model's `clozeScorer`). Writes each split's logits (soft labels a student can distil), `metrics.json` and
 * `baseline.json`, from which the final evaluation scores it on test with the same checkpoint, template and centre.
 */
import * as path from 'node:path';
import { argmaxRows, classificationMetrics, writeJsonAtomic, writeLogits, type Dataset, type StageContext } from '@distill/core';
import { clozeScorer, describeBackend, meanScores, selectBackend } from '@distill/model';
import type { ClozeParams } from './config';
import { initCheckpointDir } from './init';
import { verbalizerWords } from './label-file';

export async function runCloze(ctx: StageContext<ClozeParams>) {
  const p = ctx.params;
  await selectBackend(ctx.backend);
  const backend = describeBackend();
  const checkpoint = initCheckpointDir(ctx, p.init);
  const train = ctx.dataset('data', 'train.arrow');
  const valid = ctx.dataset('data', 'valid.arrow');
  const unlabeled = p.label_unlabeled || p.center ? ctx.dataset('data', 'unlabeled.arrow') : null;
  const labels = train.labels;
  const words = verbalizerWords(ctx);
  const raw = clozeScorer(checkpoint, p.template, words, labels);
  const k = labels.length;
  const scores = new Map<Dataset, Float32Array>([train, valid, ...(unlabeled ? [unlabeled] : [])].map((ds) => [ds, raw.score(ds.rows.map((r) => r.text))]));
  raw.dispose();
  // the prior comes from texts only: the training rows' labels are not read
  const texts = [scores.get(train)!, ...(unlabeled ? [scores.get(unlabeled)!] : [])];
  const all = new Float32Array(texts.reduce((a, x) => a + x.length, 0));
  texts.reduce((at, x) => (all.set(x, at), at + x.length), 0);
  const centre = p.center ? meanScores(all, k) : new Float32Array(k);
  const logitsDir = path.join(ctx.outDir, 'logits');
  const splits: [string, Dataset | null][] = [['train', train], ['valid', valid], ['unlabeled', p.label_unlabeled ? unlabeled : null]];
  for (const [name, ds] of splits) {
    if (!ds) continue;
    const logits = scores.get(ds)!.map((x, i) => x - centre[i % k]);
    scores.set(ds, logits);
    writeLogits(path.join(logitsDir, `${name}.arrow`), ds.rows.map((r) => r.id), logits, k);
  }
  // scored for the record only: nothing here is chosen by it
  const m = classificationMetrics(valid.rows.map((r) => r.label), argmaxRows(scores.get(valid)!, k), labels);
  const baseline = {
    name: 'cloze',
    role: 'baseline',
    format: 'cloze',
    description: `no labels: the masked-LM checkpoint's verbalizer scores in '${p.template}'${p.center ? ', minus their mean over the texts' : ''}`,
    checkpoint: path.relative(ctx.root, checkpoint),
    template: p.template,
    label_words: words,
    centre: Array.from(centre),
    split: 'valid',
    accuracy: m.accuracy,
    macro_f1: m.macro_f1,
  };
  writeJsonAtomic(path.join(ctx.outDir, 'baseline.json'), baseline);
  writeJsonAtomic(path.join(ctx.outDir, 'metrics.json'), { mode: 'cloze', chance: 1 / k, valid: m });
  ctx.log.info(`cloze zero-shot valid accuracy ${(100 * m.accuracy).toFixed(2)} (chance ${(100 / k).toFixed(2)}), verbalizers: ${words.join(', ')}`);
  return { backend, summary: { mode: 'cloze', valid_accuracy: m.accuracy, chance: 1 / k } };
}
