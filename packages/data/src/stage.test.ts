import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readDataset, runStage } from '@distill/core';
import { dataStage } from './stage';

/** A throw-away workspace with a tiny TSV dataset and a one-stage pipeline. */
function workspace(seed: number, train = ''): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'data-stage-'));
  fs.writeFileSync(path.join(root, 'nx.json'), '{}');
  const labels = ['sports', 'finance', 'tech'];
  const lines = train || Array.from({ length: 90 }, (_, i) => `标题${i}号${'体财科'[i % 3]}\t${labels[i % 3]}`).join('\n');
  fs.writeFileSync(path.join(root, 'train.tsv'), lines + '\n');
  fs.writeFileSync(path.join(root, 'test.tsv'), '标题0号体\tsports\n新的科技\ttech\n');
  fs.writeFileSync(path.join(root, 'labels.txt'), 'sports==体育\nfinance==财经\ntech==科技\n');
  fs.writeFileSync(
    path.join(root, 'p.yaml'),
    `seed: ${seed}\nstages:\n  data:\n    uses: data\n    params:\n      source: { format: tsv, train: train.tsv, test: test.tsv, labels: labels.txt }\n      valid_ratio: 0.2\n      vocab: { min_frequency: 1 }\n`,
  );
  return root;
}

const out = (root: string, f: string) => path.join(root, 'artifacts', 'p', 'data', f);

