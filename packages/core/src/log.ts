/** Logging and progress for long-running stages: one line per event on stderr, a progress line with rate and ETA. */
const t0 = Date.now();

function stamp(): string {
  return `[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s]`;
}

export function createLogger(scope: string) {
  return {
    info: (...args: unknown[]) => console.error(stamp(), `${scope}:`, ...args),
    warn: (...args: unknown[]) => console.error(stamp(), `${scope}: warning:`, ...args),
  };
}
export type Logger = ReturnType<typeof createLogger>;

/** Progress over a known number of steps: prints `label 120/400 30% loss=1.234 32.1 samples/s ETA 1m05s`. */
export class Progress {
  private readonly start = Date.now();
  private lastPrint = 0;
  private readonly tty = process.stderr.isTTY === true;

  constructor(private readonly label: string, private readonly total: number, private readonly unit = 'it', private readonly everyMs = 5000) {}

  update(done: number, fields: Record<string, number | string> = {}, itemsDone = done): void {
    const now = Date.now();
    const finished = done >= this.total;
    if (!finished && now - this.lastPrint < (this.tty ? 250 : this.everyMs)) return;
    this.lastPrint = now;
    const secs = (now - this.start) / 1000;
    const rate = secs > 0 ? itemsDone / secs : 0;
    const eta = done > 0 ? ((this.total - done) * secs) / done : NaN;
    const extra = Object.entries(fields)
      .map(([k, v]) => `${k}=${typeof v === 'number' ? v.toFixed(4) : v}`)
      .join(' ');
    const line = `${this.label} ${done}/${this.total} ${((100 * done) / this.total).toFixed(0)}% ${extra} ${rate.toFixed(1)} ${this.unit}/s ETA ${formatDuration(eta)}`;
    if (this.tty) process.stderr.write(`\r${line}\x1b[K${finished ? '\n' : ''}`);
    else console.error(stamp(), line);
  }
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  return m ? `${m}m${String(s).padStart(2, '0')}s` : `${s}s`;
}
