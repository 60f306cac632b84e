import * as fs from 'node:fs';
import * as path from 'node:path';
import { argmaxRows, corpusCentre, knnLogits, loadCharVectors, meanVector, poolLogits, readDataset, readLogits, Rng, runStage, SMOKE_FIXTURE, sentenceVectors, smokeWorkspace, zeroshotLogits } from '@distill/core';
import { dataStage } from '@distill/data';
import { serveStage } from '@distill/serve';
import { teacherStage } from './stage';

const vectors = (entries: Record<string, number[]>) => {
  const tokens = Object.keys(entries);
  return { dim: entries[tokens[0]].length, index: new Map(tokens.map((t, i) => [t, i])), values: Float32Array.from(tokens.flatMap((t) => entries[t])) };
};

describe('zero-shot label-name similarity', () => {
  it('scores each label by the cosine of mean character vectors, after removing the corpus mean', () => {
    const v = vectors({ 球: [1, 0, 1], 赛: [1, 0, 1], 股: [0, 1, 1], 市: [0, 1, 1], 的: [0, 0, 1] });
    expect(Array.from(meanVector('球x股', v)!)).toEqual([0.5, 0.5, 1]);
    expect(meanVector('xyz', v)).toBeNull();
    const logits = zeroshotLogits(['球赛的', '股市的', '未知'], ['球', '股'], corpusCentre(['球赛的', '股市的'], v), v, 10);
    expect(logits[0]).toBeGreaterThan(logits[1]); // 球赛 → 球
    expect(logits[3]).toBeGreaterThan(logits[2]); // 股市 → 股
    expect([logits[4], logits[5]]).toEqual([0, 0]); // no known character: a uniform soft label
    // the shared direction (the third axis) carries no label: without centring, the scores are closer together
    const raw = zeroshotLogits(['球赛的'], ['球', '股'], new Float32Array(3), v, 10);
    expect(raw[0] - raw[1]).toBeLessThan(logits[0] - logits[1]);
    expect(() => zeroshotLogits(['球'], ['球', '无名'], new Float32Array(3), v, 1)).toThrow(/label name '无名' \(label 1\)/);
  });

  it('kNN: the nearest reference rows vote by similarity; a row can be left out of its own vote', () => {
    const u = (x: number, y: number) => Float32Array.of(x / Math.hypot(x, y), y / Math.hypot(x, y));
    const refs = [u(1, 0), u(1, 0.1), u(0, 1), u(0.1, 1)];
    const labels = [0, 0, 1, 1];
    const l = knnLogits([u(1, 0.05), u(0.05, 1), null], refs, labels, 2, 2, 10);
    expect(l[0]).toBeCloseTo(10, 3); // both neighbours are label 0
    expect(l[3]).toBeCloseTo(10, 3);
    expect([l[4], l[5]]).toEqual([0, 0]);
    // k 3: the third neighbour is of the other label and far: it weighs little
    const l3 = knnLogits([u(1, 0.05)], refs, labels, 2, 3, 1);
    expect(l3[0]).toBeGreaterThan(0.85);
    // leave-one-out: ref 0 without itself takes ref 1 and then the label-1 rows
    const loo = knnLogits([refs[0]], refs, labels, 2, 1, 1, [0]);
    expect(Array.from(loo)).toEqual([1, 0]);
    const loo2 = knnLogits([refs[2]], refs, labels, 2, 1, 1, [2]);
    expect(Array.from(loo2)).toEqual([0, 1]);
  });

  it('runs as a teacher mode without labels: above chance with vectors that know the topics, near chance with random ones', async () => {
    // test-made vectors: a character leans towards a topic's direction when the fixture's texts of that topic use it
    // (and each verbalizer's characters towards theirs); the zero-shot stage itself never reads a label
    const labelLines = fs.readFileSync(path.join(SMOKE_FIXTURE, 'labels.txt'), 'utf8').trim().split('\n').map((l) => l.split('=='));
    const topic = new Map(labelLines.map(([name], i) => [name, i]));
    const byChar = new Map<string, number[]>();
    for (const line of fs.readFileSync(path.join(SMOKE_FIXTURE, 'train.tsv'), 'utf8').trim().split('\n')) {
      const [text, label] = line.split('\t');
      for (const ch of text) (byChar.get(ch) ?? byChar.set(ch, new Array(labelLines.length).fill(0)).get(ch)!)[topic.get(label)!] += 1;
    }
    labelLines.forEach(([, word], i) => [...word].forEach((ch) => (byChar.get(ch) ?? byChar.set(ch, new Array(labelLines.length).fill(0)).get(ch)!)[i] += 10));
    const dim = 16;
    const write = (root: string, informed: boolean) => {
      const rng = new Rng(5);
      const tokens = [...byChar.keys()];
      const values = new Float32Array(tokens.length * dim);
      tokens.forEach((ch, r) => {
        const counts = byChar.get(ch)!;
        const total = counts.reduce((a, b) => a + b, 0);
        for (let j = 0; j < dim; j++) values[r * dim + j] = 0.3 * rng.normal() + (informed && j < counts.length ? counts[j] / total : 0);
      });
      fs.writeFileSync(path.join(root, 'data', 'zs.f32'), Buffer.from(values.buffer));
      fs.writeFileSync(path.join(root, 'data', 'zs.json'), JSON.stringify(tokens));
    };
    const stages = `  zs:
    uses: teacher
    inputs: { data: data }
    params: { mode: zeroshot, vectors: { file: data/zs.f32, vocab: data/zs.json, dim: ${dim} } }
  knn:
    uses: teacher
    inputs: { data: data }
    params: { mode: knn, k: [1, 5], vectors: { file: data/zs.f32, vocab: data/zs.json, dim: ${dim} } }
  data-k2:
    uses: data
    params:
      source: { format: tsv, train: data/train.tsv, test: data/test.tsv, labels: data/labels.txt }
      vocab: { min_frequency: 1 }
      max_length: 24
      train_per_label: 2
  knn-k2:
    uses: teacher
    inputs: { data: data-k2 }
    params: { mode: knn, k: [1], label_unlabeled: false, vectors: { file: data/zs.f32, vocab: data/zs.json, dim: ${dim} } }
  ens:
    uses: teacher
    inputs: { data: data, zs: zs, knn: knn }
    params: { mode: ensemble, members: [zs, knn], weights: [0, 0.5, 1] }
  nb:
    uses: teacher
    inputs: { data: data }
    params: { mode: naive_bayes }
  nb-k2:
    uses: teacher
    inputs: { data: data-k2 }
    params: { mode: naive_bayes, label_unlabeled: false }
  serve:
    uses: serve
    inputs: { data: data, zeroshot: zs, knn: knn, knn2: knn-k2, ens: ens, nb: nb, nb2: nb-k2 }
`;
    const accuracy = async (informed: boolean) => {
      const root = smokeWorkspace(stages);
      write(root, informed);
      await runStage(dataStage, 'p.yaml', 'data', root);
      const m = await runStage(teacherStage, 'p.yaml', 'zs', root);
      expect(fs.existsSync(path.join(root, 'artifacts', 'p', 'zs', 'checkpoint'))).toBe(false);
      expect(readLogits(path.join(root, 'artifacts', 'p', 'zs', 'logits', 'unlabeled.arrow')).numLabels).toBe(5);
      const baseline = JSON.parse(fs.readFileSync(path.join(root, 'artifacts', 'p', 'zs', 'baseline.json'), 'utf8'));
      expect(baseline).toMatchObject({ format: 'zero-shot', label_names: ['体育', '财经', '科技', '汽车', '教育'], split: 'valid' });
      expect(baseline.centre).toHaveLength(dim);
      return (m.summary as { valid_accuracy: number }).valid_accuracy;
    };
    expect(await accuracy(true)).toBeGreaterThan(0.6);
    // the final evaluation scores it on test with the same vectors, no fitting
    const root = smokeWorkspace(stages);
    write(root, true);
    await runStage(dataStage, 'p.yaml', 'data', root);
    await runStage(teacherStage, 'p.yaml', 'zs', root);
    const knn = await runStage(teacherStage, 'p.yaml', 'knn', root);
    const knnBaseline = JSON.parse(fs.readFileSync(path.join(root, 'artifacts', 'p', 'knn', 'baseline.json'), 'utf8'));
    expect(knnBaseline.tried.map((t: { k: number }) => t.k)).toEqual([1, 5]);
    expect(knnBaseline.k).toBe((knn.summary as { k: number }).k);
    // a logit row for every training row (each left out of its own vote)
    const trainLogits = readLogits(path.join(root, 'artifacts', 'p', 'knn', 'logits', 'train.arrow'));
    expect(trainLogits.ids).toHaveLength(270);
    await runStage(dataStage, 'p.yaml', 'data-k2', root);
    await runStage(teacherStage, 'p.yaml', 'knn-k2', root);
    const ens = await runStage(teacherStage, 'p.yaml', 'ens', root);
    await runStage(teacherStage, 'p.yaml', 'nb', root);
    await runStage(teacherStage, 'p.yaml', 'nb-k2', root);
    const served = await runStage(serveStage, 'p.yaml', 'serve', root);
    const bench = JSON.parse(fs.readFileSync(path.join(root, 'artifacts', 'p', 'serve', 'benchmark.json'), 'utf8'));
    const zs = bench.models.find((m: { name: string }) => m.name === 'zero-shot');
    expect(zs).toMatchObject({ role: 'baseline', format: 'zero-shot', params: 0 });
    expect(zs.accuracy).toBeGreaterThan(0.6);
    expect(zs.ci95[0]).toBeLessThanOrEqual(zs.accuracy);
    expect(served.reads).toEqual(expect.arrayContaining(['data/zs.f32']));
    const nearest = bench.models.find((m: { name: string }) => m.name === 'knn');
    expect(nearest).toMatchObject({ role: 'baseline', format: 'knn' });
    expect(nearest.accuracy).toBeGreaterThan(0.6);
    // a kNN of another data stage (2 rows per label) votes with that stage's training rows, not the serve stage's
    const out = (stage: string, f: string) => path.join(root, 'artifacts', 'p', stage, f);
    const few = readDataset(out('data-k2', 'train.arrow'));
    expect(few.rows).toHaveLength(10);
    expect(served.reads).toEqual(expect.arrayContaining(['artifacts/p/data-k2/train.arrow']));
    const spec = JSON.parse(fs.readFileSync(out('knn-k2', 'baseline.json'), 'utf8'));
    const v = loadCharVectors(path.join(root, 'data', 'zs.f32'), path.join(root, 'data', 'zs.json'), dim);
    const centre = Float32Array.from(spec.centre);
    const test = readDataset(out('data', 'test.arrow'));
    const expected = knnLogits(sentenceVectors(test.rows.map((r) => r.text), v, centre), sentenceVectors(few.rows.map((r) => r.text), v, centre), few.rows.map((r) => r.label), 5, 1, spec.scale);
    const correct = argmaxRows(expected, 5).filter((p, i) => p === test.rows[i].label).length;
    expect(bench.models.find((m: { name: string }) => m.name === 'knn-knn2').accuracy).toBeCloseTo(correct / test.rows.length, 10);
    // the same naive Bayes on two data stages is two models, each fitted on its own training rows
    const nbs = bench.models.filter((m: { format: string }) => m.format === 'naive-bayes');
    expect(nbs.map((m: { name: string }) => m.name)).toEqual(['naive-bayes', 'naive-bayes-nb2']);
    // the ensemble: the weights with the best valid accuracy of the grid, at least as good as either member alone
    const valid = readDataset(out('data', 'valid.arrow'));
    const validAcc = (l: Float32Array) => argmaxRows(l, 5).filter((p, i) => p === valid.rows[i].label).length / valid.rows.length;
    const members = ['zs', 'knn'].map((s) => readLogits(out(s, 'logits/valid.arrow')).logits);
    const metrics = JSON.parse(fs.readFileSync(out('ens', 'metrics.json'), 'utf8'));
    expect(metrics.tried).toHaveLength(8);
    const bestTried = Math.max(...metrics.tried.map((t: { weights: number[] }) => validAcc(poolLogits(members, t.weights, 5))));
    expect(ens.summary.valid_accuracy).toBeCloseTo(bestTried, 10);
    expect(ens.summary.valid_accuracy).toBeGreaterThanOrEqual(Math.max(validAcc(members[0]), validAcc(members[1])));
    // on test, the final evaluation pools the members it scores itself, with the same weights and temperature
    const ensSpec = JSON.parse(fs.readFileSync(out('ens', 'baseline.json'), 'utf8'));
    const zsSpec = JSON.parse(fs.readFileSync(out('zs', 'baseline.json'), 'utf8'));
    const zsTest = zeroshotLogits(test.rows.map((r) => r.text), zsSpec.label_names, Float32Array.from(zsSpec.centre), v, zsSpec.scale);
    const train = readDataset(out('data', 'train.arrow'));
    const knnCentre = Float32Array.from(knnBaseline.centre);
    const knnTest = knnLogits(sentenceVectors(test.rows.map((r) => r.text), v, knnCentre), sentenceVectors(train.rows.map((r) => r.text), v, knnCentre), train.rows.map((r) => r.label), 5, knnBaseline.k, knnBaseline.scale);
    const pooled = poolLogits([zsTest, knnTest], ensSpec.members.map((m: { weight: number }) => m.weight), 5, ensSpec.temperature);
    const ensCorrect = argmaxRows(pooled, 5).filter((p, i) => p === test.rows[i].label).length;
    expect(bench.models.find((m: { name: string }) => m.name === 'ensemble').accuracy).toBeCloseTo(ensCorrect / test.rows.length, 10);
    expect(await accuracy(false)).toBeLessThan(0.45);
  }, 60_000);
});
