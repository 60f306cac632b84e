import * as fs from 'node:fs';
import * as path from 'node:path';
import { DATASETS } from './sources';

const PIPELINES = path.resolve(__dirname, '../../../pipelines');

/** The `${DATA_DIR}/…` paths a pipeline file names, as patterns (`${item}` of a foreach matches any name). */
function dataPaths(file: string): RegExp[] {
  const text = fs.readFileSync(path.join(PIPELINES, file), 'utf8');
  const found = new Set(Array.from(text.matchAll(/\$\{DATA_DIR\}\/((?:[^\s"',}\]$]|\$\{item\})+)/g), (m) => m[1]));
  return [...found].map((p) => new RegExp(`^${p.split('${item}').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[^/]+')}$`));
}

describe('DATASETS', () => {
  it.each(['tnews', 'fewclue-tnews'])('lists every file pipelines/%s.yaml reads, so `npm run data -- fetch` gets them all', (name) => {
    const listed = DATASETS[name].files.map((f) => f.path);
    const patterns = dataPaths(`${name}.yaml`);
    expect(patterns.length).toBeGreaterThan(3);
    const missing = patterns.filter((p) => !listed.some((f) => p.test(f)));
    expect(missing.map(String)).toEqual([]);
    expect(new Set(listed).size).toBe(listed.length); // each once
  });
});
