import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildDirAtomic, readLines } from './fsutil';

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
