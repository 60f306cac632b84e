/**
 * Writes the smoke pipeline's tiny dataset (fixtures/smoke): short synthetic Chinese news titles in five classes,
 * composed from per-class word lists and shared filler words, as `text<TAB>label` files plus a `label==word` label file.
 * It is meant to be learnable but not trivially so, so that a broken stage shows in the smoke report's scores: some
 * titles borrow a phrase from another class, and some training labels are wrong.
 * Deterministic: rerunning it rewrites the same bytes.  Usage: npx tsx tools/make-smoke-fixture.ts
 */
import * as path from 'node:path';
import { Rng, writeFileAtomic } from '@distill/core';
import { CLASSES } from './fixture-words';

const FILLERS = ['', '', '最新消息：', '突发！', '网友热议', '官方回应', '，你怎么看？', '！', '？'];
/** the share of titles whose event or object comes from another class */
const BORROWED = 0.35;
/** the share of training rows whose label is another class's */
const TRAIN_LABEL_NOISE = 0.08;

function title(rng: Rng, c: (typeof CLASSES)[string]): string {
  const head = rng.pick(FILLERS.slice(0, 5));
  const tail = rng.pick(['', '', ...FILLERS.slice(5)]);
  const other = Object.values(CLASSES).filter((x) => x !== c);
  const lend = rng.next() < BORROWED ? rng.pick(['events', 'objects'] as const) : null;
  const part = (k: 'subjects' | 'events' | 'objects') => rng.pick(k === lend ? rng.pick(other)[k] : c[k]);
  const body = rng.next() < 0.5 ? `${part('subjects')}${part('events')}${part('objects')}` : `${part('objects')}：${part('subjects')}${part('events')}`;
  return `${head}${body}${tail}`;
}

function main(): void {
  const rng = new Rng(20261121);
  const dir = path.resolve(__dirname, '..', 'fixtures', 'smoke');
  const rows = (perClass: number) =>
    Object.entries(CLASSES).flatMap(([label, c]) => Array.from({ length: perClass }, () => `${title(rng, c)}\t${label}`));
  const labels = Object.keys(CLASSES);
  const noisy = (row: string) => {
    if (rng.next() >= TRAIN_LABEL_NOISE) return row;
    const [text, label] = row.split('\t');
    return `${text}\t${rng.pick(labels.filter((l) => l !== label))}`;
  };
  const train = rng.shuffle(rows(60)).map(noisy);
  const test = rng.shuffle(rows(16));
  writeFileAtomic(path.join(dir, 'train.tsv'), train.join('\n') + '\n');
  writeFileAtomic(path.join(dir, 'test.tsv'), test.join('\n') + '\n');
  writeFileAtomic(path.join(dir, 'labels.txt'), Object.entries(CLASSES).map(([l, c]) => `${l}==${c.word}`).join('\n') + '\n');
  const unlabeled = Object.values(CLASSES).flatMap((c) => Array.from({ length: 30 }, () => title(rng, c)));
  writeFileAtomic(path.join(dir, 'unlabeled.txt'), rng.shuffle(unlabeled).join('\n') + '\n');
}

main();
