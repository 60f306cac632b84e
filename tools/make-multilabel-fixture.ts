/**
 * Writes the multi-label fixture (fixtures/multilabel): synthetic Chinese news titles about one topic or two (a car
 * maker's AI chip is `car|tech`), composed from the smoke fixture's per-class word lists, as `text<TAB>labels` files
 * (labels joined by `|`) plus a `label==word` label file and unlabeled titles (for batch prediction). Titles with two topics take the subject and event from one
 * class and an object from the other, so each label has words of its own to be found by. Some training rows lose or
 * gain a label, so that the scores are not perfect.
 * Deterministic: rerunning it rewrites the same bytes.  Usage: npx tsx tools/make-multilabel-fixture.ts
 */
import * as path from 'node:path';
import { Rng, writeFileAtomic } from '@distill/core';
import { CLASSES } from './fixture-words';

/** the share of titles with two topics */
const TWO_TOPICS = 0.4;
/** the share of training rows whose label set is changed (a label dropped or one added) */
const TRAIN_LABEL_NOISE = 0.05;

const LABELS = Object.keys(CLASSES);

function row(rng: Rng): { text: string; labels: string[] } {
  const first = rng.pick(LABELS);
  const a = CLASSES[first];
  if (rng.next() >= TWO_TOPICS) return { text: `${rng.pick(a.subjects)}${rng.pick(a.events)}${rng.pick(a.objects)}`, labels: [first] };
  const second = rng.pick(LABELS.filter((l) => l !== first));
  const b = CLASSES[second];
  const text = rng.next() < 0.5 ? `${rng.pick(a.subjects)}${rng.pick(a.events)}${rng.pick(b.objects)}` : `${rng.pick(b.objects)}：${rng.pick(a.subjects)}${rng.pick(a.events)}`;
  return { text, labels: LABELS.filter((l) => l === first || l === second) };
}

function noisy(rng: Rng, r: { text: string; labels: string[] }): { text: string; labels: string[] } {
  if (rng.next() >= TRAIN_LABEL_NOISE) return r;
  if (r.labels.length > 1) return { ...r, labels: [rng.pick(r.labels)] };
  const extra = rng.pick(LABELS.filter((l) => !r.labels.includes(l)));
  return { ...r, labels: LABELS.filter((l) => r.labels.includes(l) || l === extra) };
}

function main(): void {
  const rng = new Rng(20261130);
  const dir = path.resolve(__dirname, '..', 'fixtures', 'multilabel');
  const tsv = (rows: { text: string; labels: string[] }[]) => rows.map((r) => `${r.text}\t${r.labels.join('|')}`).join('\n') + '\n';
  const train = Array.from({ length: 500 }, () => noisy(rng, row(rng)));
  const test = Array.from({ length: 120 }, () => row(rng));
  writeFileAtomic(path.join(dir, 'train.tsv'), tsv(train));
  writeFileAtomic(path.join(dir, 'test.tsv'), tsv(test));
  writeFileAtomic(path.join(dir, 'labels.txt'), Object.entries(CLASSES).map(([l, c]) => `${l}==${c.word}`).join('\n') + '\n');
  writeFileAtomic(path.join(dir, 'unlabeled.txt'), Array.from({ length: 60 }, () => row(rng).text).join('\n') + '\n');
}

main();
