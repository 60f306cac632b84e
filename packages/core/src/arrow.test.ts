import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ArrowFile, readDataset, readLogits, utf8, writeDataset, writeLogits } from './arrow';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'arrow-'));

describe('Arrow datasets and logits', () => {
  it('round-trips a dataset with label names and extra columns', () => {
    const file = path.join(tmp(), 'train.arrow');
    const rows = [
      { id: 'a', text: '体育新闻', label: 0 },
      { id: 'b', text: '财经', label: 1 },
      { id: 'c', text: '无标签', label: -1 },
    ];
    writeDataset(file, rows, ['sports', 'finance'], { strategy: utf8(['x', 'y', 'z']) });
    const ds = readDataset(file);
    expect(ds.rows).toEqual(rows);
    expect(ds.labels).toEqual(['sports', 'finance']);
    expect(ds.arrow.strings('strategy')).toEqual(['x', 'y', 'z']);
  });

  it('round-trips multi-label rows as a list column', () => {
    const file = path.join(tmp(), 'multi.arrow');
    const rows = [
      { id: 'a', text: '甲', label: -1, labels: [0, 2] },
      { id: 'b', text: '乙', label: -1, labels: [] },
      { id: 'c', text: '丙', label: -1, labels: [1] },
    ];
    writeDataset(file, rows, ['x', 'y', 'z']);
    expect(readDataset(file).rows).toEqual(rows);
  });

  it('writes byte-identical files for the same content', () => {
    const dir = tmp();
    const rows = [{ id: '1', text: '你好', label: 0 }];
    writeDataset(path.join(dir, 'a.arrow'), rows, ['l']);
    writeDataset(path.join(dir, 'b.arrow'), rows, ['l']);
    expect(fs.readFileSync(path.join(dir, 'a.arrow')).equals(fs.readFileSync(path.join(dir, 'b.arrow')))).toBe(true);
  });

  it('round-trips logits as a fixed-size list column', () => {
    const file = path.join(tmp(), 'logits.arrow');
    const logits = Float32Array.from([0.5, -1, 2, 3, 4.25, -0.125]);
    writeLogits(file, ['x', 'y'], logits, 3);
    const back = readLogits(file);
    expect(back.ids).toEqual(['x', 'y']);
    expect(back.numLabels).toBe(3);
    expect(Array.from(back.logits)).toEqual(Array.from(logits));
  });

  it('names the file and column in errors', () => {
    const file = path.join(tmp(), 'x.arrow');
    writeLogits(file, ['x'], Float32Array.from([1]), 1);
    expect(() => ArrowFile.read(file).strings('text')).toThrow(/x\.arrow: no column 'text'/);
    expect(() => ArrowFile.read(path.join(tmp(), 'missing.arrow'))).toThrow(/missing\.arrow: no such Arrow file/);
  });

  it('leaves no temporary files behind', () => {
    const dir = tmp();
    writeDataset(path.join(dir, 'd.arrow'), [{ id: '1', text: 't', label: 0 }], ['l']);
    expect(fs.readdirSync(dir)).toEqual(['d.arrow']);
  });
});
