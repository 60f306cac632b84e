import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadPipeline } from '@distill/core';
import { buildReport } from './report';

describe('buildReport', () => {
  it('collects stage times, dataset sizes, backend and models into the stable report fields', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'report-'));
    fs.writeFileSync(path.join(root, 'p.yaml'), 'stages:\n  data: { uses: data }\n  teacher: { uses: teacher, inputs: { data: data } }\n  bench: { uses: serve, inputs: { data: data } }\n');
    const manifest = (stage: string, uses: string, seconds: number, backend: string | null, summary = {}) => {
      const dir = path.join(root, 'artifacts', 'p', stage);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ stage, uses, seconds, backend, summary, versions: { node: 'v20' } }));
      return dir;
    };
    manifest('data', 'data', 1.5, null, { rows: { train: 10, valid: 2, test: 3 }, num_labels: 2 });
    manifest('teacher', 'teacher', 20, 'wasm');
    const bench = manifest('bench', 'serve', 3, null);
    const model = { name: 'student-int8', role: 'student', format: 'onnx-int8', file: 'x', accuracy: 0.5, macro_f1: 0.4, params: 10, size_bytes: 100, latency_ms: { p50: 1, p99: 2, mean: 1.1, std: 0.1 } };
    fs.writeFileSync(path.join(bench, 'benchmark.json'), JSON.stringify({ models: [model] }));

    const report = buildReport(root, loadPipeline(path.join(root, 'p.yaml')));
    expect(report.pipeline).toBe('p');
    expect(report.backend).toBe('wasm');
    expect(report.stages.teacher.seconds).toBe(20);
    expect(report.dataset).toEqual({ rows: { train: 10, valid: 2, test: 3 }, num_labels: 2 });
    expect(report.models).toEqual([model]);
    expect(report.distillation).toEqual([]);
    expect(report.http).toEqual([]);
  });

  it('names the stage that has not run', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'report-'));
    fs.writeFileSync(path.join(root, 'p.yaml'), 'stages:\n  data: { uses: data }\n');
    expect(() => buildReport(root, loadPipeline(path.join(root, 'p.yaml')))).toThrow(/manifest\.json: missing — has stage 'data' run\?/);
  });
});
