import { OnnxClassifier } from '@distill/runtime';
import { writeTestModel } from './test-model';
import { WorkerClassifier } from './worker-classifier';

describe('classifier in a worker thread', () => {
  it('classifies as the classifier in this thread does, and errors name the problem', async () => {
    const file = await writeTestModel();
    const texts = ['体育新闻', '汽车科技财经新闻新闻', '财经'];
    const local = await OnnxClassifier.load(file);
    const worker = await WorkerClassifier.load(file, { threads: 1 });
    try {
      expect(worker.labels).toEqual(local.labels);
      const [a, b] = await Promise.all([worker.classify(texts, 2), worker.classify(['科技'], 1)]);
      const ref = await local.classify(texts, 2);
      a.forEach((p, i) => {
        expect(p.label).toBe(ref[i].label);
        expect(p.score).toBeCloseTo(ref[i].score, 5);
        expect(p.top.map((t) => t.label)).toEqual(ref[i].top.map((t) => t.label));
      });
      expect(b).toHaveLength(1);
    } finally {
      await worker.dispose();
      await local.dispose();
    }
    await expect(worker.classify(['体育'])).rejects.toThrow(/worker exited/);
    await worker.dispose(); // a second dispose returns at once
    await expect(WorkerClassifier.load('/nonexistent/model.onnx')).rejects.toThrow(/missing from the model directory/);
  });
});
