import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { z } from 'zod';
import { encoderParamsSchema, trainingParamsSchema } from './model-params';
import { loadPipeline, stageSlice, upstreamOf } from './pipeline';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipeline-'));
function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

const GOOD = `
seed: 7
stages:
  data:
    uses: data
    params: { n: 1 }
  teacher:
    uses: teacher
    inputs: { data: data }
  distill:
    uses: distill
    inputs: { data: data, teacher: teacher }
    params: { alpha: 0.5 }
`;

const schemas = { distill: z.object({ alpha: z.number() }).strict() };

describe('loadPipeline', () => {
  it('orders stages upstream first and names the pipeline after the file', () => {
    const p = loadPipeline(write('good.yaml', GOOD), schemas);
    expect(p.name).toBe('good');
    expect(p.order).toEqual(['data', 'teacher', 'distill']);
    expect(upstreamOf(p, 'distill')).toEqual(['data', 'teacher']);
  });

  it('rejects an unknown key with file, line and key path', () => {
    const file = write('unknown.yaml', GOOD.replace('seed: 7', 'seed: 7\nsede: 8'));
    expect(() => loadPipeline(file)).toThrow(`${file}:3: sede: unknown key 'sede'`);
  });

  it('rejects an unknown key inside a stage', () => {
    const file = write('stagekey.yaml', GOOD.replace('    uses: teacher', '    uses: teacher\n    paramz: {}'));
    expect(() => loadPipeline(file)).toThrow(/stagekey\.yaml:\d+: stages\.teacher\.paramz: unknown key 'paramz'/);
  });

  it('validates stage params with the package schema', () => {
    const file = write('types.yaml', GOOD.replace('alpha: 0.5', "alpha: 'high'"));
    expect(() => loadPipeline(file, schemas)).toThrow(/types\.yaml:\d+: stages\.distill\.params\.alpha: /);
  });

  it('rejects an input naming a missing stage', () => {
    const file = write('missing.yaml', GOOD.replace('teacher: teacher }', 'teacher: teachr }'));
    expect(() => loadPipeline(file)).toThrow(/missing\.yaml:\d+: stages\.distill\.inputs\.teacher: no stage named 'teachr'/);
  });

  it('orders a stage after the stages named in `after` without making them inputs', () => {
    const text = GOOD + `  bench:
    uses: serve
    inputs: { data: data }
    after: [distill]
`;
    const p = loadPipeline(write('after.yaml', text.replace('stages:\n', 'stages:\n  first:\n    uses: serve\n    after: [teacher]\n')));
    expect(p.order.indexOf('first')).toBeGreaterThan(p.order.indexOf('teacher'));
    expect(p.order.indexOf('bench')).toBeGreaterThan(p.order.indexOf('distill'));
    expect(p.stages.bench.inputs).toEqual({ data: 'data' });
    expect(upstreamOf(p, 'bench')).toEqual(['data']);
    const bad = write('after-missing.yaml', text.replace('after: [distill]', 'after: [distil]'));
    expect(() => loadPipeline(bad)).toThrow(/after-missing\.yaml:\d+: stages\.bench\.after\.0: no stage named 'distil'/);
  });

  it('rejects a cycle and prints it', () => {
    const file = write('cycle.yaml', GOOD.replace('    uses: data\n', '    uses: data\n    inputs: { x: distill }\n'));
    expect(() => loadPipeline(file)).toThrow(/cycle\.yaml:\d+: stages\.\w+\.inputs: cycle: (data → distill → data|distill → data → distill)/);
  });

  it('rejects an unknown stage package', () => {
    const file = write('uses.yaml', GOOD.replace('uses: teacher', 'uses: trainer'));
    expect(() => loadPipeline(file)).toThrow(/uses\.yaml:\d+: stages\.teacher\.uses: /);
  });

  it('shares params between stages through YAML anchors and merge keys, with overrides', () => {
    const text = GOOD.replace('    params: { alpha: 0.5 }', '    params: &tsd { alpha: 0.5 }') + `  variant:
    uses: distill
    inputs: { data: data }
    params:
      <<: *tsd
      alpha: 0.1
  same:
    uses: distill
    inputs: { data: data }
    params: { <<: *tsd }
`;
    const p = loadPipeline(write('merge.yaml', text), { distill: z.object({ alpha: z.number() }).strict() });
    expect(p.stages.variant.params).toEqual({ alpha: 0.1 });
    expect(p.stages.same.params).toEqual({ alpha: 0.5 });
  });

  it('follows extends, overriding key by key', () => {
    write('base.yaml', GOOD);
    const file = write('child.yaml', 'extends: base.yaml\nstages:\n  distill:\n    params: { alpha: 0.9 }\n');
    const p = loadPipeline(file, schemas);
    expect(p.name).toBe('child');
    expect(p.stages.distill.params).toEqual({ alpha: 0.9 });
    expect(p.stages.data.params).toEqual({ n: 1 });
    expect(p.base).toBe(path.resolve(path.dirname(file), 'base.yaml'));
    expect(loadPipeline(path.resolve(path.dirname(file), 'base.yaml'), schemas).base).toBeUndefined();
  });

  it('slices one stage: other stages do not appear in it', () => {
    const p = loadPipeline(write('slice.yaml', GOOD));
    const q = loadPipeline(write('slice2.yaml', GOOD.replace('alpha: 0.5', 'alpha: 0.7')));
    expect(stageSlice(p, 'teacher')).toEqual(stageSlice(q, 'teacher'));
    expect(stageSlice(p, 'distill')).not.toEqual(stageSlice(q, 'distill'));
  });

  it('foreach makes one stage per item, ${item} substituted in inputs, params and description', () => {
    const p = loadPipeline(
      write(
        'foreach.yaml',
        `stages:
  data:
    uses: data
    params: { n: 0 }
  split:
    foreach: [1, few_all]
    uses: data
    description: "split \${item}"
    params: { n: "train_\${item}.json", k: "\${item}" }
  teacher:
    foreach: [1, few_all]
    uses: teacher
    inputs: { data: "split-\${item}" }
  distill:
    uses: distill
    inputs: { data: data, teacher: teacher-few_all }
    params: { alpha: 0.5 }
`,
      ),
      schemas,
    );
    expect(Object.keys(p.stages)).toEqual(['data', 'split-1', 'split-few_all', 'teacher-1', 'teacher-few_all', 'distill']);
    expect(p.stages['split-few_all']).toMatchObject({ uses: 'data', description: 'split few_all', params: { n: 'train_few_all.json', k: 'few_all' } });
    // a parameter that is \${item} alone takes a number item as a number
    expect(p.stages['split-1'].params).toEqual({ n: 'train_1.json', k: 1 });
    expect(p.stages['teacher-1'].inputs).toEqual({ data: 'split-1' });
    expect(p.stages['split-1']).not.toHaveProperty('foreach');
    expect(upstreamOf(p, 'distill')).toEqual(['data', 'split-few_all', 'teacher-few_all']);
  });

  it('a foreach stage: bad items, a generated name taken, and problems of generated stages at the written lines', () => {
    const bad = (name: string, text: string) => () => loadPipeline(write(name, text), schemas);
    expect(bad('fe1.yaml', 'stages:\n  s:\n    foreach: [A]\n    uses: data\n')).toThrow(/fe1\.yaml:3: stages\.s\.foreach: .*lower-case name/);
    expect(bad('fe2.yaml', 'stages:\n  s:\n    foreach: []\n    uses: data\n')).toThrow(/stages\.s\.foreach/);
    expect(bad('fe3.yaml', 'stages:\n  s-1:\n    uses: data\n  s:\n    foreach: [1]\n    uses: data\n')).toThrow(/foreach item '1' makes stage 's-1', which already exists/);
    // a distill stage generated from a template with a misspelt key: the error names the generated stage and the template's line
    expect(bad('fe4.yaml', 'stages:\n  data: { uses: data }\n  d:\n    foreach: [x]\n    uses: distill\n    inputs: { data: data }\n    params:\n      alpah: 0.5\n')).toThrow(/fe4\.yaml:8: stages\.d-x\.params\.alpah: unknown key 'alpah'/);
  });

  it('the matmul precision is pipeline-wide: fp32 by default, in every stage slice when it is not', () => {
    const p = loadPipeline(write('fp32.yaml', GOOD));
    const b = loadPipeline(write('bf16.yaml', `matmul: auto\n${GOOD}`));
    expect([p.matmul, b.matmul]).toEqual(['fp32', 'auto']);
    expect(stageSlice(p, 'teacher')).not.toHaveProperty('matmul');
    expect(stageSlice(b, 'teacher')).toMatchObject({ matmul: 'auto' });
  });
});

