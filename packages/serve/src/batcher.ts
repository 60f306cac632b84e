/**
 * Dynamic batching across concurrent requests (as Triton's dynamic batcher): items wait in one queue; while the
 * model instances are busy the queue fills, and a free instance takes up to `maxBatchSize` queued items at once. When
 * every instance is idle, the first item waits at most `maxQueueDelayMs` for more to arrive; items that queued while
 * an instance was busy go at once. Each instance runs one batch at a time.
 */
export interface BatcherOptions {
  maxBatchSize: number;
  maxQueueDelayMs: number;
  /** model instances that run batches side by side (default 1) */
  instances?: number;
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
  /** instances without a batch */
  private readonly free: number[];
  private readonly runs = new Set<Promise<void>>();
  private readonly instances: number;

  /** `run(items, instance)` classifies one batch on model instance `instance` (0-based). */
  constructor(private readonly run: (items: I[], instance: number) => Promise<O[]>, private readonly opts: BatcherOptions, private readonly hooks: BatcherHooks = {}) {
    if (opts.maxBatchSize < 1) throw new Error('maxBatchSize must be at least 1');
    this.instances = opts.instances ?? 1;
    if (!Number.isInteger(this.instances) || this.instances < 1) throw new Error('instances must be a positive integer');
    this.free = Array.from({ length: this.instances }, (_, i) => this.instances - 1 - i);
  }

  get depth(): number {
    return this.queue.length;
  }

  /** Queues the items (one request's texts) and resolves with their results, in order. */
  submit(items: readonly I[]): Promise<O[]> {
    const done = Promise.all(items.map((item) => new Promise<O>((resolve, reject) => this.queue.push({ item, resolve, reject }))));
    this.hooks.onQueueDepth?.(this.queue.length);
    this.schedule(false);
    return done;
  }

  /** Starts batches on free instances; `due`: the queued items have waited long enough. */
  private schedule(due: boolean): void {
    const allIdle = this.free.length === this.instances;
    if (this.queue.length && this.free.length && allIdle && !due && this.queue.length < this.opts.maxBatchSize && this.opts.maxQueueDelayMs > 0) {
      this.timer ??= setTimeout(() => {
        this.timer = null;
        this.schedule(true);
      }, this.opts.maxQueueDelayMs);
      return;
    }
    while (this.queue.length && this.free.length) this.launch(this.free.pop()!);
  }

  private launch(instance: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.queue.splice(0, this.opts.maxBatchSize);
    this.hooks.onQueueDepth?.(this.queue.length);
    const t0 = process.hrtime.bigint();
    const run = (async () => {
      try {
        const out = await this.run(batch.map((b) => b.item), instance);
        batch.forEach((b, i) => b.resolve(out[i]));
      } catch (err) {
        batch.forEach((b) => b.reject(err));
      }
      this.hooks.onBatch?.(batch.length, Number(process.hrtime.bigint() - t0) / 1e9);
    })().finally(() => {
      this.runs.delete(run);
      this.free.push(instance);
      this.schedule(true); // whatever queued meanwhile has waited for a free instance
    });
    this.runs.add(run);
  }

  /** Resolves when every queued item has been answered. */
  async drain(): Promise<void> {
    while (this.queue.length || this.runs.size || this.timer) {
      if (this.timer) this.schedule(true);
      await Promise.all([...this.runs]);
    }
  }
}
