import * as path from 'node:path';
import { OnnxClassifier } from '@distill/runtime';
import { ClassificationServer, DEFAULT_SERVER, type TextClassifier } from './server';
import { TEST_LABELS, writeTestModel } from './test-model';

let modelFile: string;
beforeAll(async () => {
  modelFile = await writeTestModel();
});

async function started(options = {}, load: () => Promise<TextClassifier> = () => OnnxClassifier.load(modelFile)) {
  const server = new ClassificationServer({ ...DEFAULT_SERVER, port: 0, maxTexts: 4, maxChars: 20, bodyLimitBytes: 2048, ...options });
  await server.start(load);
  const url = `http://127.0.0.1:${server.port}`;
  const post = (body: unknown) => fetch(`${url}/v1/classify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { server, url, post };
}

describe('classification server', () => {
  it('a multi-label model: every label at or above its threshold, with sigmoid scores', async () => {
    const results = async (thresholds: number[]) => {
      const file = await writeTestModel({ multiLabel: { thresholds } });
      const { server, post } = await started({}, () => OnnxClassifier.load(file));
      const body = (await (await post({ texts: ['体育新闻', '汽车'], top_k: 2 })).json()) as { results: { labels: string[]; top: { score: number }[] }[] };
      await server.close();
      return body.results;
    };
    const low = await results([0, 0]);
    expect(low.map((r) => r.labels)).toEqual([TEST_LABELS, TEST_LABELS]);
    // independent sigmoids: the two scores need not sum to 1
    expect(low.some((r) => Math.abs(r.top[0].score + r.top[1].score - 1) > 1e-3)).toBe(true);
    expect((await results([0, 1])).map((r) => r.labels)).toEqual([[TEST_LABELS[0]], [TEST_LABELS[0]]]);
  });

  it('classifies one text or many, with labels, scores and top-k', async () => {
    const { server, post } = await started();
    const one = await post({ text: '体育新闻' });
    expect(one.status).toBe(200);
    const body = (await one.json()) as { results: { label: string; score: number }[] };
    expect(TEST_LABELS).toContain(body.results[0].label);
    expect(body.results[0].score).toBeGreaterThan(0);
    const many = (await (await post({ texts: ['体育', '财经新闻', '汽车'], top_k: 2 })).json()) as { results: { top: unknown[] }[] };
    expect(many.results).toHaveLength(3);
    expect(many.results[1].top).toHaveLength(2);
    await server.close();
  });

  it('answers a full-width query as its NFKC form (the normalisation of the training data), and a 1,000-character text', async () => {
    const { server, post } = await started({ maxChars: DEFAULT_SERVER.maxChars, bodyLimitBytes: DEFAULT_SERVER.bodyLimitBytes });
    const scores = async (text: string) => ((await (await post({ text, top_k: 2 })).json()) as { results: { top: { label: string; score: number }[] }[] }).results[0].top;
    const full = await scores('ＮＢＡ１２！体育');
    expect(full).toEqual(await scores('NBA12!体育'));
    // not trivially equal: the full-width characters alone are not in the vocabulary
    const clf = await OnnxClassifier.load(modelFile);
    expect(clf.tokenizer.encode('ＮＢＡ１２！体育', 16).tokens).toContain('[UNK]');
    expect(clf.encode('ＮＢＡ１２！体育')).toEqual(clf.encode('NBA12!体育'));
    await clf.dispose();
    const long = await post({ text: '体育新闻'.repeat(250) });
    expect(long.status).toBe(200);
    expect(((await long.json()) as { results: unknown[] }).results).toHaveLength(1);
    await server.close();
  });

  it('answers bad requests with 4xx and a message that says what is wrong', async () => {
    const { server, post } = await started();
    const cases: [unknown, number, RegExp][] = [
      [{ text: '' }, 400, /text 0 is empty/],
      [{ text: 5 }, 400, /text/],
      [{ texts: ['体育', 7] }, 400, /texts/],
      [{ texts: [] }, 400, /empty/],
      [{ texts: ['a', 'b', 'c', 'd', 'e'] }, 400, /at most 4 texts per request, got 5/],
      [{ text: '新'.repeat(21) }, 400, /text 0 has 21 characters; at most 20/],
      [{ text: '体育', texts: ['体育'] }, 400, /exactly one of/],
      [{ text: '体育', top_k: 3 }, 400, /top_k is at most 2/],
      [{ text: '体育', extra: 1 }, 400, /must NOT have additional properties/],
      ['{not json', 400, /JSON/i],
      [{ texts: Array(600).fill('体育') }, 413, /larger than 2048 bytes/],
    ];
    for (const [body, status, message] of cases) {
      const res = await post(body);
      expect({ body, status: res.status }).toEqual({ body, status });
      expect(((await res.json()) as { error: string }).error).toMatch(message);
    }
    await server.close();
  });

  it('answers every 4xx, 404 included, as {"error": …}', async () => {
    const { server, url } = await started();
    for (const [method, route] of [['GET', '/nope'], ['POST', '/v1/models'], ['GET', '/v1/classify']]) {
      const res = await fetch(`${url}${route}`, { method });
      expect({ route, status: res.status }).toEqual({ route, status: 404 });
      const body = (await res.json()) as Record<string, unknown>;
      expect(Object.keys(body)).toEqual(['error']);
      expect(body.error).toMatch(new RegExp(`no route ${method} ${route.replace('/', '\\/')}`));
    }
    await server.close();
  });

  it('names the model and its version, never a server path; lists it with its labels and maximum length; describes itself in OpenAPI', async () => {
    const { server, url, post } = await started();
    const name = `${path.basename(path.dirname(modelFile))}-fp32`;
    const answer = (await (await post({ text: '体育' })).json()) as { model: string; model_version: string };
    expect(answer.model).toBe(name);
    expect(answer.model_version).toMatch(/^[0-9a-f]{12}$/);
    expect(JSON.stringify(answer)).not.toContain(modelFile);
    const models = (await (await fetch(`${url}/v1/models`)).json()) as { models: { name: string; version: string; labels: string[]; max_length: number }[] };
    expect(models.models).toEqual([{ name, version: answer.model_version, labels: TEST_LABELS, max_length: 16 }]);
    const doc = (await (await fetch(`${url}/openapi.json`)).json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths).sort()).toEqual(['/v1/classify', '/v1/models']);
    expect(doc.paths['/v1/classify'].post).toBeDefined();
    await server.close();
  });

  it('is ready only after the model is loaded and warmed up', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const server = new ClassificationServer({ ...DEFAULT_SERVER, port: 0 });
    const starting = server.start(async () => {
      await gate;
      return OnnxClassifier.load(modelFile);
    });
    while (!server.app.server.listening) await new Promise((r) => setTimeout(r, 5));
    const url = `http://127.0.0.1:${server.port}`;
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/readyz`)).status).toBe(503);
    expect((await fetch(`${url}/v1/classify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"体育"}' })).status).toBe(503);
    release();
    await starting;
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    await server.close();
  });

  it('exports Prometheus metrics that move with traffic, batches included', async () => {
    const { server, url, post } = await started({ maxQueueDelayMs: 20 });
    const metric = async (name: string) => {
      const text = await (await fetch(`${url}/metrics`)).text();
      return text.split('\n').filter((l) => l.startsWith(name)).map((l) => Number(l.split(' ').pop())).reduce((a, b) => a + b, 0);
    };
    const before = await metric('classify_requests_total');
    await Promise.all(Array.from({ length: 6 }, () => post({ text: '科技新闻' })));
    await post({ text: '' });
    expect((await metric('classify_requests_total')) - before).toBe(7);
    expect(await metric('classify_errors_total')).toBe(1);
    expect(await metric('classify_texts_total')).toBe(6);
    // six concurrent requests within the queue delay share model runs
    expect(await metric('classify_batch_size_count')).toBeLessThan(6);
    expect(await metric('classify_request_duration_seconds_count')).toBeGreaterThanOrEqual(7);
    await server.close();
  });

  it('answers the low-confidence fallback label below the threshold', async () => {
    const { server, post } = await started({ threshold: 0.99, fallbackLabel: 'other' });
    const r = ((await (await post({ text: '体育' })).json()) as { results: unknown[] }).results[0];
    expect(r).toMatchObject({ label: 'other', fallback: true });
    await server.close();
  });

  it('shuts down gracefully: requests in flight are answered, new ones refused', async () => {
    // a slow model: each run takes 100 ms
    const slow = async (): Promise<TextClassifier> => {
      const real = await OnnxClassifier.load(modelFile);
      return { labels: real.labels, modelFile: real.modelFile, dispose: () => real.dispose(), classify: async (t, k) => (await new Promise((r) => setTimeout(r, 100)), real.classify(t, k)) };
    };
    const { server, url, post } = await started({ maxBatchSize: 2 }, slow);
    const inFlight = Array.from({ length: 5 }, (_, i) => post({ text: `体育${i}` }));
    while (server.inFlight < 5) await new Promise((r) => setTimeout(r, 2)); // all five reached the model queue
    const closing = server.close();
    const statuses = await Promise.all(inFlight.map(async (r) => (await r).status));
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    await closing;
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});