describe('pipeline errors, all at once', () => {
  const nested = { distill: z.object({ alpha: z.number(), training: z.object({ epochs: z.number().default(1) }).strict().prefault({}) }).strict() };
  it('lists every problem of a file with its line, and suggests the key or stage name meant', () => {
    const file = write('many.yaml', 'seed: 7\nstages:\n  data: { uses: data }\n  teacher:\n    uses: teacher\n    inputs: { data: dta }\n  distill:\n    uses: distill\n    inputs: { data: data }\n    params: { alpah: 0.5, training: { epohcs: 2 } }\n');
    let err: Error & { problems?: { line?: number; message: string }[] } = new Error('none');
    try {
      loadPipeline(file, nested);
    } catch (e) {
      err = e as typeof err;
    }
    expect(err.message).toMatch(/^4 problems in .*many\.yaml:/);
    expect(err.message).toContain(`${file}:10: stages.distill.params.alpah: unknown key 'alpah' (did you mean 'alpha'?)`);
    expect(err.message).toContain(`${file}:10: stages.distill.params.training.epohcs: unknown key 'epohcs' (did you mean 'epochs'?)`);
    expect(err.message).toMatch(/many\.yaml:10: stages\.distill\.params\.alpha: .*number/); // required and missing
    expect(err.message).toContain(`${file}:6: stages.teacher.inputs.data: no stage named 'dta' (did you mean 'data'?)`);
    expect(err.problems).toHaveLength(4);
  });

  it('lists the keys when none is close, and checks params even when the file-level keys are wrong', () => {
    const file = write('top.yaml', 'sede: 7\nstages:\n  distill:\n    uses: distill\n    params: { alpha: 0.5, zzz: 1 }\n');
    expect(() => loadPipeline(file, nested)).toThrow(/2 problems[\s\S]*top\.yaml:1: sede: unknown key 'sede' \(did you mean 'seed'\?\)[\s\S]*top\.yaml:5: stages\.distill\.params\.zzz: unknown key 'zzz' \(keys: alpha, training\)/);
  });
});

