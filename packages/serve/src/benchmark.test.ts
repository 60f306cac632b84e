import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { OnnxClassifier, idsFeeds, lengthGroups } from '@distill/runtime';
import { argmaxRows } from '@distill/core';
import { benchmarkModel, keptAccuracy } from './benchmark';
import { TEST_LABELS as LABELS, writeTestModel } from './test-model';

/** Accuracy of argmax over the rows where `keep` holds. */
function subsetAccuracy(logits: Float32Array, gold: number[], k: number, keep: boolean[]): number {
  const predicted = argmaxRows(logits, k);
  return keptAccuracy(gold.map((g, i) => predicted[i] === g), keep);
}

describe('OnnxClassifier and the benchmark', () => {
  let dir: string;
  beforeAll(async () => {
    dir = path.dirname(await writeTestModel());
  });

  it('classifies texts with labels, scores and top-k, the same in a batch as alone', async () => {
    const clf = await OnnxClassifier.load(path.join(dir, 'model.onnx'));
    const batch = await clf.classify(['体育新闻', '汽车科技财经新闻新闻'], 2);
    expect(batch).toHaveLength(2);
    for (const p of batch) {
      expect(LABELS).toContain(p.label);
      expect(p.top.map((t) => t.score).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(p.top[0]).toEqual({ label: p.label, score: p.score });
    }
    const alone = await clf.classify(['体育新闻'], 2);
    expect(alone[0].score).toBeCloseTo(batch[0].score, 4);
    await clf.dispose();
  });

  it('runs a batch in length-sorted groups and answers in input order, as each text alone', async () => {
    const texts = ['体育新闻汽车科技财经新闻', '体', '财经新闻', '科技', '汽车科技财经新闻新闻体育', '教育新'];
    const k = LABELS.length;
    for (const [groupSize, runCostTokens] of [[1, 8], [2, 0], [16, 0], [16, 100]]) {
      const clf = await OnnxClassifier.load(path.join(dir, 'model.onnx'), { groupSize, runCostTokens });
      const batch = await clf.logits(texts);
      expect(batch).toHaveLength(texts.length * k);
      for (const [i, t] of texts.entries()) {
        const alone = await clf.logits([t]);
        for (let j = 0; j < k; j++) expect(batch[i * k + j]).toBeCloseTo(alone[j], 4);
      }
      await clf.dispose();
    }
    await expect(OnnxClassifier.load(path.join(dir, 'model.onnx'), { groupSize: 0 })).rejects.toThrow(/groupSize must be a positive integer/);
  });

  it('gives the same logits with idle threads sleeping instead of spinning', async () => {
    const texts = ['体育新闻', '汽车科技财经新闻新闻'];
    const spin = await OnnxClassifier.load(path.join(dir, 'model.onnx'), { threads: 2 });
    const sleep = await OnnxClassifier.load(path.join(dir, 'model.onnx'), { threads: 2, spinning: false });
    const a = await spin.logits(texts);
    const b = await sleep.logits(texts);
    a.forEach((x, i) => expect(b[i]).toBeCloseTo(x, 5));
    await spin.dispose();
    await sleep.dispose();
  });

  it('groups rows by length where the saved padding outweighs the cost of a run', () => {
    const lengths = [30, 5, 6, 31, 5, 29];
    expect(lengthGroups(lengths, 64, 8)).toEqual([[1, 4, 2], [5, 0, 3]]); // 8+3×6 + 8+3×31 = 127 < 8+6×31
    expect(lengthGroups(lengths, 64, 1000)).toEqual([[1, 4, 2, 5, 0, 3]]); // runs cost more than any padding
    expect(lengthGroups(lengths, 64, 0)).toEqual([[1, 4], [2], [5], [0], [3]]); // no padding at all
    expect(lengthGroups(lengths, 2, 1000)).toEqual([[1, 4], [2, 5], [0, 3]]);
    expect(lengthGroups([], 4, 8)).toEqual([]);
  });

  it('names what is missing from a model directory', async () => {
    fs.rmSync(path.join(dir, 'serving.json'));
    await expect(OnnxClassifier.load(path.join(dir, 'model.onnx'))).rejects.toThrow(/serving\.json: missing from the model directory/);
    fs.writeFileSync(path.join(dir, 'serving.json'), JSON.stringify({ max_length: 16, lower_case: true }));
  });

  it('reports accuracy, size and latency percentiles', async () => {
    const test = ['体育', '财经', '科技新闻', '教育'].map((text, i) => ({ id: `${i}`, text, label: i % 2 }));
    const r = await benchmarkModel(path.join(dir, 'model.onnx'), test, { latencySamples: 4, warmup: 2, threads: 1 });
    expect(r.accuracy).toBeGreaterThanOrEqual(0);
    expect(r.accuracy).toBeLessThanOrEqual(1);
    expect(r.size_bytes).toBe(fs.statSync(path.join(dir, 'model.onnx')).size);
    expect(r.latency_ms.p50).toBeGreaterThan(0);
    expect(r.latency_ms.p99).toBeGreaterThanOrEqual(r.latency_ms.p50);
    expect(r.throughput?.batch_size).toBe(32);
    expect(r.throughput?.texts_per_s).toBeGreaterThan(0);
    expect(r.accuracy_unseen).toBeUndefined();
  });

  it('scores the test rows not in the training data on their own', async () => {
    // rows 0 and 2 right, 1 and 3 wrong
    const logits = Float32Array.from([0.9, 0.1, 0.9, 0.1, 0.2, 0.8, 0.2, 0.8]);
    expect(subsetAccuracy(logits, [0, 1, 1, 0], 2, [true, true, true, true])).toBe(0.5);
    expect(subsetAccuracy(logits, [0, 1, 1, 0], 2, [true, false, true, false])).toBe(1);
    expect(subsetAccuracy(logits, [0, 1, 1, 0], 2, [false, true, false, false])).toBe(0);
    const test = ['体育', '财经', '科技新闻', '教育'].map((text, i) => ({ id: `${i}`, text, label: i % 2 }));
    const clf = await OnnxClassifier.load(path.join(dir, 'model.onnx'));
    const { logits: all } = await clf.evaluate(test);
    await clf.dispose();
    const r = await benchmarkModel(path.join(dir, 'model.onnx'), test, { latencySamples: 2, warmup: 0, threads: 1, inTrain: [false, true, false, true] });
    expect(r.accuracy_unseen).toBe(subsetAccuracy(all, [0, 1, 0, 1], 2, [true, false, true, false]));
  });

  it('a multi-label model: sigmoid probabilities in the graph; subset accuracy with its interval, micro- and macro-F1 at the thresholds', async () => {
    // thresholds [0, 1]: every text gets {sports} and never finance
    const file = await writeTestModel({ multiLabel: { thresholds: [0, 1] } });
    const test = [
      { id: 'a', text: '体育', label: -1, labels: [0] },
      { id: 'b', text: '财经', label: -1, labels: [0, 1] },
      { id: 'c', text: '科技', label: -1, labels: [1] },
    ];
    const session = await ort.InferenceSession.create(file);
    const clf = await OnnxClassifier.load(file);
    const out = await session.run(idsFeeds([clf.encode('体育')], clf.tokenizer.padId));
    const logits = out.logits.data as Float32Array;
    (out.probabilities.data as Float32Array).forEach((p, j) => expect(p).toBeCloseTo(1 / (1 + Math.exp(-logits[j])), 6));
    const { metrics } = await clf.evaluate(test);
    await clf.dispose();
    await session.release();
    expect(metrics.accuracy).toBeCloseTo(1 / 3, 10);
    const r = await benchmarkModel(file, test, { latencySamples: 2, warmup: 0, threads: 1 });
    expect(r.problem_type).toBe('multi_label_classification');
    expect(r.accuracy).toBeCloseTo(1 / 3, 10);
    expect(r.micro_f1).toBeCloseTo(4 / 7, 6); // tp 2, fp 1, fn 2
    expect(r.macro_f1).toBeCloseTo(0.4, 6); // sports 0.8, finance 0
    expect(r.ci95![0]).toBeLessThanOrEqual(r.accuracy);
  });

  it('names a multi-label serving.json whose thresholds do not fit its labels', async () => {
    const file = await writeTestModel({ multiLabel: { thresholds: [0.5, 1.5] } });
    await expect(OnnxClassifier.load(file)).rejects.toThrow(/serving\.json: thresholds must be 2 numbers in \[0, 1\], one per label/);
    const short = await writeTestModel({ multiLabel: { thresholds: [0.5] } });
    await expect(OnnxClassifier.load(short)).rejects.toThrow(/thresholds must be 2 numbers/);
  });
});
