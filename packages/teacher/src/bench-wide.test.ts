import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { readDataset, runStage, smokeWorkspace } from '@distill/core';
import { dataStage } from '@distill/data';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BENCH = path.join(ROOT, 'packages', 'teacher', 'bench', 'wide-fit.ts');

/** `npm run bench:wide` as a process, in a workspace whose data stage has run. */
function bench(root: string, args: string[]) {
  return spawnSync(process.execPath, ['--import', require.resolve('tsx'), BENCH, '--data', path.join(root, 'artifacts', 'p', 'data'), ...args], { cwd: root, encoding: 'utf8' });
}

describe('bench:wide on a data stage output', () => {
  let root: string;
  beforeAll(async () => {
    root = smokeWorkspace('');
    await runStage(dataStage, 'p.yaml', 'data', root);
  });

  test('fits naive Bayes tables of each bucket count and prints their valid accuracy, the text length taken from the data stage', () => {
    const r = bench(root, ['--method', 'naive_bayes', '--buckets', '4096,8192', '--alpha', '0.3,1', '--json']);
    expect(r.stderr).not.toMatch(/error|must be/i);
    expect(r.status).toBe(0);
    const rows = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    expect(rows.map((x) => x.buckets)).toEqual([4096, 8192]);
    const labels = readDataset(path.join(root, 'artifacts', 'p', 'data', 'train.arrow')).labels.length;
    for (const row of rows) {
      expect([0.3, 1]).toContain(row.alpha);
      expect(row.tried.map((t: { alpha: number }) => t.alpha)).toEqual([0.3, 1]);
      // a counted table on the fixture's topics does better than guessing the label
      expect(row.valid_accuracy).toBeGreaterThan(1 / labels);
      expect(row.valid_accuracy).toBeLessThanOrEqual(1);
    }
  });

  test('refuses a length that is no integer ≥ 2, naming the option', () => {
    const r = bench(root, ['--method', 'naive_bayes', '--buckets', '4096', '--max-length', 'x']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--max-length: 'x' is not an integer ≥ 2/);
  });
});