describe('pipeline names', () => {
  it("refuses a file name that could leave artifacts/ and a stage named 'report'", () => {
    const dots = write('...yaml', GOOD);
    expect(() => loadPipeline(dots, schemas)).toThrow(/the file name '\.\.' is no pipeline name/);
    const upper = write('My.Pipeline.yaml', GOOD);
    expect(() => loadPipeline(upper, schemas)).toThrow(/the file name 'My\.Pipeline' is no pipeline name/);
    const report = write('rep.yaml', 'stages:\n  data: { uses: data }\n  report: { uses: serve, inputs: { data: data } }\n');
    expect(() => loadPipeline(report, schemas)).toThrow(/rep\.yaml:3: stages\.report: 'report' is reserved/);
  });
});

describe('references a pipeline file makes', () => {
  it('names the referring file and line for a missing extends target, and for a ${VAR} other than ${DATA_DIR}', () => {
    const child = write('child.yaml', 'extends: nowhere.yaml\nstages:\n  data: { uses: data }\n');
    expect(() => loadPipeline(child, schemas)).toThrow(/child\.yaml:1: extends: no pipeline file nowhere\.yaml to extend/);
    const home = write('home.yaml', 'stages:\n  data:\n    uses: data\n    params: { file: "${HOME}/x.tsv", ok: "${DATA_DIR}/y.tsv" }\n');
    expect(() => loadPipeline(home, schemas)).toThrow(/home\.yaml:4: stages\.data\.params\.file: '\$\{HOME\}': only \$\{DATA_DIR\} is substituted/);
  });
});

describe('input roles and bounds', () => {
  it("checks an input role against the upstream stage's kind (a quantize stage's student and teacher swapped)", () => {
    const file = write('swapped.yaml', 'stages:\n  data: { uses: data }\n  t: { uses: teacher, inputs: { data: data } }\n  s: { uses: distill, inputs: { data: data, teacher: t }, params: { alpha: 0.5 } }\n  q:\n    uses: quantize\n    inputs: { data: data, teacher: s, student: t }\n');
    expect(() => loadPipeline(file, schemas)).toThrow(/2 problems[\s\S]*swapped\.yaml:7: stages\.q\.inputs\.teacher: a quantize stage's 'teacher' input is a teacher stage; 's' is a distill stage[\s\S]*stages\.q\.inputs\.student: a quantize stage's 'student' input is a distill stage; 't' is a teacher stage/);
  });

  it('bounds sizes and step counts that would run for years', () => {
    expect(trainingParamsSchema.safeParse({ epochs: 1e12 }).success).toBe(false);
    expect(trainingParamsSchema.safeParse({ max_steps: 1e12 }).success).toBe(false);
    expect(trainingParamsSchema.safeParse({ epochs: 3, max_steps: 1600 }).success).toBe(true);
    expect(encoderParamsSchema.safeParse({ layers: 10_000 }).success).toBe(false);
  });
});
