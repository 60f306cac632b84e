/** Test helpers: throw-away workspaces (nx.json + a pipeline file `p.yaml` + copied fixture folders) in the temp dir. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export function tempWorkspace(pipelineYaml: string, copy: Record<string, string> = {}): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'workspace-'));
  fs.writeFileSync(path.join(root, 'nx.json'), '{}');
  for (const [to, from] of Object.entries(copy)) fs.cpSync(from, path.join(root, to), { recursive: true });
  fs.writeFileSync(path.join(root, 'p.yaml'), pipelineYaml);
  return root;
}

/** The repository's small TSV dataset (`fixtures/smoke`: train/test with a label map, unlabeled lines, vectors). */
export const SMOKE_FIXTURE = path.resolve(__dirname, '..', '..', '..', 'fixtures', 'smoke');

/** The multi-label fixture (`fixtures/multilabel`: titles with one or two of 5 topics, labels joined by `|`). */
export const MULTILABEL_FIXTURE = path.resolve(__dirname, '..', '..', '..', 'fixtures', 'multilabel');

/**
 * A workspace over the smoke fixture (copied to `data/`): `p.yaml` on the wasm backend with a `data` stage reading it
 * (every character in the vocabulary, max length 24) followed by `stages`, YAML indented as entries of `stages:`.
 * `vocab` replaces the data stage's vocabulary params (e.g. `{ file: ckpt/vocab.txt }`).
 */
export function smokeWorkspace(stages: string, o: { vocab?: string } = {}): string {
  return tempWorkspace(
    `backend: wasm
stages:
  data:
    uses: data
    params:
      source: { format: tsv, train: data/train.tsv, test: data/test.tsv, labels: data/labels.txt }
      unlabeled: [data/unlabeled.txt]
      vocab: ${o.vocab ?? '{ min_frequency: 1 }'}
      max_length: 24
${stages}`,
    { data: SMOKE_FIXTURE },
  );
}
