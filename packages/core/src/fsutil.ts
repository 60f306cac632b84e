/** File-system helpers: every write goes to a temporary path first and is renamed into place. */
import * as fs from 'node:fs';
import * as path from 'node:path';

let counter = 0;
function tmpName(target: string): string {
  counter += 1;
  return path.join(path.dirname(target), `.tmp-${path.basename(target)}-${process.pid}-${counter}`);
}

/** Writes a file atomically: readers see the old content or the new one, never half of it. */
export function writeFileAtomic(target: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = tmpName(target);
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, target);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

export function writeJsonAtomic(target: string, value: unknown): void {
  writeFileAtomic(target, JSON.stringify(value, null, 2) + '\n');
}

export function readJson<T = unknown>(file: string): T {
  const text = fs.readFileSync(file, 'utf8');
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new Error(`${file}: invalid JSON: ${(err as Error).message}`);
  }
}

/**
 * Builds a directory atomically: `build` fills a fresh temporary directory, which then replaces `target`.
 * If `build` throws, the temporary directory is removed and `target` is left as it was.
 */
export async function buildDirAtomic<T>(target: string, build: (tmpDir: string) => Promise<T>): Promise<T> {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  removeStaleTemporaries(target);
  const tmp = tmpName(target);
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  const cleanup = () => fs.rmSync(tmp, { recursive: true, force: true });
  process.once('exit', cleanup);
  try {
    const result = await build(tmp);
    fs.rmSync(target, { recursive: true, force: true });
    fs.renameSync(tmp, target);
    return result;
  } finally {
    process.removeListener('exit', cleanup);
    cleanup();
  }
}

/** Whether a process with this pid is running (a signal 0 probe; EPERM means it runs as another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes `.tmp-<name>-<pid>-<n>` folders beside `target` that a killed run left (their process is gone); those of a
 * process still running (the same stage in another terminal) are left alone.
 */
export function removeStaleTemporaries(target: string): string[] {
  const dir = path.dirname(target);
  const prefix = `.tmp-${path.basename(target)}-`;
  const removed: string[] = [];
  for (const name of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (!Number.isInteger(pid) || pid === process.pid || alive(pid)) continue;
    fs.rmSync(path.join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/** Total size in bytes of a file, or of every file below a directory. */
export function sizeOnDisk(p: string): number {
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.size;
  return fs.readdirSync(p).reduce((sum, name) => sum + sizeOnDisk(path.join(p, name)), 0);
}

/** Lists files below `dir`, relative to it, sorted. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const name of fs.readdirSync(d).sort()) {
      const full = path.join(d, name);
      const r = rel ? `${rel}/${name}` : name;
      if (fs.statSync(full).isDirectory()) walk(full, r);
      else out.push(r);
    }
  };
  walk(dir, '');
  return out;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Reads a UTF-8 text file as lines (BOM and final newline dropped); a missing file or invalid UTF-8 is an error naming the file and line. */
export function readLines(file: string): string[] {
  if (!fs.existsSync(file)) throw new Error(`${file}: file not found`);
  const buf = fs.readFileSync(file);
  let text: string;
  try {
    text = decoder.decode(buf);
  } catch {
    let start = 0;
    for (let line = 1; ; line++) {
      const end = buf.indexOf(0x0a, start);
      const chunk = buf.subarray(start, end === -1 ? buf.length : end);
      try {
        decoder.decode(chunk);
      } catch {
        throw new Error(`${file}:${line}: invalid UTF-8`);
      }
      if (end === -1) break;
      start = end + 1;
    }
    throw new Error(`${file}: invalid UTF-8`);
  }
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines;
}
