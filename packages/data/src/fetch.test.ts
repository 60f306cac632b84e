import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { zipSync } from 'fflate';
import { DataFetchError, fetchDataset } from './fetch';
import type { DatasetSpec } from './sources';

const sha = (b: Uint8Array | string) => crypto.createHash('sha256').update(b).digest('hex');
const TRAIN = '{"sentence": "国足逆转取胜", "label": "103"}\n'.repeat(2000);
const LABELS = '{"label": "103", "label_desc": "news_sports"}\n';
const VOCAB = '[PAD]\n[UNK]\n国\n足\n';
const ZIP = zipSync({ 'tnews_public/train.json': new TextEncoder().encode(TRAIN), 'tnews_public/labels.json': new TextEncoder().encode(LABELS) });

/** A loopback server with the files above; it honours Range requests and counts them. */
function serve(files: Record<string, Uint8Array | string>): Promise<{ base: string; ranges: string[]; close: () => Promise<void> }> {
  const ranges: string[] = [];
  const server = http.createServer((req, res) => {
    const body = files[req.url!];
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    const bytes = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body);
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range) {
      ranges.push(req.url!);
      const start = Number(range[1]);
      res.writeHead(206, { 'content-length': bytes.length - start, 'content-range': `bytes ${start}-${bytes.length - 1}/${bytes.length}` }).end(bytes.subarray(start));
      return;
    }
    res.writeHead(200, { 'content-length': bytes.length }).end(bytes);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ base: `http://127.0.0.1:${port}`, ranges, close: () => new Promise((r) => server.close(() => r())) });
    }),
  );
}

function spec(base: string): DatasetSpec {
  return {
    name: 'toy',
    description: 'a toy dataset',
    files: [
      { path: 'toy/train.json', sha256: sha(TRAIN), bytes: TRAIN.length, archive: { url: `${base}/toy.zip`, member: 'train.json' }, source: 'the toy zip' },
      { path: 'toy/labels.json', sha256: sha(LABELS), bytes: LABELS.length, archive: { url: `${base}/toy.zip`, member: 'labels.json' }, source: 'the toy zip' },
      { path: 'lexicon/vocab.txt', sha256: sha(VOCAB), bytes: VOCAB.length, url: `${base}/vocab.txt`, source: 'a toy vocabulary' },
      { path: 'corpus/built.txt', sha256: sha('x\n'), bytes: 2, source: 'built by hand', build: 'write x' },
    ],
  };
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'fetch-'));
const quiet = { progress: false, log: () => {} };

describe('fetchDataset', () => {
  it('downloads, extracts and verifies every file it can, and lists the one it cannot with how to build it', async () => {
    const server = await serve({ '/toy.zip': ZIP, '/vocab.txt': VOCAB });
    const dir = tmp();
    try {
      const err = await fetchDataset(spec(server.base), dir, quiet).catch((e) => e);
      expect(err).toBeInstanceOf(DataFetchError);
      expect((err as DataFetchError).missing.map((m) => m.file.path)).toEqual(['corpus/built.txt']);
      expect(err.message).toContain('corpus/built.txt: missing; it has no download of its own');
      expect(err.message).toContain('build: write x');
      expect(fs.readFileSync(path.join(dir, 'toy/train.json'), 'utf8')).toBe(TRAIN);
      expect(fs.readFileSync(path.join(dir, 'lexicon/vocab.txt'), 'utf8')).toBe(VOCAB);
      // once the hand-built file is there, a second run fetches nothing and verifies everything
      fs.mkdirSync(path.join(dir, 'corpus'));
      fs.writeFileSync(path.join(dir, 'corpus/built.txt'), 'x\n');
      const again = await fetchDataset(spec(server.base), dir, quiet);
      expect(again).toEqual({ present: ['toy/train.json', 'toy/labels.json', 'lexicon/vocab.txt', 'corpus/built.txt'], fetched: [] });
    } finally {
      await server.close();
    }
  });

  it('continues an interrupted download with a Range request', async () => {
    const server = await serve({ '/vocab.txt': VOCAB });
    const dir = tmp();
    try {
      const one = { ...spec(server.base), files: [spec(server.base).files[2]] };
      fs.mkdirSync(path.join(dir, '.downloads', 'lexicon'), { recursive: true });
      fs.writeFileSync(path.join(dir, '.downloads', 'lexicon', 'vocab.txt.part'), VOCAB.slice(0, 7));
      const r = await fetchDataset(one, dir, quiet);
      expect(r.fetched).toEqual(['lexicon/vocab.txt']);
      expect(server.ranges).toEqual(['/vocab.txt']);
      expect(fs.readFileSync(path.join(dir, 'lexicon/vocab.txt'), 'utf8')).toBe(VOCAB);
    } finally {
      await server.close();
    }
  });

  it('refuses a file whose checksum is wrong and leaves nothing in its place', async () => {
    const server = await serve({ '/vocab.txt': 'tampered\n' });
    const dir = tmp();
    try {
      const one = { ...spec(server.base), files: [spec(server.base).files[2]] };
      await expect(fetchDataset(one, dir, quiet)).rejects.toThrow(/lexicon\/vocab\.txt: could not be fetched: checksum mismatch/);
      expect(fs.existsSync(path.join(dir, 'lexicon/vocab.txt'))).toBe(false);
    } finally {
      await server.close();
    }
  });

  it('with no server to reach, fails once, listing every file and where it comes from', async () => {
    const server = await serve({});
    const base = server.base;
    await server.close(); // nothing listens there now
    const err = (await fetchDataset(spec(base), tmp(), quiet).catch((e) => e)) as DataFetchError;
    expect(err).toBeInstanceOf(DataFetchError);
    expect(err.missing.map((m) => m.file.path)).toEqual(['toy/train.json', 'toy/labels.json', 'lexicon/vocab.txt', 'corpus/built.txt']);
    expect(err.message).toMatch(/^toy: 4 files missing or wrong:/);
    expect(err.message).toContain(`url:  ${base}/vocab.txt`);
    expect(err.message).toMatch(/could not be fetched: fetch failed \(ECONNREFUSED\)/);
  });

  it('takes a mirror laid out like the data directory (--base-url)', async () => {
    const server = await serve({ '/toy/train.json': TRAIN, '/toy/labels.json': LABELS, '/lexicon/vocab.txt': VOCAB, '/corpus/built.txt': 'x\n' });
    try {
      const r = await fetchDataset(spec('http://unused.invalid'), tmp(), { ...quiet, baseUrl: server.base });
      expect(r.fetched).toHaveLength(4);
    } finally {
      await server.close();
    }
  });
});
