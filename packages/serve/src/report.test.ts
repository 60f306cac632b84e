import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadPipeline } from '@distill/core';
import { buildReport, reproduction, reproductionYaml } from './report';

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

  it('records the git commit, uncommitted changes and the resolved pipeline, which reloads to the same stages', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'report-git-'));
    const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
    git('init', '-q');
    fs.writeFileSync(path.join(root, 'base.yaml'), 'seed: 5\nstages:\n  data: { uses: data, params: { n: &n 3 } }\n  more: { uses: data, params: { n: *n } }\n');
    fs.writeFileSync(path.join(root, 'p.yaml'), 'extends: base.yaml\nstages:\n  more: { params: { n: 4 } }\n');
    git('add', '.');
    git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'x');
    const pipeline = loadPipeline(path.join(root, 'p.yaml'));
    const r = reproduction(root, pipeline);
    expect(r.git_commit).toBe(git('rev-parse', 'HEAD'));
    expect(r.git_dirty).toBe(false);
    expect(r.seed).toBe(5);
    expect(r.command).toBe('npm run reproduce -- artifacts/p/report.json');
    fs.writeFileSync(path.join(root, 'repro.yaml'), reproductionYaml('artifacts/p/report.json', r));
    const again = loadPipeline(path.join(root, 'repro.yaml'));
    expect(again.stages).toEqual(pipeline.stages);
    expect(again.stages.more.params).toEqual({ n: 4 });
    expect(again.seed).toBe(5);
    fs.appendFileSync(path.join(root, 'base.yaml'), '# edited\n');
    expect(reproduction(root, pipeline).git_dirty).toBe(true);
  });

  it("takes every test score from the final evaluation: a teacher's valid-scored baseline.json is not listed, the serve stage's models are, and each distillation row gets its model's test score", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'report-nb-'));
    fs.writeFileSync(path.join(root, 'p.yaml'), 'stages:\n  data: { uses: data }\n  t1: { uses: teacher, inputs: { data: data } }\n  d1: { uses: distill, inputs: { data: data } }\n  s: { uses: serve, inputs: { data: data, baselines: t1 } }\n');
    const nb = { name: 'naive-bayes', role: 'baseline', format: 'naive-bayes', accuracy: 0.25, macro_f1: 0.2, params: 30, size_bytes: 120, split: 'valid' };
    const served = { name: 'student-fp32', role: 'student', format: 'onnx-fp32', stage: 'd1', accuracy: 0.4, ci95: [0.35, 0.45], accuracy_unseen: 0.38, macro_f1: 0.3, params: 10, size_bytes: 40 };
    for (const stage of ['data', 't1', 'd1', 's']) {
      const dir = path.join(root, 'artifacts', 'p', stage);
      fs.mkdirSync(dir, { recursive: true });
      const uses = { data: 'data', t1: 'teacher', d1: 'distill', s: 'serve' }[stage];
      const summary = stage === 'd1' ? { objective: 'task', valid_accuracy: 0.41, steps: 5, params_table: 0 } : {};
      fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ stage, uses, seconds: 1, backend: null, summary, versions: {} }));
    }
    fs.writeFileSync(path.join(root, 'artifacts', 'p', 't1', 'baseline.json'), JSON.stringify(nb));
    fs.writeFileSync(path.join(root, 'artifacts', 'p', 's', 'benchmark.json'), JSON.stringify({ models: [served], http: [] }));
    const report = buildReport(root, loadPipeline(path.join(root, 'p.yaml')));
    expect(report.models.map((m) => [m.name, m.accuracy])).toEqual([['student-fp32', 0.4]]);
    expect(report.distillation).toEqual([expect.objectContaining({ stage: 'd1', table: false, valid_accuracy: 0.41, test_accuracy: 0.4, test_ci95: [0.35, 0.45], test_accuracy_unseen: 0.38 })]);
  });

  it('says when the stages come from different runs: other commits, or a stage older than what it reads', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'report-mixed-'));
    fs.writeFileSync(path.join(root, 'p.yaml'), 'stages:\n  data: { uses: data }\n  t: { uses: teacher, inputs: { data: data } }\n');
    const write = (stage: string, uses: string, finished_at: string, git_commit: string) => {
      const dir = path.join(root, 'artifacts', 'p', stage);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ stage, uses, seconds: 1, backend: null, summary: {}, versions: {}, finished_at, git_commit }));
    };
    write('data', 'data', '2026-11-30T10:00:00.000Z', 'aaa');
    write('t', 'teacher', '2026-11-30T11:00:00.000Z', 'aaa');
    expect(buildReport(root, loadPipeline(path.join(root, 'p.yaml'))).mixed_runs).toBeUndefined();
    write('data', 'data', '2026-11-30T12:00:00.000Z', 'bbb'); // data rerun at another commit; t kept from before
    const mixed = buildReport(root, loadPipeline(path.join(root, 'p.yaml'))).mixed_runs;
    expect(mixed).toEqual({ commits: { bbb: ['data'], aaa: ['t'] }, older_than_input: ['t'] });
  });

  it('names the stage that has not run', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'report-'));
    fs.writeFileSync(path.join(root, 'p.yaml'), 'stages:\n  data: { uses: data }\n');
    expect(() => buildReport(root, loadPipeline(path.join(root, 'p.yaml')))).toThrow(/manifest\.json: missing — has stage 'data' run\?/);
  });
});
