import { DynamicBatcher } from './batcher';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A fake model: records each batch (items and instance) and how many batches ran at once. */
function recorder(runMs: number) {
  const batches: { items: number[]; instance: number }[] = [];
  let active = 0;
  let maxActive = 0;
  const run = async (items: number[], instance: number) => {
    batches.push({ items, instance });
    maxActive = Math.max(maxActive, ++active);
    await sleep(runMs);
    active -= 1;
    return items.map((x) => x * 10);
  };
  return { run, batches, maxActive: () => maxActive };
}

describe('dynamic batcher', () => {
  it('answers each request in order, and batches what queued while the model was busy, up to the maximum', async () => {
    const r = recorder(30);
    const b = new DynamicBatcher(r.run, { maxBatchSize: 4, maxQueueDelayMs: 0 });
    const first = b.submit([1]);
    const rest = [b.submit([2, 3]), b.submit([4]), b.submit([5, 6, 7])];
    expect(await first).toEqual([10]);
    expect(await Promise.all(rest)).toEqual([[20, 30], [40], [50, 60, 70]]);
    expect(r.batches.map((x) => x.items)).toEqual([[1], [2, 3, 4, 5], [6, 7]]);
    expect(r.maxActive()).toBe(1);
  });

  it('an idle model waits up to the queue delay for a batch to fill', async () => {
    const r = recorder(1);
    const b = new DynamicBatcher(r.run, { maxBatchSize: 8, maxQueueDelayMs: 40 });
    const a = b.submit([1]);
    await sleep(5);
    const c = b.submit([2]);
    expect(r.batches).toHaveLength(0);
    await Promise.all([a, c]);
    expect(r.batches.map((x) => x.items)).toEqual([[1, 2]]);
    // a full batch goes at once
    const t0 = Date.now();
    await b.submit([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(Date.now() - t0).toBeLessThan(35);
  });

  it('runs batches side by side on several instances, one batch per instance at a time', async () => {
    const r = recorder(40);
    const b = new DynamicBatcher(r.run, { maxBatchSize: 2, maxQueueDelayMs: 0, instances: 2 });
    const out = await Promise.all([b.submit([1, 2]), b.submit([3, 4]), b.submit([5, 6])]);
    expect(out).toEqual([[10, 20], [30, 40], [50, 60]]);
    expect(r.maxActive()).toBe(2);
    expect(new Set(r.batches.slice(0, 2).map((x) => x.instance))).toEqual(new Set([0, 1]));
    expect(() => new DynamicBatcher(r.run, { maxBatchSize: 2, maxQueueDelayMs: 0, instances: 0 })).toThrow(/instances/);
  });

  it('a failing batch rejects its own requests only; drain waits for everything queued', async () => {
    let calls = 0;
    const b = new DynamicBatcher(
      async (items: number[]) => {
        calls += 1;
        await sleep(10);
        if (items.includes(13)) throw new Error('bad batch');
        return items;
      },
      { maxBatchSize: 1, maxQueueDelayMs: 5 },
    );
    const bad = b.submit([13]);
    const good = b.submit([1]);
    await expect(bad).rejects.toThrow('bad batch');
    await b.drain();
    expect(await good).toEqual([1]);
    expect(calls).toBe(2);
  });
});
