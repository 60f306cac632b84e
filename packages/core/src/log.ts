/** Logging and progress for long-running stages: one line per event on stderr, a progress line with rate and ETA. */
import { inspect } from 'node:util';

const t0 = Date.now();

/** One log line: strings as they are, anything else on one line and without colour codes (logs are often piped). */
function logLine(args: unknown[]): string {
  return args.map((a) => (typeof a === 'string' ? a : inspect(a, { colors: false, breakLength: Infinity, compact: true, depth: 4 }))).join(' ');
}

function stamp(): string {
  return `[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s]`;
}

export function createLogger(scope: string) {
  return {
    info: (...args: unknown[]): void => void process.stderr.write(`${stamp()} ${scope}: ${logLine(args)}\n`),
    warn: (...args: unknown[]): void => void process.stderr.write(`${stamp()} ${scope}: warning: ${logLine(args)}\n`),
  };
}
export type Logger = ReturnType<typeof createLogger>;

/** Progress over a known number of steps: prints `label 120/400 30% loss=1.234 32.1 samples/s ETA 1m05s`. */
export class Progress {
  private readonly start = Date.now();
  private lastPrint = 0;
  /** the first update: the ETA counts from here, so start-up and the first step's warm-up do not inflate it */
  private first: { at: number; done: number } | null = null;
  private readonly tty = process.stderr.isTTY === true;

  constructor(private readonly label: string, private readonly total: number, private readonly unit = 'it', private readonly everyMs = 5000) {}

  update(done: number, fields: Record<string, number | string> = {}, itemsDone = done): void {
    const now = Date.now();
    if (!this.first) this.first = { at: now, done };
    const finished = done >= this.total;
    if (!finished && now - this.lastPrint < (this.tty ? 250 : this.everyMs)) return;
    this.lastPrint = now;
    const secs = (now - this.start) / 1000;
    const rate = secs > 0 ? itemsDone / secs : 0;
    const since = this.first && done > this.first.done ? { secs: (now - this.first.at) / 1000, done: done - this.first.done } : null;
    const eta = since ? ((this.total - done) * since.secs) / since.done : NaN;
    const extra = Object.entries(fields)
      .map(([k, v]) => `${k}=${typeof v === 'number' ? v.toFixed(4) : v}`)
      .join(' ');
    const line = `${this.label} ${done}/${this.total} ${((100 * done) / this.total).toFixed(0)}% ${extra} ${rate.toFixed(1)} ${this.unit}/s ETA ${formatDuration(eta)}`;
    if (this.tty) process.stderr.write(`\r${line}\x1b[K${finished ? '\n' : ''}`);
    else process.stderr.write(`${stamp()} ${line}\n`);
  }
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  return m ? `${m}m${String(s).padStart(2, '0')}s` : `${s}s`;
}
