import { loadTest, serverArgs, startServerProcess } from './http-bench';
import { writeTestModel } from './test-model';

describe('HTTP load test', () => {
  it('starts the server CLI on a free loopback port with the given settings and measures bounded load, without errors', async () => {
    const args = serverArgs({ workers: 2, threads: 1, spinning: false, max_batch_size: 8, max_queue_delay_ms: 1 });
    expect(args).toEqual(['--workers', '2', '--threads', '1', '--max-batch-size', '8', '--max-queue-delay-ms', '1', '--no-spinning']);
    expect(serverArgs({ workers: 0, threads: 1, spinning: true, max_batch_size: 8, max_queue_delay_ms: 1 })).not.toContain('--no-spinning');
    const server = await startServerProcess(await writeTestModel(), args);
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const point = await loadTest(server.url, ['体育新闻', '财经', '科技新闻'], 4, 60, 10, 'test');
      expect(point).toMatchObject({ model: 'test', concurrency: 4, errors: 0 });
      expect(point.requests).toBeGreaterThanOrEqual(60);
      expect(point.qps).toBeGreaterThan(0);
      expect(point.p99_ms).toBeGreaterThanOrEqual(point.p50_ms);
    } finally {
      await server.stop();
    }
    expect(server.child.exitCode).toBe(0);
  });
});
