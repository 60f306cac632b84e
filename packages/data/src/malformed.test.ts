/**
 * Malformed datasets: each gives a clear error naming the file (and line), or a documented, counted skip or cut in the
 * data card, and never a silent training row. No partial output is left behind on an error.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readDataset, runStage } from '@distill/core';
import { dataStage } from './stage';

const LABELS = ['sports', 'finance', 'tech'];
const goodTrain = () => Array.from({ length: 60 }, (_, i) => `标题${i}号${'体财科'[i % 3]}\t${LABELS[i % 3]}`);

interface Case {
  name: string;
  train?: string | Buffer;
  test?: string | Buffer;
  labels?: string;
  /** extra YAML under params (indented 6) and under source */
  params?: string;
  source?: string;
  format?: 'tsv' | 'clue';
}

function workspace(c: Case): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'malformed-'));
  fs.writeFileSync(path.join(root, 'nx.json'), '{}');
  const ext = c.format === 'clue' ? 'json' : 'tsv';
  fs.writeFileSync(path.join(root, `train.${ext}`), c.train ?? goodTrain().join('\n') + '\n');
  fs.writeFileSync(path.join(root, `test.${ext}`), c.test ?? '新的科技\ttech\n体育新闻\tsports\n');
  fs.writeFileSync(path.join(root, 'labels.txt'), c.labels ?? 'sports==体育\nfinance==财经\ntech==科技\n');
  const source = `{ format: ${c.format ?? 'tsv'}, train: train.${ext}, test: test.${ext}, labels: labels.txt${c.source ? `, ${c.source}` : ''} }`;
  fs.writeFileSync(path.join(root, 'p.yaml'), `stages:\n  data:\n    uses: data\n    params:\n      source: ${source}\n      valid_ratio: 0.2\n      vocab: { min_frequency: 1 }\n${c.params ?? ''}`);
  return root;
}

const run = (root: string) => runStage(dataStage, 'p.yaml', 'data', root);
const card = (root: string) => JSON.parse(fs.readFileSync(path.join(root, 'artifacts', 'p', 'data', 'data-card.json'), 'utf8'));
const clue = (rows: [string, string][]) => rows.map(([s, l]) => JSON.stringify({ sentence: s, label: l }).replace('"__SURROGATE__"', '"\\ud800体育"')).join('\n') + '\n';

