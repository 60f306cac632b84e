import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { linkStage } from './link-stage';
import { stageInputs } from './stage-inputs';
import { invalidPipelineTargets, pipelineTargets } from './targets';


const root = path.resolve(__dirname, '..', '..');

describe('pipeline targets', () => {
  const { pipeline, targets, aliases } = pipelineTargets(path.join(root, 'pipelines', 'smoke.yaml'));

  it('gives the pipeline a project of its own: a target per stage plus report, which depends on every stage', () => {
    expect(Object.keys(targets).sort()).toEqual(['report', ...pipeline.order].sort());
    expect([...(targets.report.dependsOn as string[])].sort()).toEqual([...pipeline.order].sort());
  });

  it('puts aliases on project pipelines: pipelines:smoke runs smoke:report, pipelines:smoke.<stage> runs smoke:<stage>', () => {
    expect(Object.keys(aliases).sort()).toEqual(['smoke', ...pipeline.order.map((s) => `smoke.${s}`)].sort());
    expect(aliases.smoke).toMatchObject({ executor: 'nx:noop', dependsOn: [{ projects: ['smoke'], target: 'report' }] });
    expect(aliases['smoke.distill'].dependsOn).toEqual([{ projects: ['smoke'], target: 'distill' }]);
  });

  it('makes a stage wait for the stages in its `after` list, which it reads nothing from', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'after-'));
    const file = path.join(dir, 'waits.yaml');
    fs.writeFileSync(file, fs.readFileSync(path.join(root, 'pipelines', 'smoke.yaml'), 'utf8').replace(/(\n  serve:\n    uses: serve\n)/, '$1    after: [distill-gd]\n'));
    const waits = pipelineTargets(file);
    const serve = waits.pipeline.stages.serve;
    expect(serve.after).toEqual(['distill-gd']);
    expect(waits.targets.serve.dependsOn).toEqual(expect.arrayContaining(serve.after));
    expect(Object.values(serve.inputs)).not.toEqual(expect.arrayContaining(serve.after));
  });

  it("hashes upstream outputs but not their manifests (whose timings change with every rerun), with Nx's own glob", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outputs-'));
    for (const f of ['train.arrow', 'vocab.txt', 'manifest.json', 'logits/train.arrow']) {
      fs.mkdirSync(path.dirname(path.join(dir, 'a', f)), { recursive: true });
      fs.writeFileSync(path.join(dir, 'a', f), f);
    }
    const glob = (targets.distill.inputs as { dependentTasksOutputFiles?: string }[]).find((i) => i.dependentTasksOutputFiles)!.dependentTasksOutputFiles!;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { getFilesForOutputs } = require('nx/src/native') as { getFilesForOutputs(dir: string, globs: string[]): string[] };
    expect(getFilesForOutputs(dir, [`a/${glob}`]).sort()).toEqual(['a/logits/train.arrow', 'a/train.arrow', 'a/vocab.txt']);
    // the report, which shows the timings, hashes the manifests too
    expect(targets.report.inputs).toEqual(expect.arrayContaining([{ dependentTasksOutputFiles: '**/*', transitive: true }]));
  });

  it('wires each stage to its upstream stages, caches it, and writes under artifacts/<pipeline>/<stage>', () => {
    for (const stage of pipeline.order) {
      const upstream = [...new Set(Object.values(pipeline.stages[stage].inputs))].sort();
      expect([...(targets[stage].dependsOn as string[])].sort()).toEqual(upstream);
    }
    const distill = targets.distill;
    expect(distill.cache).toBe(true);
    expect(distill.outputs).toEqual(['{workspaceRoot}/artifacts/smoke/distill']);
    expect(distill.inputs).toEqual(
      expect.arrayContaining([
        { runtime: 'node pipelines/stage-inputs.js pipelines/smoke.yaml distill' },
        '{workspaceRoot}/packages/distill/src/**/*',
        '{workspaceRoot}/packages/model/src/**/*',
        { env: 'DISTILL_MATMUL' },
        { dependentTasksOutputFiles: '**/!(manifest.json)', transitive: true },
      ]),
    );
    // the data stage does not hash the model code it never runs
    expect(targets.data.inputs).not.toContain('{workspaceRoot}/packages/model/src/**/*');
  });

  it("hashes a stage's own slice: another stage's params do not change it, its own do", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slice-'));
    fs.writeFileSync(path.join(dir, 'nx.json'), '{}');
    fs.mkdirSync(path.join(dir, 'pipelines'));
    const yaml = fs.readFileSync(path.join(root, 'pipelines', 'smoke.yaml'), 'utf8');
    fs.cpSync(path.join(root, 'fixtures'), path.join(dir, 'fixtures'), { recursive: true });
    const at = (text: string, stage: string) => {
      fs.writeFileSync(path.join(dir, 'pipelines', 'x.yaml'), text);
      return JSON.stringify(stageInputs('pipelines/x.yaml', stage, dir));
    };
    const changed = yaml.replace('alpha: 0.5', 'alpha: 0.7');
    expect(changed).not.toBe(yaml);
    expect(at(changed, 'teacher')).toBe(at(yaml, 'teacher'));
    expect(at(changed, 'distill')).not.toBe(at(yaml, 'distill'));
    // the data files a stage reads are part of its inputs
    const before = at(yaml, 'data');
    fs.appendFileSync(path.join(dir, 'fixtures', 'smoke', 'train.tsv'), '新增一行\tsports\n');
    expect(at(yaml, 'data')).not.toBe(before);
    // also a file named without a folder (at the workspace root)
    fs.copyFileSync(path.join(dir, 'fixtures', 'smoke', 'train.tsv'), path.join(dir, 'zztrain.tsv'));
    const bare = yaml.replace('train: fixtures/smoke/train.tsv', 'train: zztrain.tsv');
    expect(bare).not.toBe(yaml);
    const bareBefore = at(bare, 'data');
    fs.appendFileSync(path.join(dir, 'zztrain.tsv'), '又一行\tsports\n');
    expect(at(bare, 'data')).not.toBe(bareBefore);
  });

  describe('a pipeline that extends another', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'extends-'));
    fs.mkdirSync(path.join(dir, 'pipelines'));
    fs.copyFileSync(path.join(root, 'pipelines', 'smoke.yaml'), path.join(dir, 'pipelines', 'base.yaml'));
    const derived = (name: string, body: string) => {
      fs.writeFileSync(path.join(dir, 'pipelines', `${name}.yaml`), `extends: base.yaml\n${body}`);
      return pipelineTargets(path.join(dir, 'pipelines', `${name}.yaml`)).targets;
    };

    it('inherits the stages upstream of its first change: they link to the base output and run the base target', () => {
      const targets = derived('alpha', 'stages:\n  distill:\n    params:\n      alpha: 0.7\n');
      for (const stage of ['data', 'augment', 'teacher-pretrain', 'teacher', 'distill-gd']) {
        expect(targets[stage]).toMatchObject({ cache: false, dependsOn: [{ projects: ['base'], target: stage }], options: { command: `node pipelines/link-stage.js base alpha ${stage}` } });
      }
      // hashed on the link script, not on the default {projectRoot}/** (the project root is no folder: Nx fails on it)
      expect(targets.data.inputs).toEqual(['{workspaceRoot}/pipelines/link-stage.js', '{workspaceRoot}/pipelines/src/link-stage.ts']);
      // the changed stage and everything that reads it run in this pipeline, after the inherited ones
      for (const stage of ['distill', 'quantize', 'serve']) {
        expect(targets[stage].cache).toBe(true);
        expect(targets[stage].outputs).toEqual([`{workspaceRoot}/artifacts/alpha/${stage}`]);
      }
      expect(targets.distill.dependsOn).toEqual(expect.arrayContaining(['teacher', 'data']));
    });

    it("hashes the base file into the report (the report records the resolved pipeline), and refuses the name 'pipelines'", () => {
      expect(derived('alpha', 'stages:\n  distill:\n    params:\n      alpha: 0.7\n').report.inputs).toEqual(expect.arrayContaining(['{workspaceRoot}/pipelines/alpha.yaml', '{workspaceRoot}/pipelines/base.yaml']));
      expect(() => derived('pipelines', '')).toThrow(/cannot be named 'pipelines'/);
    });

    it('inherits nothing when a setting every stage sees changes (the seed)', () => {
      const targets = derived('seed', 'seed: 14\n');
      expect(Object.values(targets).every((t) => t.cache === true)).toBe(true);
    });

    it('links an inherited stage to the base output, replacing an output of its own, and refuses a missing one', () => {
      const base = path.join(dir, 'artifacts', 'base', 'data');
      fs.mkdirSync(base, { recursive: true });
      fs.writeFileSync(path.join(base, 'manifest.json'), '{"stage":"data"}');
      const own = path.join(dir, 'artifacts', 'alpha', 'data');
      fs.mkdirSync(own, { recursive: true });
      fs.writeFileSync(path.join(own, 'manifest.json'), '{"stage":"old"}');
      linkStage(dir, 'base', 'alpha', 'data');
      expect(fs.lstatSync(own).isSymbolicLink()).toBe(true);
      expect(fs.readFileSync(path.join(own, 'manifest.json'), 'utf8')).toBe('{"stage":"data"}');
      linkStage(dir, 'base', 'alpha', 'data'); // again: the link is replaced, the base output kept
      expect(fs.readFileSync(path.join(base, 'manifest.json'), 'utf8')).toBe('{"stage":"data"}');
      expect(() => linkStage(dir, 'base', 'alpha', 'teacher')).toThrow(/inherited from base, but .* has no output: run nx run pipelines:base.teacher/);
    });
  });
});

