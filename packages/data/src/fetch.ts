/**
 * Downloading a dataset's files into the data directory: each verified by its SHA-256, downloads resumable (a `.part`
 * file continues with an HTTP Range request), zip members extracted, a progress bar per download. Files with no
 * download of their own are listed with how to build them. Whatever is still missing at the end is reported in one
 * error that lists every file and where it comes from; nothing half-written takes a file's place.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SingleBar } from 'cli-progress';
import { unzipSync } from 'fflate';
import type { DataFile, DatasetSpec } from './sources';

export interface FetchOptions {
  /** a mirror laid out like the data directory: each file is fetched from `<baseUrl>/<path>` instead of its source */
  baseUrl?: string;
  /** progress bars (default: when stderr is a terminal) */
  progress?: boolean;
  log?: (line: string) => void;
}

export interface FetchResult {
  present: string[];
  fetched: string[];
}

export class DataFetchError extends Error {
  constructor(
    readonly dataset: string,
    readonly missing: { file: DataFile; reason: string }[],
  ) {
    super(
      `${dataset}: ${missing.length} file${missing.length === 1 ? '' : 's'} missing or wrong:\n` +
        missing
          .map(({ file, reason }) => {
            const from = file.url ?? (file.archive ? `${file.archive.url} (member ${file.archive.member})` : null);
            return `  ${file.path}: ${reason}\n    from: ${file.source}${from ? `\n    url:  ${from}` : ''}${file.build ? `\n    build: ${file.build}` : ''}`;
          })
          .join('\n'),
    );
    this.name = 'DataFetchError';
  }
}

export function sha256File(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Downloads `url` into `dest`, continuing a `dest.part` left by an interrupted run; returns the bytes. */
async function download(url: string, dest: string, label: string, o: FetchOptions): Promise<void> {
  const part = `${dest}.part`;
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const have = fs.existsSync(part) ? fs.statSync(part).size : 0;
  const res = await fetch(url, { headers: have ? { Range: `bytes=${have}-` } : {} });
  if (res.status === 416) {
    // the part is already whole
  } else if (!res.ok) {
    throw new Error(`HTTP ${res.status} ${res.statusText}`);
  }
  const resumed = res.status === 206;
  if (!resumed && res.status !== 416) fs.rmSync(part, { force: true });
  const total = Number(res.headers.get('content-length') ?? 0) + (resumed ? have : 0);
  const bar = (o.progress ?? process.stderr.isTTY === true) && total > 0 ? new SingleBar({ format: `${label} [{bar}] {percentage}% {value}/{total} bytes`, stream: process.stderr }) : null;
  bar?.start(total, resumed ? have : 0);
  if (res.status !== 416 && res.body) {
    const out = fs.openSync(part, resumed ? 'a' : 'w');
    let done = resumed ? have : 0;
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        fs.writeSync(out, chunk);
        done += chunk.length;
        bar?.update(done);
      }
    } finally {
      fs.closeSync(out);
      bar?.stop();
    }
  }
  fs.renameSync(part, dest);
}

/** Writes `bytes` to `dest` only if they hash to `sha256` (via a temporary file, so a bad copy never takes its place). */
function placeVerified(dest: string, bytes: Uint8Array, sha256: string): void {
  const got = crypto.createHash('sha256').update(bytes).digest('hex');
  if (got !== sha256) throw new Error(`checksum mismatch: got sha256 ${got}, expected ${sha256}`);
  const tmp = `${dest}.tmp-${process.pid}`;
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.writeFileSync(tmp, bytes);
  fs.renameSync(tmp, dest);
}

/** Every file of `spec` into `dataDir`: those present and verified are kept, the others downloaded where they can be. */
export async function fetchDataset(spec: DatasetSpec, dataDir: string, o: FetchOptions = {}): Promise<FetchResult> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const downloads = path.join(dataDir, '.downloads');
  const result: FetchResult = { present: [], fetched: [] };
  const missing: { file: DataFile; reason: string }[] = [];
  const archives = new Map<string, Record<string, Uint8Array>>();
  for (const file of spec.files) {
    const dest = path.join(dataDir, file.path);
    if (fs.existsSync(dest)) {
      const got = sha256File(dest);
      if (got === file.sha256) {
        result.present.push(file.path);
        continue;
      }
      if (!file.url && !file.archive && !o.baseUrl) {
        missing.push({ file, reason: `checksum mismatch (sha256 ${got}, expected ${file.sha256})` });
        continue;
      }
      log(`${file.path}: checksum mismatch, fetching it again`);
    }
    try {
      if (o.baseUrl || file.url) {
        const url = o.baseUrl ? `${o.baseUrl.replace(/\/$/, '')}/${file.path}` : file.url!;
        const staging = path.join(downloads, file.path);
        await download(url, staging, file.path, o);
        const bytes = fs.readFileSync(staging);
        try {
          placeVerified(dest, bytes, file.sha256);
        } finally {
          fs.rmSync(staging, { force: true }); // a bad copy is fetched anew next time, not resumed
        }
      } else if (file.archive) {
        let members = archives.get(file.archive.url);
        if (!members) {
          const zip = path.join(downloads, path.basename(new URL(file.archive.url).pathname));
          if (!fs.existsSync(zip)) await download(file.archive.url, zip, path.basename(zip), o);
          members = unzipSync(fs.readFileSync(zip));
          archives.set(file.archive.url, members);
        }
        const name = Object.keys(members).find((m) => m === file.archive!.member || m.endsWith(`/${file.archive!.member}`));
        if (!name) throw new Error(`${file.archive.url} has no member ${file.archive.member}`);
        placeVerified(dest, members[name], file.sha256);
      } else {
        missing.push({ file, reason: 'missing; it has no download of its own' });
        continue;
      }
      result.fetched.push(file.path);
      log(`${file.path}: fetched and verified`);
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      missing.push({ file, reason: `could not be fetched: ${(err as Error).message}${cause ? ` (${cause.code ?? cause.message})` : ''}` });
    }
  }
  if (missing.length) throw new DataFetchError(spec.name, missing);
  return result;
}
