/** Test helper: a throw-away workspace (nx.json + a pipeline file `p.yaml` + copied fixture folders) in the temp dir. */
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