describe('classification server, hardened', () => {
  it('answers bytes that are not UTF-8 and lone surrogates with a 400, not a guess', async () => {
    const { server, url } = await started();
    const raw = await fetch(`${url}/v1/classify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.concat([Buffer.from('{"text": "体'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]) });
    expect(raw.status).toBe(400);
    expect(((await raw.json()) as { error: string }).error).toMatch(/not valid UTF-8/);
    const lone = await fetch(`${url}/v1/classify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text": "体\\ud800育"}' });
    expect(lone.status).toBe(400);
    expect(((await lone.json()) as { error: string }).error).toMatch(/text 0: invalid text: a lone UTF-16 surrogate \(U\+D800\)/);
    await server.close();
  });

  it('answers every request accepted before shutdown, over 10 runs, with keep-alive clients still sending', async () => {
    const http = await import('node:http');
    for (let run = 0; run < 10; run++) {
      // the model holds every batch until released: all twelve requests are inside the server when it starts closing
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const held = async (): Promise<TextClassifier> => {
        const real = await OnnxClassifier.load(modelFile);
        return { labels: real.labels, modelFile: real.modelFile, dispose: () => real.dispose(), classify: async (t, k) => (t[0].startsWith('预热') ? real.classify(t, k) : (await gate, real.classify(t, k))) };
      };
      const { server } = await started({ maxBatchSize: 4 }, held);
      const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
      const send = () =>
        new Promise<number>((resolve) => {
          const req = http.request({ host: '127.0.0.1', port: server.port, method: 'POST', path: '/v1/classify', agent, headers: { 'content-type': 'application/json' } }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode!));
          });
          req.on('error', () => resolve(-1)); // refused or reset: allowed only for requests sent after close() began
          req.end(JSON.stringify({ text: '体育新闻' }));
        });
      const accepted = Array.from({ length: 12 }, send);
      while (server.inFlight < 12) await new Promise((r) => setTimeout(r, 2));
      const closing = server.close();
      const late = Array.from({ length: 8 }, send); // keep-alive clients still sending while it shuts down
      release();
      expect(await Promise.all(accepted)).toEqual(Array(12).fill(200));
      await closing;
      for (const status of await Promise.all(late)) expect([200, 503, -1]).toContain(status);
      agent.destroy();
    }
  });

  it('closes within its grace period with a stalled client connected', async () => {
    const { server } = await started({ graceMs: 300, requestTimeoutMs: 60_000 });
    const net = await import('node:net');
    const socket = net.connect(server.port, '127.0.0.1');
    await new Promise<void>((r) => socket.once('connect', () => r()));
    // headers and one byte of a 100-byte body, then nothing
    socket.write('POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{');
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    await server.close();
    expect(Date.now() - t0).toBeLessThan(2000);
    socket.destroy();
  });
});