describe('data stage', () => {
  it('writes splits, labels, vocabulary and a data card', async () => {
    const root = workspace(1);
    await runStage(dataStage, 'p.yaml', 'data', root);
    const train = readDataset(out(root, 'train.arrow'));
    const valid = readDataset(out(root, 'valid.arrow'));
    const test = readDataset(out(root, 'test.arrow'));
    expect(train.labels).toEqual(['sports', 'finance', 'tech']);
    // the test sentence 标题0号体 is removed from training (leakage)
    expect(train.rows.length + valid.rows.length).toBe(89);
    expect(valid.rows.filter((r) => r.label === 0)).toHaveLength(6);
    expect(test.rows).toHaveLength(2);
    const card = JSON.parse(fs.readFileSync(out(root, 'data-card.json'), 'utf8'));
    expect(card.cleaning.train.test_overlap_removed).toBe(1);
    expect(card.splits.train.rows).toBe(train.rows.length);
    expect(JSON.parse(fs.readFileSync(out(root, 'labels.json'), 'utf8'))[0]).toEqual({ name: 'sports', verbalizer: '体育' });
    expect(fs.readFileSync(out(root, 'vocab.txt'), 'utf8').split('\n').slice(0, 5)).toEqual(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
    const manifest = JSON.parse(fs.readFileSync(out(root, 'manifest.json'), 'utf8'));
    expect(manifest.files.map((f: { path: string }) => f.path)).toContain('train.arrow');
  });

  it("vocab.input takes another data stage's vocabulary, whatever its own texts are, and records the read", async () => {
    const root = workspace(1);
    fs.writeFileSync(path.join(root, 'other.tsv'), Array.from({ length: 30 }, (_, i) => `另外${i}条${'体财科'[i % 3]}\t${['sports', 'finance', 'tech'][i % 3]}`).join('\n') + '\n');
    fs.appendFileSync(
      path.join(root, 'p.yaml'),
      `  other:\n    uses: data\n    inputs: { vocab: data }\n    params:\n      source: { format: tsv, train: other.tsv, test: test.tsv, labels: labels.txt }\n      valid_ratio: 0.2\n      vocab: { input: vocab }\n`,
    );
    await runStage(dataStage, 'p.yaml', 'data', root);
    const m = await runStage(dataStage, 'p.yaml', 'other', root);
    const own = path.join(root, 'artifacts', 'p', 'other', 'vocab.txt');
    expect(fs.readFileSync(own, 'utf8')).toBe(fs.readFileSync(out(root, 'vocab.txt'), 'utf8'));
    expect(fs.readFileSync(own, 'utf8')).not.toContain('另'); // built from its own texts, it would have 另
    expect(m.reads).toContain(path.join('artifacts', 'p', 'data', 'vocab.txt'));
    expect(JSON.parse(fs.readFileSync(path.join(root, 'artifacts', 'p', 'other', 'data-card.json'), 'utf8')).vocab.source).toMatch(/^vocab: /);
  });

  it('gives byte-identical Arrow files for the same seed, and another split for another seed', async () => {
    const [a, b, c] = [workspace(1), workspace(1), workspace(2)];
    for (const root of [a, b, c]) await runStage(dataStage, 'p.yaml', 'data', root);
    for (const f of ['train.arrow', 'valid.arrow', 'test.arrow']) expect(fs.readFileSync(out(a, f)).equals(fs.readFileSync(out(b, f)))).toBe(true);
    expect(fs.readFileSync(out(a, 'valid.arrow')).equals(fs.readFileSync(out(c, 'valid.arrow')))).toBe(false);
  });

  it('splits multi-label data by iterative stratification and writes label sets', async () => {
    const sets = ['sports', 'sports,tech', 'finance', 'tech, sports', 'finance,tech', 'tech'];
    const root = workspace(1, Array.from({ length: 120 }, (_, i) => `多标签标题${i}\t${sets[i % sets.length]}`).join('\n'));
    const yaml = fs.readFileSync(path.join(root, 'p.yaml'), 'utf8').replace('labels: labels.txt }', "labels: labels.txt, label_separator: ',' }");
    fs.writeFileSync(path.join(root, 'p.yaml'), yaml);
    await runStage(dataStage, 'p.yaml', 'data', root);
    const train = readDataset(out(root, 'train.arrow'));
    const valid = readDataset(out(root, 'valid.arrow'));
    expect(train.rows.length + valid.rows.length).toBe(120);
    // 'tech, sports' is canonical: label-list order, as indices
    expect(train.rows.concat(valid.rows).find((r) => r.text === '多标签标题3')!.labels).toEqual([0, 2]);
    const share = (rows: typeof train.rows, l: number) => rows.filter((r) => r.labels!.includes(l)).length / rows.length;
    // within one validation row of the training share, for every label
    for (const l of [0, 1, 2]) expect(Math.abs(share(train.rows, l) - share(valid.rows, l))).toBeLessThanOrEqual(1 / valid.rows.length);
    const card = JSON.parse(fs.readFileSync(out(root, 'data-card.json'), 'utf8'));
    expect(card.raw_per_label).toEqual({ sports: 60, finance: 40, tech: 80 });
  });

  it('a given valid split stays held out: training rows with its texts are removed and counted', async () => {
    const root = workspace(1);
    fs.writeFileSync(path.join(root, 'valid.tsv'), '标题1号财\tfinance\n别的标题\ttech\n');
    fs.writeFileSync(path.join(root, 'p.yaml'), fs.readFileSync(path.join(root, 'p.yaml'), 'utf8').replace('test: test.tsv,', 'valid: valid.tsv, test: test.tsv,'));
    await runStage(dataStage, 'p.yaml', 'data', root);
    const train = readDataset(out(root, 'train.arrow'));
    expect(train.rows).toHaveLength(88);
    expect(train.rows.some((r) => r.text === '标题1号财')).toBe(false);
    expect(readDataset(out(root, 'valid.arrow')).rows).toHaveLength(2);
    expect(JSON.parse(fs.readFileSync(out(root, 'data-card.json'), 'utf8')).cleaning.train.valid_overlap_removed).toBe(1);
  });

  it('valid texts leave the unlabeled data as well, counted in the data card', async () => {
    const root = workspace(1);
    fs.writeFileSync(path.join(root, 'valid.tsv'), '标题1号财\tfinance\n别的标题\ttech\n');
    fs.writeFileSync(path.join(root, 'unlabeled.txt'), '别的标题\n没有标签的句子\n新的科技\n');
    fs.writeFileSync(
      path.join(root, 'p.yaml'),
      fs.readFileSync(path.join(root, 'p.yaml'), 'utf8').replace('test: test.tsv,', 'valid: valid.tsv, test: test.tsv,') + '      unlabeled: [unlabeled.txt]\n',
    );
    await runStage(dataStage, 'p.yaml', 'data', root);
    expect(readDataset(out(root, 'unlabeled.arrow')).rows.map((r) => r.text)).toEqual(['没有标签的句子']);
    const card = JSON.parse(fs.readFileSync(out(root, 'data-card.json'), 'utf8'));
    expect(card.cleaning.unlabeled).toMatchObject({ valid_overlap_removed: 1, test_overlap_removed: 1 });
  });

  it('train_per_label keeps that many training rows per label, a smaller count inside a larger one', async () => {
    const kept: Record<number, string[]> = {};
    for (const k of [3, 7]) {
      const root = workspace(1);
      fs.appendFileSync(path.join(root, 'p.yaml'), `      train_per_label: ${k}\n`);
      await runStage(dataStage, 'p.yaml', 'data', root);
      const train = readDataset(out(root, 'train.arrow'));
      for (const l of [0, 1, 2]) expect(train.rows.filter((r) => r.label === l)).toHaveLength(k);
      kept[k] = train.rows.map((r) => r.text);
      // valid is split off before, from every row
      expect(readDataset(out(root, 'valid.arrow')).rows).toHaveLength(18);
    }
    expect(kept[7]).toEqual(expect.arrayContaining(kept[3]));
  });

  it('rejects k-shot slices of multi-label data in the params', async () => {
    const root = workspace(1);
    const yaml = fs.readFileSync(path.join(root, 'p.yaml'), 'utf8').replace('labels: labels.txt }', "labels: labels.txt, label_separator: ',' }\n      kshot: [4]");
    fs.writeFileSync(path.join(root, 'p.yaml'), yaml);
    await expect(runStage(dataStage, 'p.yaml', 'data', root)).rejects.toThrow(/stages\.data\.params\.kshot: k-shot slices need single-label data/);
  });

  it('fails on malformed input naming file and line, and leaves no output behind', async () => {
    const root = workspace(1, '好标题\tsports\n坏的一行没有标签\n');
    await expect(runStage(dataStage, 'p.yaml', 'data', root)).rejects.toThrow(/train\.tsv:2: expected `text<TAB>label`/);
    expect(fs.existsSync(path.join(root, 'artifacts', 'p', 'data'))).toBe(false);
    expect(fs.readdirSync(path.join(root, 'artifacts', 'p'))).toEqual([]);
  });
});
