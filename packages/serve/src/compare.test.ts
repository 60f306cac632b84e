import { compareReports } from './compare';
import type { Report } from './report';

const report = (accuracy: number, p50: number, seconds: number): Report => ({
  pipeline: 'p',
  backend: 'wasm',
  seed: 13,
  stages: { data: { uses: 'data', seconds: 1, backend: null }, teacher: { uses: 'teacher', seconds, backend: 'wasm' } },
  dataset: { rows: {}, num_labels: 2 },
  models: [{ name: 'student-int8', role: 'student', format: 'onnx-int8', file: 'x', accuracy, ci95: [accuracy - 0.01, accuracy + 0.01], components: { table: { accuracy: accuracy - 0.1, ci95: [0, 1] }, encoder: { accuracy: 0.3, ci95: [0, 1] }, both: { accuracy, ci95: [0, 1] } }, macro_f1: 0.5, params: 10, size_bytes: 2e6, latency_ms: { p50, p99: 2 * p50, mean: p50, std: 0 }, throughput: { batch_size: 32, texts_per_s: 1000 / p50 } }],
  http: [],
  distillation: [],
  versions: {},
});

describe('compareReports', () => {
  it('puts reports side by side with differences to the first', () => {
    const md = compareReports(['A', 'B'], [report(0.5, 1, 10), report(0.5625, 0.8, 12.5)]);
    expect(md).toContain('| | A | B |');
    expect(md).toContain('| accuracy % | 50.00 | 56.25 (+6.25) |');
    expect(md).toContain('| 95% interval | [49.00, 51.00] | [55.25, 57.25] |');
    expect(md).toContain('| table alone % | 40.00 | 46.25 (+6.25) |');
    expect(md).toContain('| encoder alone % | 30.00 | 30.00 |');
    expect(md).toContain('| p50 ms | 1.000 | 0.800 (-0.200) |');
    expect(md).toContain('| teacher | 10.0 | 12.5 (+2.5) |');
    expect(md).toContain('| total | 11.0 | 13.5 (+2.5) |');
    expect(md).toContain('| size MB | 2.00 | 2.00 |');
    expect(md).toContain('| texts/s at batch 32 | 1000 | 1250 (+250) |');
  });
  it('needs two reports', () => {
    expect(() => compareReports(['A'], [report(0.5, 1, 1)])).toThrow(/at least two/);
  });
});
