import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ArrowFile, runStage, tempWorkspace, writeArrow, utf8 } from '@distill/core';
import { OnnxClassifier } from '@distill/runtime';
import { TEST_LABELS, writeTestModel } from '../../serve/src/test-model';
import { readSchema } from './config';
import { predictAll, readInputs, writePredictions } from './predict';
import { predictStage } from './stage';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'predict-'));
const read = (o = {}) => readSchema.parse(o);
let modelFile: string;
beforeAll(async () => {
  modelFile = await writeTestModel();
});

function write(dir: string, name: string, text: string): string {
  fs.writeFileSync(path.join(dir, name), text);
  return path.join(dir, name);
}

describe('reading texts to predict', () => {
  it('reads JSON lines (text, or CLUE sentence), TSV, plain text (blank lines counted) and Arrow', () => {
    const d = tmp();
    expect(readInputs(write(d, 'a.jsonl', '{"id": "x1", "text": "体育"}\n{"text": "财经"}\n'), read())).toEqual({ ids: ['x1', '2'], texts: ['体育', '财经'], skipped_blank: 0 });
    expect(readInputs(write(d, 'dev.json', '{"label": "102", "label_desc": "news_entertainment", "sentence": "汽车新闻", "keywords": ""}\n'), read()).texts).toEqual(['汽车新闻']);
    expect(readInputs(write(d, 'a.tsv', 'a\t体育\nb\t财经\n'), read({ text_column: 1 })).texts).toEqual(['体育', '财经']);
    expect(readInputs(write(d, 'a.txt', '体育\n\n财经\n'), read())).toEqual({ ids: ['1', '3'], texts: ['体育', '财经'], skipped_blank: 1 });
    const arrow = path.join(d, 'a.arrow');
    writeArrow(arrow, { id: utf8(['r1', 'r2']), text: utf8(['科技', '教育']) });
    expect(readInputs(arrow, read())).toEqual({ ids: ['r1', 'r2'], texts: ['科技', '教育'], skipped_blank: 0 });
  });

  it('names the file and line of a bad row', () => {
    const d = tmp();
    expect(() => readInputs(write(d, 'b.jsonl', '{"text": "体育"}\n{"text": \n'), read())).toThrow(/b\.jsonl:2: invalid JSON/);
    expect(() => readInputs(write(d, 'c.jsonl', '{"title": "体育"}\n'), read())).toThrow(/c\.jsonl:1: no string field 'text' \(nor 'sentence'; give text_field\)/);
    expect(() => readInputs(write(d, 'd.jsonl', '{"text": "\\ud800"}\n'), read())).toThrow(/d\.jsonl:1: invalid text: a lone UTF-16 surrogate/);
    expect(() => readInputs(write(d, 'e.tsv', 'only\n'), read({ text_column: 1 }))).toThrow(/e\.tsv:1: no column 1 \(the line has 1\)/);
    expect(() => readInputs(write(d, 'f.csv', 'a\n'), read())).toThrow(/f\.csv: cannot tell the format/);
  });
});

describe('batch prediction', () => {
  it('writes every text its label, score and top-k (JSON lines), or every probability (Arrow), as the classifier gives them', async () => {
    const clf = await OnnxClassifier.load(modelFile);
    const texts = ['体育新闻', '财经', '汽车教育科技', '预热'];
    const p = await predictAll(clf, texts, 3, false);
    const expected = await clf.classify(texts, 2);
    await clf.dispose();
    const d = tmp();
    writePredictions(path.join(d, 'out.jsonl'), ['a', 'b', 'c', 'd'], p, 'jsonl', 2);
    const lines = fs.readFileSync(path.join(d, 'out.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.id)).toEqual(['a', 'b', 'c', 'd']);
    lines.forEach((l, i) => {
      expect(l.label).toBe(expected[i].label);
      expect(l.score).toBeCloseTo(expected[i].score, 6);
      expect(l.top.map((t: { label: string }) => t.label)).toEqual(expected[i].top.map((t) => t.label));
    });
    writePredictions(path.join(d, 'out.arrow'), ['a', 'b', 'c', 'd'], p, 'arrow', 2);
    const a = ArrowFile.read(path.join(d, 'out.arrow'));
    expect(a.strings('label')).toEqual(expected.map((e) => e.label));
    expect(JSON.parse(a.metadata.get('labels')!)).toEqual(TEST_LABELS);
    const probs = a.matrix('probs');
    for (let r = 0; r < probs.rows; r++) expect(probs.values[2 * r] + probs.values[2 * r + 1]).toBeCloseTo(1, 5);
  });

  it('a multi-label model: sigmoid probabilities and the labels above their thresholds, as the server gives them', async () => {
    const clf = await OnnxClassifier.load(await writeTestModel({ multiLabel: { thresholds: [0, 0.5] } }));
    const texts = ['体育新闻', '财经', '汽车教育科技', '预热'];
    const p = await predictAll(clf, texts, 3, false);
    const expected = await clf.classify(texts, 2);
    await clf.dispose();
    const out = path.join(tmp(), 'out.jsonl');
    writePredictions(out, ['a', 'b', 'c', 'd'], p, 'jsonl', 2);
    const lines = fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    lines.forEach((l, i) => {
      expect(l.labels).toEqual(expected[i].labels);
      expect(l.labels[0]).toBe(TEST_LABELS[0]); // threshold 0: always
      expect(l.score).toBeCloseTo(expected[i].score, 6);
    });
  });

  it('runs as a pipeline stage on a quantize stage\'s model, and as `npm run predict`', async () => {
    const root = tempWorkspace(`stages:
  data:
    uses: data
    params: { source: { format: tsv, train: t.tsv, test: t.tsv, labels: l.txt } }
  quantize:
    uses: quantize
    inputs: { data: data }
  predict:
    uses: predict
    inputs: { model: quantize }
    params: { file: texts.jsonl, role: student, precision: fp32, top_k: 2 }
`);
    // the quantize stage's output, as it lays it out (this test does not train one)
    const modelDir = path.join(root, 'artifacts', 'p', 'quantize', 'student');
    fs.cpSync(path.dirname(modelFile), modelDir, { recursive: true });
    fs.writeFileSync(path.join(root, 'artifacts', 'p', 'quantize', 'manifest.json'), '{}');
    fs.writeFileSync(path.join(root, 'texts.jsonl'), ['体育新闻', '财经', '科技'].map((t) => JSON.stringify({ text: t })).join('\n') + '\n');
    const manifest = await runStage(predictStage, 'p.yaml', 'predict', root);
    expect(manifest.summary).toMatchObject({ rows: 3, output: 'predictions.jsonl' });
    const rows = fs.readFileSync(path.join(root, 'artifacts', 'p', 'predict', 'predictions.jsonl'), 'utf8').trim().split('\n');
    expect(rows).toHaveLength(3);
    expect(JSON.parse(rows[0]).top).toHaveLength(2);

    const out = path.join(root, 'cli.jsonl');
    const r = spawnSync('npx', ['tsx', 'packages/predict/src/predict-cli.ts', '--model', modelDir, '--input', path.join(root, 'texts.jsonl'), '--output', out], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stderr).toMatch(/3 predictions in/);
    expect(r.status).toBe(0);
    expect(fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l).label)).toEqual(rows.map((l) => JSON.parse(l).label));
    const bad = spawnSync('npx', ['tsx', 'packages/predict/src/predict-cli.ts', '--model', modelDir, '--input', path.join(root, 'missing.jsonl'), '--output', out], { cwd: ROOT, encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/predict: .*missing\.jsonl: file not found/);
  }, 60_000);
});
