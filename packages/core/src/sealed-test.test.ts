/**
 * The test split is sealed: only the final evaluation (a stage definition with `final: true`, the serve stage) reads
 * it. The harness refuses it to every other stage, and no stage package's source opens it behind the harness's back.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { writeDataset } from './arrow';
import { isSealedTest, runStage, type StageDefinition } from './stage';
import { tempWorkspace } from './testing';

const schema = z.object({ split: z.string() }).strict();

function workspace(): string {
  const root = tempWorkspace('stages:\n  data: { uses: data }\n  reader: { uses: teacher, inputs: { data: data }, params: { split: test.arrow } }\n  valid-reader: { uses: teacher, inputs: { data: data }, params: { split: valid.arrow } }\n  final: { uses: serve, inputs: { data: data }, params: { split: test.arrow } }\n');
  const data = path.join(root, 'artifacts', 'p', 'data');
  fs.mkdirSync(data, { recursive: true });
  for (const split of ['train', 'valid', 'test']) writeDataset(path.join(data, `${split}.arrow`), [{ id: `${split}-0`, text: '甲乙', label: 0 }], ['a']);
  fs.writeFileSync(path.join(data, 'manifest.json'), '{}');
  return root;
}

const reader = (kind: 'teacher' | 'serve', final: boolean): StageDefinition<typeof schema> => ({
  kind,
  schema,
  final,
  run: async (ctx) => ({ summary: { rows: ctx.dataset('data', ctx.params.split).rows.length } }),
});

describe('the sealed test split', () => {
  it('is refused to a stage that is not the final evaluation, with the file and the stage named', async () => {
    const root = workspace();
    await expect(runStage(reader('teacher', false), 'p.yaml', 'reader', root)).rejects.toThrow(/p\.yaml: stages\.reader: a 'teacher' stage may not read the sealed test split \(artifacts\/p\/data\/test\.arrow\)/);
    expect(fs.existsSync(path.join(root, 'artifacts', 'p', 'reader'))).toBe(false);
    const ok = await runStage(reader('teacher', false), 'p.yaml', 'valid-reader', root);
    expect(ok.reads).toEqual([path.join('artifacts', 'p', 'data', 'valid.arrow')]);
  });

  it('is read by the final evaluation, and listed among what it read', async () => {
    const root = workspace();
    const m = await runStage(reader('serve', true), 'p.yaml', 'final', root);
    expect(m.summary).toEqual({ rows: 1 });
    expect(m.reads).toEqual([path.join('artifacts', 'p', 'data', 'test.arrow')]);
  });

  it('covers test.arrow and logits on it, not files that merely contain the word', () => {
    expect(isSealedTest('test.arrow')).toBe(true);
    expect(isSealedTest('artifacts/p/teacher/logits/test.arrow')).toBe(true);
    expect(isSealedTest('valid.arrow')).toBe(false);
    expect(isSealedTest('latest.arrow')).toBe(false);
    expect(isSealedTest('contest.arrow')).toBe(false);
  });

  it('is not opened directly by any stage package but serve (every read goes through ctx.dataset)', () => {
    const packages = path.resolve(__dirname, '..', '..');
    const offenders: string[] = [];
    for (const pkg of ['data', 'augment', 'teacher', 'distill', 'quantize']) {
      const src = path.join(packages, pkg, 'src');
      for (const file of fs.readdirSync(src).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
        const text = fs.readFileSync(path.join(src, file), 'utf8');
        if (/\breadDataset\(|ArrowFile\.read\(|readLogits\([^)]*test/.test(text)) offenders.push(`${pkg}/src/${file}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