describe('malformed datasets', () => {
  const errors: [Case, RegExp][] = [
    [{ name: 'lone surrogate in JSON', format: 'clue', train: clue([...goodTrain().map((l) => l.split('\t') as [string, string]), ['__SURROGATE__', 'sports']]), test: clue([['体育', 'sports']]) }, /train\.json:61: invalid text: a lone UTF-16 surrogate \(U\+D800\)/],
    [{ name: 'bytes that are not UTF-8', train: Buffer.concat([Buffer.from(goodTrain().join('\n') + '\n'), Buffer.from([0xff, 0xfe, 0x41, 0x09]), Buffer.from('sports\n')]) }, /train\.tsv:61: invalid UTF-8/],
    [{ name: 'a text over max_chars (fail)', train: [...goodTrain(), `${'长'.repeat(5000)}\tsports`].join('\n'), source: 'max_chars: 100, too_long: fail' }, /train\.tsv:61: text of 5000 characters, more than max_chars 100/],
    [{ name: 'one class', train: Array.from({ length: 30 }, (_, i) => `体育${i}\tsports`).join('\n') }, /train\.tsv: the training data has 1 class after cleaning \(sports\); a classifier needs at least two/],
    [{ name: 'label line without a name', labels: 'sports\n==文化\ntech\n' }, /labels\.txt:2: a label line needs a name before '=='/],
    [{ name: 'empty training file', train: '' }, /stages\.data: the train split is empty: .*train\.tsv has no rows/],
    [{ name: 'test file of blank lines', test: '\n\n   \n' }, /the test split is empty: .*test\.tsv has no rows/],
    [{ name: 'every test row skipped', test: 'no tab here\nnor here\n', source: 'on_error: skip' }, /the test split is empty: .*test\.tsv has no rows .*every line skipped/],
    [{ name: 'a valid split that comes out empty', train: '体育\tsports\n财经\tfinance\n', params: '      valid_ratio: 0.01\n'.replace('      valid_ratio: 0.01\n', '') }, /the valid split is empty: valid_ratio 0\.2 of the \d+ cleaned training rows held none out/],
    [{ name: 'an unknown label', train: [...goodTrain(), '文化新闻\tculture'].join('\n') }, /train\.tsv:61: label 'culture' is not in the label file/],
    [{ name: 'a line without a tab', train: [...goodTrain(), 'no tab'].join('\n') }, /train\.tsv:61: expected `text<TAB>label`/],
    [{ name: 'a duplicate JSON key', format: 'clue', train: clue(goodTrain().map((l) => l.split('\t') as [string, string])) + '{"sentence": "体育", "label": "sports", "label": "tech"}\n', test: clue([['体育', 'sports']]) }, /train\.json:61: the key 'label' appears twice/],
    [{ name: 'label_desc disagreeing with label', format: 'clue', labels: '{"label": "sports", "label_desc": "news_sports"}\n{"label": "finance", "label_desc": "news_finance"}\n{"label": "tech", "label_desc": "news_tech"}\n', train: clue(goodTrain().map((l) => l.split('\t') as [string, string])) + '{"sentence": "球赛", "label": "sports", "label_desc": "news_tech"}\n', test: clue([['体育', 'sports']]) }, /train\.json:61: label 'sports' is 'news_sports' in the label file, but this row's label_desc says 'news_tech'/],
    [{ name: 'a JSON line that is an array', format: 'clue', train: clue(goodTrain().map((l) => l.split('\t') as [string, string])) + '["体育", "sports"]\n', test: clue([['体育', 'sports']]) }, /train\.json:61: missing text field 'sentence'/],
    [{ name: 'a text field that is a number', format: 'clue', train: clue(goodTrain().map((l) => l.split('\t') as [string, string])) + '{"sentence": 5, "label": "sports"}\n', test: clue([['体育', 'sports']]) }, /train\.json:61: missing text field 'sentence'/],
    [{ name: 'a missing label field', format: 'clue', train: clue(goodTrain().map((l) => l.split('\t') as [string, string])) + '{"sentence": "体育"}\n', test: clue([['体育', 'sports']]) }, /train\.json:61: missing label field 'label'/],
    [{ name: 'an empty label field', format: 'clue', train: clue(goodTrain().map((l) => l.split('\t') as [string, string])) + '{"sentence": "体育", "label": ""}\n', test: clue([['体育', 'sports']]) }, /train\.json:61: missing label field 'label'/],
    [{ name: 'an unknown label in the test file', test: '体育\tsports\n文化\tculture\n' }, /test\.tsv:2: label 'culture' is not in the label file/],
    [{ name: 'an empty label after the tab', train: [...goodTrain(), '体育新闻\t  '].join('\n') }, /train\.tsv:61: empty label/],
    [{ name: 'a label listed twice in the label file', labels: 'sports\nfinance\nsports\n' }, /labels\.txt: label 'sports' is listed twice/],
    [{ name: 'an empty label file', labels: '\n# only a comment\n' }, /labels\.txt: no labels/],
    [{ name: 'invalid JSON in a labels.json', labels: '{"label": "sports"\n' }, /labels\.txt:1: invalid JSON/],
    [{ name: 'a labels.json line without a label', labels: '{"label_desc": "news_sports"}\n' }, /labels\.txt:1: missing field 'label'/],
    [{ name: 'a test file that is not UTF-8', test: Buffer.from([0xc3, 0x28, 0x09, 0x73, 0x70, 0x6f, 0x72, 0x74, 0x73, 0x0a]) }, /test\.tsv:1: invalid UTF-8/],
    [{ name: 'a training set whose rows all conflict', train: Array.from({ length: 20 }, (_, i) => `同一句\t${LABELS[i % 3]}`).join('\n') }, /the train split is empty: cleaning removed all 20 rows|training data has 0 class/],
    [{ name: 'a text over max_chars in the test file (fail)', test: `${'长'.repeat(300)}\tsports\n`, source: 'max_chars: 100, too_long: fail' }, /test\.tsv:1: text of 300 characters, more than max_chars 100/],
    [{ name: 'a JSON line with a lone low surrogate', format: 'clue', train: clue(goodTrain().map((l) => l.split('\t') as [string, string])) + '{"sentence": "体\\udc00育", "label": "sports"}\n', test: clue([['体育', 'sports']]) }, /train\.json:61: invalid text: a lone UTF-16 surrogate \(U\+DC00\)/],
    [{ name: 'invalid JSON', format: 'clue', train: clue(goodTrain().map((l) => l.split('\t') as [string, string])) + '{"sentence": \n', test: clue([['体育', 'sports']]) }, /train\.json:61: invalid JSON/],
  ];

  it.each(errors.map(([c, m]) => [c.name, c, m] as const))('%s: a clear error, no output', async (_name, c, message) => {
    const root = workspace(c);
    await expect(run(root)).rejects.toThrow(message);
    expect(fs.existsSync(path.join(root, 'artifacts', 'p', 'data'))).toBe(false);
  });

  it('counts what on_error: skip and too_long: skip / truncate leave out or cut, in the data card', async () => {
    const skip = workspace({ name: 'skip', train: [...goodTrain(), `${'长'.repeat(300)}\tsports`, 'no tab'].join('\n'), source: 'on_error: skip, max_chars: 100, too_long: skip' });
    await run(skip);
    const reasons = card(skip).skipped_rows.map((r: { line: number; reason: string }) => `${r.line}: ${r.reason}`);
    expect(reasons).toEqual([expect.stringMatching(/^61: text of 300 characters/), '62: expected `text<TAB>label`']);
    const json = workspace({ name: 'json skip', format: 'clue', train: clue([...goodTrain().map((l) => l.split('\t') as [string, string]), ['__SURROGATE__', 'sports']]), test: clue([['体育', 'sports']]), source: 'on_error: skip' });
    await run(json);
    expect(card(json).skipped_rows).toEqual([{ file: expect.stringMatching(/train\.json$/), line: 61, reason: expect.stringMatching(/lone UTF-16 surrogate \(U\+D800\)/) }]);
    const cut = workspace({ name: 'truncate', train: [...goodTrain(), `${'长'.repeat(300)}\tsports`].join('\n'), source: 'max_chars: 100' });
    await run(cut);
    expect(card(cut).truncated_texts).toBe(1);
    const texts = [...readDataset(path.join(cut, 'artifacts/p/data/train.arrow')).rows, ...readDataset(path.join(cut, 'artifacts/p/data/valid.arrow')).rows].map((r) => r.text);
    expect(Math.max(...texts.map((t) => Array.from(t).length))).toBe(100);
  });

  it('strips control and format characters (BEL, zero-width space, RLO) in the shared normalisation', async () => {
    const root = workspace({ name: 'controls', train: [...goodTrain(), '球\u0007赛\u200B快\u202E讯\tsports'].join('\n') });
    await run(root);
    const texts = [...readDataset(path.join(root, 'artifacts/p/data/train.arrow')).rows, ...readDataset(path.join(root, 'artifacts/p/data/valid.arrow')).rows].map((r) => r.text);
    expect(texts).toContain('球赛快讯');
    expect(texts.some((t) => /[\u0007\u200B\u202E]/.test(t))).toBe(false);
  });

  it('warns about and records classes with fewer than min_class_rows training rows', async () => {
    const root = workspace({ name: 'small', train: [...goodTrain().filter((l) => !l.endsWith('finance')), '财经一\tfinance', '财经二\tfinance'].join('\n'), params: '      min_class_rows: 3\n' });
    await run(root);
    const small = card(root).small_classes;
    expect(Object.keys(small)).toEqual(['finance']);
    expect(small.finance).toBeLessThan(3);
  });
});
