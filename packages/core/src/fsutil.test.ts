import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildDirAtomic, readLines, removeStaleTemporaries } from './fsutil';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsutil-'));

describe('readLines', () => {
  it('drops a BOM and the final newline, and splits CRLF', () => {
    const f = path.join(dir, 'a.txt');
    fs.writeFileSync(f, '\uFEFF一\r\n二\n');
    expect(readLines(f)).toEqual(['一', '二']);
  });
  it('names the file and the line of invalid UTF-8, and a missing file', () => {
    const f = path.join(dir, 'bad.txt');
    fs.writeFileSync(f, Buffer.concat([Buffer.from('好\n好\n'), Buffer.from([0xe9, 0x0a])]));
    expect(() => readLines(f)).toThrow(`${f}:3: invalid UTF-8`);
    expect(() => readLines(path.join(dir, 'none.txt'))).toThrow(/none\.txt: file not found/);
  });
});

describe('buildDirAtomic', () => {
  it('replaces the target only on success, and leaves nothing behind on failure', async () => {
    const target = path.join(dir, 'out');
    await buildDirAtomic(target, async (tmp) => fs.writeFileSync(path.join(tmp, 'x'), '1'));
    await expect(buildDirAtomic(target, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(fs.readFileSync(path.join(target, 'x'), 'utf8')).toBe('1');
    expect(fs.readdirSync(dir).filter((n) => n.startsWith('.tmp'))).toEqual([]);
  });
});

describe('removeStaleTemporaries', () => {
  it("removes the temporary folders of a killed run, not those of a running process", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stale-'));
    const target = path.join(dir, 'teacher');
    const dead = 2 ** 22 + 12345; // above the default pid_max: no such process
    fs.mkdirSync(path.join(dir, `.tmp-teacher-${dead}-1`));
    fs.mkdirSync(path.join(dir, `.tmp-teacher-${process.ppid}-1`)); // the test runner's parent: running
    fs.mkdirSync(path.join(dir, `.tmp-distill-${dead}-1`)); // another stage's: left to that stage
    expect(removeStaleTemporaries(target)).toEqual([`.tmp-teacher-${dead}-1`]);
    expect(fs.readdirSync(dir).sort()).toEqual([`.tmp-distill-${dead}-1`, `.tmp-teacher-${process.ppid}-1`]);
  });
});
