/**
 * Dynamic batching across concurrent requests (as Triton's dynamic batcher): items wait in one queue; while the model
 * is busy the queue fills, and when it is free the next batch takes up to `maxBatchSize` queued items at once. An idle
 * model waits at most `maxQueueDelayMs` after the first item for more to arrive. One batch runs at a time.
 */
export interface BatcherOptions {
  maxBatchSize: number;
  maxQueueDelayMs: number;
}

export interface BatcherHooks {
  onBatch?(size: number, seconds: number): void;
  onQueueDepth?(depth: number): void;
}

interface Pending<I, O> {
  item: I;
  resolve(o: O): void;
  reject(e: unknown): void;
}

export class DynamicBatcher<I, O> {
  private queue: Pending<I, O>[] = [];
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly run: (items: I[]) => Promise<O[]>, private readonly opts: BatcherOptions, private readonly hooks: BatcherHooks = {}) {
    if (opts.maxBatchSize < 1) throw new Error('maxBatchSize must be at least 1');
  }

  get depth(): number {
    return this.queue.length;
  }

  /** Queues the items (one request's texts) and resolves with their results, in order. */
  submit(items: readonly I[]): Promise<O[]> {
    const done = Promise.all(items.map((item) => new Promise<O>((resolve, reject) => this.queue.push({ item, resolve, reject }))));
    this.hooks.onQueueDepth?.(this.queue.length);
    this.schedule();
    return done;
  }

  private schedule(): void {
    if (this.running || !this.queue.length) return;
    if (this.queue.length >= this.opts.maxBatchSize || this.opts.maxQueueDelayMs <= 0) {
      this.start();
    } else if (!this.timer) {
      this.timer = setTimeout(() => this.start(), this.opts.maxQueueDelayMs);
    }
  }

  private start(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.running) return;
    this.running = this.loop().finally(() => {
      this.running = null;
      this.schedule();
    });
  }

  private async loop(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue.splice(0, this.opts.maxBatchSize);
      this.hooks.onQueueDepth?.(this.queue.length);
      const t0 = process.hrtime.bigint();
      try {
        const out = await this.run(batch.map((b) => b.item));
        batch.forEach((b, i) => b.resolve(out[i]));
      } catch (err) {
        batch.forEach((b) => b.reject(err));
      }
      this.hooks.onBatch?.(batch.length, Number(process.hrtime.bigint() - t0) / 1e9);
    }
  }

  /** Resolves when every queued item has been answered. */
  async drain(): Promise<void> {
    while (this.queue.length || this.running || this.timer) {
      if (this.timer) this.start();
      await this.running;
    }
  }
}
