/**
 * Malformed pipeline files: every one is a PipelineError naming the file (and, where the YAML has it, the line and
 * key path), never a crash, a hang or a silently accepted run.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { z } from 'zod';
import { trainingParamsSchema } from './model-params';
import { loadPipeline, PipelineError } from './pipeline';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipeline-malformed-'));
const schemas = { distill: z.object({ alpha: z.number().default(0.5), training: trainingParamsSchema.prefault({}) }).strict() };
const D = 'stages:\n  data: { uses: data }\n';

const cases: [string, string, RegExp, string?][] = [
  ['invalid YAML', 'stages: [\n', /invalid YAML/],
  ['a YAML list, not a mapping', '- a\n- b\n', /a pipeline is a YAML mapping/],
  ['an empty file', '', /a pipeline is a YAML mapping/],
  ['a YAML alias bomb', 'a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nstages: {}\n', /invalid YAML|unknown key/],
  ['a duplicate key', `${D}  data: { uses: data }\n`, /invalid YAML/],
  ['an unknown top-level key', `sede: 1\n${D}`, /:1: sede: unknown key 'sede' \(did you mean 'seed'\?\)/],
  ['no stages', 'seed: 1\n', /stages/],
  ['empty stages', 'stages: {}\n', /a pipeline needs at least one stage/],
  ['a stage without uses', 'stages:\n  data: { params: {} }\n', /:2: stages\.data\.uses/],
  ['an unknown stage kind', 'stages:\n  data: { uses: dataa }\n', /:2: stages\.data\.uses/],
  ['a stage name with capitals', 'stages:\n  Data: { uses: data }\n', /stages\.Data: invalid name/],
  ['a stage name with a dot', 'stages:\n  ../x: { uses: data }\n', /invalid name/],
  ["a stage named 'report'", `${D}  report: { uses: distill, inputs: { data: data } }\n`, /:3: stages\.report: 'report' is reserved/],
  ['an input naming a missing stage', `${D}  d: { uses: distill, inputs: { data: dat } }\n`, /:3: stages\.d\.inputs\.data: no stage named 'dat' \(did you mean 'data'\?\)/],
  ['an input of the wrong kind', `${D}  d: { uses: distill, inputs: { data: data } }\n  e: { uses: distill, inputs: { data: d } }\n`, /:4: stages\.e\.inputs\.data: a distill stage's 'data' input is a data stage; 'd' is a distill stage/],
  ['an input role with capitals', `${D}  d: { uses: distill, inputs: { Data: data } }\n`, /input roles are lower-case/],
  ['a cycle', 'stages:\n  a: { uses: distill, inputs: { x: b } }\n  b: { uses: distill, inputs: { x: a } }\n', /cycle: a → b → a|cycle: b → a → b/],
  ['after naming a missing stage', `${D}  d: { uses: distill, inputs: { data: data }, after: [nope] }\n`, /stages\.d\.after\.0: no stage named 'nope'/],
  ['an unknown param', `${D}  d: { uses: distill, inputs: { data: data }, params: { alpah: 1 } }\n`, /:3: stages\.d\.params\.alpah: unknown key 'alpah' \(did you mean 'alpha'\?\)/],
  ['a param of the wrong type', `${D}  d: { uses: distill, inputs: { data: data }, params: { alpha: high } }\n`, /:3: stages\.d\.params\.alpha: .*number/],
  ['a nested unknown param', `${D}  d: { uses: distill, inputs: { data: data }, params: { training: { epocs: 1 } } }\n`, /stages\.d\.params\.training\.epocs: unknown key 'epocs' \(did you mean 'epochs'\?\)/],
  ['epochs that would run for years', `${D}  d: { uses: distill, inputs: { data: data }, params: { training: { epochs: 1e12 } } }\n`, /stages\.d\.params\.training\.epochs/],
  ['a negative learning rate', `${D}  d: { uses: distill, inputs: { data: data }, params: { training: { lr: -1 } } }\n`, /stages\.d\.params\.training\.lr/],
  ['an unknown backend', `backend: gpu\n${D}`, /:1: backend/],
  ['an unknown matmul precision', `matmul: fp16\n${D}`, /:1: matmul/],
  ['a negative seed', `seed: -1\n${D}`, /:1: seed/],
  ['params that are not a mapping', 'stages:\n  data: { uses: data, params: 5 }\n', /stages\.data\.params/],
  ['a ${VAR} other than ${DATA_DIR}', 'stages:\n  data: { uses: data, params: { f: "${HOME}/x" } }\n', /:2: stages\.data\.params\.f: '\$\{HOME\}': only \$\{DATA_DIR\} is substituted/],
  ['extends of a missing file', `extends: gone.yaml\n${D}`, /:1: extends: no pipeline file gone\.yaml to extend/],
  ['extends that is not a path', `extends: [a]\n${D}`, /:1: extends: expected the path of another pipeline file/],
];

describe('malformed pipeline files', () => {
  it.each(cases)('%s: a PipelineError naming the file', (name, text, message) => {
    const file = path.join(dir, `case-${cases.findIndex((c) => c[0] === name)}.yaml`);
    fs.writeFileSync(file, text);
    let err: unknown = null;
    try {
      loadPipeline(file, schemas);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PipelineError);
    expect((err as Error).message).toContain(file);
    expect((err as Error).message).toMatch(message);
  });

  it('an extends cycle and a file name that is no pipeline name', () => {
    fs.writeFileSync(path.join(dir, 'ping.yaml'), `extends: pong.yaml\n${D}`);
    fs.writeFileSync(path.join(dir, 'pong.yaml'), `extends: ping.yaml\n${D}`);
    expect(() => loadPipeline(path.join(dir, 'ping.yaml'), schemas)).toThrow(/extends cycle: ping\.yaml → pong\.yaml → ping\.yaml|extends cycle/);
    fs.writeFileSync(path.join(dir, '...yaml'), D);
    expect(() => loadPipeline(path.join(dir, '...yaml'), schemas)).toThrow(/is no pipeline name/);
  });
});