describe('a pipeline file that does not load', () => {
  it('gets a project whose only target prints every problem and fails, so the other pipelines still run', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'invalid-'));
    const file = path.join(dir, 'broken.yaml');
    fs.writeFileSync(file, 'stages:\n  data:\n    uses: data\n    params: { bogus: 1 }\n');
    expect(() => pipelineTargets(file)).toThrow(/broken\.yaml:4: stages\.data\.params\.bogus: unknown key 'bogus'/);
    const { name, targets, aliases } = invalidPipelineTargets(file);
    expect(name).toBe('broken');
    expect(Object.keys(targets)).toEqual(['report']);
    expect(targets.report.options.command).toBe('node pipelines/check-pipeline.js pipelines/broken.yaml');
    expect(aliases.broken.dependsOn).toEqual([{ projects: ['broken'], target: 'report' }]);
    const run = spawnSync('node', ['pipelines/check-pipeline.js', file], { cwd: root, encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/2 problems in .*broken\.yaml[\s\S]*:4: stages\.data\.params\.source[\s\S]*:4: stages\.data\.params\.bogus: unknown key 'bogus'/);
    const ok = spawnSync('node', ['pipelines/check-pipeline.js', 'pipelines/smoke.yaml'], { cwd: root, encoding: 'utf8' });
    expect(ok.status).toBe(0);
  });
});
