import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stageInputs } from './stage-inputs';
import { pipelineTargets } from './targets';


const root = path.resolve(__dirname, '..', '..');

describe('pipeline targets', () => {
  const { pipeline, targets } = pipelineTargets(path.join(root, 'pipelines', 'smoke.yaml'));

  it('has one target per stage plus the pipeline target, which depends on every stage', () => {
    expect(Object.keys(targets).sort()).toEqual(['smoke', ...pipeline.order.map((s) => `smoke.${s}`)].sort());
    expect([...(targets.smoke.dependsOn as string[])].sort()).toEqual(pipeline.order.map((s) => `smoke.${s}`).sort());
  });

  it('makes a stage wait for the stages in its `after` list (tnews: the benchmark runs after the ablation)', () => {
    const tnews = pipelineTargets(path.join(root, 'pipelines', 'tnews.yaml'));
    const serve = tnews.pipeline.stages.serve;
    expect(serve.after.length).toBeGreaterThan(0);
    expect(tnews.targets['tnews.serve'].dependsOn).toEqual(expect.arrayContaining(serve.after.map((s) => `tnews.${s}`)));
    expect(Object.values(serve.inputs)).not.toEqual(expect.arrayContaining(serve.after));
  });

  it('wires each stage to its upstream stages, caches it, and writes under artifacts/<pipeline>/<stage>', () => {
    for (const stage of pipeline.order) {
      const upstream = [...new Set(Object.values(pipeline.stages[stage].inputs))].map((u) => `smoke.${u}`).sort();
      expect([...(targets[`smoke.${stage}`].dependsOn as string[])].sort()).toEqual(upstream);
    }
    const distill = targets['smoke.distill'];
    expect(distill.cache).toBe(true);
    expect(distill.outputs).toEqual(['{workspaceRoot}/artifacts/smoke/distill']);
    expect(distill.inputs).toEqual(
      expect.arrayContaining([
        { runtime: 'node pipelines/stage-inputs.js pipelines/smoke.yaml distill' },
        '{workspaceRoot}/packages/distill/src/**/*',
        '{workspaceRoot}/packages/model/src/**/*',
        { dependentTasksOutputFiles: '**/*', transitive: true },
      ]),
    );
    // the data stage does not hash the model code it never runs
    expect(targets['smoke.data'].inputs).not.toContain('{workspaceRoot}/packages/model/src/**/*');
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
  });
});
