import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { f32, readSafetensors, writeSafetensors } from './safetensors';

describe('safetensors', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'st-'));
  it('round-trips tensors and metadata, with an 8-byte aligned header', () => {
    const file = path.join(dir, 'm.safetensors');
    const tensors = new Map([
      ['b.weight', f32([2, 3], Float32Array.from([1, 2, 3, 4, 5, 6]))],
      ['a.bias', { dtype: 'I8' as const, shape: [3], data: Int8Array.from([-1, 0, 127]) }],
    ]);
    writeSafetensors(file, tensors, { format: 'pt' });
    const buf = fs.readFileSync(file);
    expect((8 + Number(buf.readBigUInt64LE(0))) % 8).toBe(0);
    const back = readSafetensors(file);
    expect(back.metadata).toEqual({ format: 'pt' });
    expect(back.tensors.get('b.weight')!.shape).toEqual([2, 3]);
    expect(Array.from(back.tensors.get('b.weight')!.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(back.tensors.get('a.bias')!.data as Int8Array)).toEqual([-1, 0, 127]);
  });
  it('rejects a tensor whose data does not fit its shape', () => {
    expect(() => writeSafetensors(path.join(dir, 'x.safetensors'), new Map([['w', f32([2, 2], new Float32Array(3))]]))).toThrow(/tensor w: shape \[2,2\] needs 4 values/);
  });
  it('names the file when it is truncated', () => {
    const file = path.join(dir, 'short.safetensors');
    fs.writeFileSync(file, Buffer.from([1, 2]));
    expect(() => readSafetensors(file)).toThrow(/short\.safetensors: too short/);
  });
});
