/**
 * The classification service (fastify):
 *   POST /v1/classify  {"text": "…"} or {"texts": ["…", …]}, optional "top_k" → {"results": [{label, score, top}], "model", "model_version"}
 *                      (a multi-label model adds `labels`: every label at or above its threshold)
 *   GET  /v1/models    the served model: name, version (content hash), labels, maximum length in tokens
 *   GET  /openapi.json the OpenAPI 3 description of these routes
 *   GET  /healthz      the process is up
 *   GET  /readyz       200 once the model is loaded and warmed up, 503 before and while shutting down
 *   GET  /metrics      Prometheus metrics (requests, errors, latency, batch sizes, queue depth)
 * Requests share the model through dynamic batching. Limits (body size, texts per request, characters per text)
 * give 413/400 answers that say what is wrong; every error, 404 included, is {"error": "…"}. `close()` stops taking
 * requests and answers those in flight.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import { textProblem } from '@distill/core';
import type { Prediction } from '@distill/runtime';
import { DynamicBatcher } from './batcher';
import { createMetrics, type ServiceMetrics } from './metrics';

/** What the service needs from a model (OnnxClassifier fits). */
export interface TextClassifier {
  labels: string[];
  modelFile: string;
  /** the longest input in tokens (longer texts are cut), when known */
  maxLength?: number;
  classify(texts: readonly string[], topK?: number): Promise<Prediction[]>;
  dispose(): Promise<void>;
}

export interface ServerOptions {
  /** 127.0.0.1 unless configured */
  host: string;
  /** 0 picks a free port */
  port: number;
  bodyLimitBytes: number;
  maxTexts: number;
  maxChars: number;
  maxBatchSize: number;
  maxQueueDelayMs: number;
  /** model instances (each loaded by the start() loader) that run batches side by side (default 1) */
  instances?: number;
  /** a request's headers must arrive within this many ms, and the whole request within `requestTimeoutMs` (408 after);
   * an idle keep-alive connection closes after `idleTimeoutMs` */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  idleTimeoutMs?: number;
  /** on close(), how long requests already accepted get to finish before every connection is cut */
  graceMs?: number;
  /** below this top score, answer `fallbackLabel` instead (out-of-scope detection) */
  threshold?: number;
  fallbackLabel?: string;
}

export const DEFAULT_SERVER: ServerOptions = {
  host: '127.0.0.1',
  port: 8080,
  bodyLimitBytes: 64 * 1024,
  maxTexts: 64,
  // long enough for a document; the runtime cuts every text to the model's max_length tokens
  maxChars: 10_000,
  maxBatchSize: 32,
  maxQueueDelayMs: 2,
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  idleTimeoutMs: 5_000,
  graceMs: 10_000,
};

interface ClassifyBody {
  text?: string;
  texts?: string[];
  top_k?: number;
}

/** What clients are told about the served model: a name and a content version, never a server path. */
export interface ModelInfo {
  name: string;
  version: string;
  labels: string[];
  max_length: number | null;
}

/**
 * The model's public name, `<model directory>-<precision>` as in the benchmark (student-int8, teacher-fp32), and its
 * version, the first 12 hex digits of the model file's SHA-256.
 */
export function modelInfo(model: TextClassifier): ModelInfo {
  const file = path.basename(model.modelFile);
  const precision = file === 'model.onnx' ? 'fp32' : file === 'model.int8.onnx' ? 'int8' : file.replace(/\.onnx$/, '');
  const version = fs.existsSync(model.modelFile) ? crypto.createHash('sha256').update(fs.readFileSync(model.modelFile)).digest('hex').slice(0, 12) : 'unknown';
  return { name: `${path.basename(path.dirname(path.resolve(model.modelFile)))}-${precision}`, version, labels: model.labels, max_length: model.maxLength ?? null };
}

const errorSchema = { type: 'object', properties: { error: { type: 'string' } }, required: ['error'] } as const;
const scored = { type: 'object', properties: { label: { type: 'string' }, score: { type: 'number' } } } as const;
const classifyResponse = {
  type: 'object',
  properties: {
    results: { type: 'array', items: { type: 'object', properties: { label: { type: 'string' }, score: { type: 'number' }, top: { type: 'array', items: scored }, labels: { type: 'array', items: { type: 'string' } }, fallback: { type: 'boolean' } } } },
    model: { type: 'string' },
    model_version: { type: 'string' },
  },
} as const;
const modelsResponse = {
  type: 'object',
  properties: { models: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, version: { type: 'string' }, labels: { type: 'array', items: { type: 'string' } }, max_length: { type: ['integer', 'null'] } } } } },
} as const;

const bodySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    text: { type: 'string' },
    texts: { type: 'array', items: { type: 'string' } },
    top_k: { type: 'integer', minimum: 1 },
  },
} as const;

export class ClassificationServer {
  readonly app: FastifyInstance;
  readonly metrics: ServiceMetrics = createMetrics();
  private model: TextClassifier | null = null;
  private info: ModelInfo | null = null;
  private models: TextClassifier[] = [];
  private batcher: DynamicBatcher<string, Prediction> | null = null;
  private ready = false;
  private closing = false;
  /** classification requests accepted and not yet answered */
  inFlight = 0;

  constructor(readonly options: ServerOptions) {
    const t = { ...DEFAULT_SERVER, ...options };
    this.app = Fastify({
      bodyLimit: options.bodyLimitBytes,
      logger: false,
      forceCloseConnections: 'idle',
      // a client that sends headers and one byte, or nothing, cannot hold a connection (or a shutdown) for long
      requestTimeout: t.requestTimeoutMs,
      keepAliveTimeout: t.idleTimeoutMs,
      // reject wrong types and unknown keys instead of coercing or dropping them
      ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    });
    this.app.server.headersTimeout = t.headersTimeoutMs!;
    // bodies are decoded strictly: bytes that are not UTF-8 are a 400, not texts full of U+FFFD
    this.app.removeContentTypeParser('application/json');
    this.app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => {
      let text: string;
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(body as Buffer);
      } catch {
        done(Object.assign(new Error('the request body is not valid UTF-8'), { statusCode: 400 }), undefined);
        return;
      }
      try {
        done(null, JSON.parse(text));
      } catch (err) {
        done(Object.assign(new Error(`the request body is not valid JSON: ${(err as Error).message}`), { statusCode: 400 }), undefined);
      }
    });
    // the OpenAPI document is built from the routes' schemas: swagger is registered first, the routes after it loads
    this.app.register(swagger, { openapi: { info: { title: 'distill-pipeline classification service', version: '1' } } });
    this.app.after(() => this.routes());
  }

  private routes(): void {
    const { app, metrics, options } = this;
    app.addHook('onResponse', async (req, reply) => {
      if (req.url !== '/v1/classify') return;
      metrics.requests.inc({ status: String(reply.statusCode) });
      if (reply.statusCode >= 400) metrics.errors.inc({ status: String(reply.statusCode) });
      metrics.latency.observe(reply.elapsedTime / 1000);
    });
    app.setErrorHandler((err: Error & { statusCode?: number; code?: string; validation?: unknown }, _req, reply) => {
      const status = err.statusCode ?? 500;
      const message = err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? `request body is larger than ${options.bodyLimitBytes} bytes` : err.message;
      reply.status(status).send({ error: message });
    });
    // while shutting down, every answer tells keep-alive clients to go
    app.addHook('onSend', async (_req, reply, payload) => {
      if (this.closing) reply.header('connection', 'close');
      return payload;
    });
    app.setNotFoundHandler((req, reply) => reply.status(404).send({ error: `no route ${req.method} ${req.url.split('?')[0]} (routes: POST /v1/classify, GET /v1/models, /openapi.json, /healthz, /readyz, /metrics)` }));
    app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
    app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => (this.ready && !this.closing ? { status: 'ready', model: this.info?.name } : reply.status(503).send({ status: this.closing ? 'shutting down' : 'loading' })));
    app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
    app.get('/v1/models', { schema: { description: 'the served model', response: { 200: modelsResponse, 503: errorSchema } } }, async (_req, reply) => (this.info ? { models: [this.info] } : reply.status(503).send({ error: 'model not loaded yet' })));
    app.post<{ Body: ClassifyBody }>('/v1/classify', { schema: { description: 'classify one text or many', body: bodySchema, response: { 200: classifyResponse, '4xx': errorSchema, 503: errorSchema } } }, async (req, reply) => {
      if (!this.ready || this.closing || !this.batcher || !this.model) return reply.status(503).send({ error: this.closing ? 'shutting down' : 'model not loaded yet' });
      const { text, texts, top_k: topK = 1 } = req.body;
      if ((text === undefined) === (texts === undefined)) return reply.status(400).send({ error: 'give exactly one of "text" (a string) or "texts" (an array of strings)' });
      const list = texts ?? [text as string];
      if (!list.length) return reply.status(400).send({ error: '"texts" is empty' });
      if (list.length > options.maxTexts) return reply.status(400).send({ error: `at most ${options.maxTexts} texts per request, got ${list.length}` });
      for (const [i, t] of list.entries()) {
        if (!t.trim()) return reply.status(400).send({ error: `text ${i} is empty` });
        const problem = textProblem(t);
        if (problem) return reply.status(400).send({ error: `text ${i}: ${problem}` });
        const chars = Array.from(t).length;
        if (chars > options.maxChars) return reply.status(400).send({ error: `text ${i} has ${chars} characters; at most ${options.maxChars}` });
      }
      if (topK > this.model.labels.length) return reply.status(400).send({ error: `top_k is at most ${this.model.labels.length} (the number of labels)` });
      this.inFlight += 1;
      const predictions = await this.batcher.submit(list).finally(() => (this.inFlight -= 1));
      metrics.texts.inc(list.length);
      const results = predictions.map((p) => {
        const fallback = options.threshold !== undefined && p.score < options.threshold;
        return { label: fallback ? (options.fallbackLabel ?? 'unknown') : p.label, score: p.score, top: p.top.slice(0, topK), ...(p.labels ? { labels: p.labels } : {}), ...(fallback ? { fallback: true } : {}) };
      });
      return { results, model: this.info!.name, model_version: this.info!.version };
    });
  }

  /** Starts listening (health answers at once), then loads and warms the model; ready after that. */
  async start(load: () => Promise<TextClassifier>): Promise<string> {
    const address = await this.app.listen({ host: this.options.host, port: this.options.port });
    const instances = this.options.instances ?? 1;
    for (let i = 0; i < instances; i++) this.models.push(await load());
    // warm-up: the first run allocates and optimises; then the largest batch the server will run (maxBatchSize texts of
    // the model's longest input), so that ONNX Runtime's memory arena reaches its peak before the server is ready
    // rather than under traffic
    for (const m of this.models) {
      await m.classify(['预热'], 1);
      await m.classify(new Array(this.options.maxBatchSize).fill('预热'.repeat(m.maxLength ?? 64)), 1);
    }
    const model = this.models[0];
    this.model = model;
    this.info = modelInfo(model);
    const maxTopK = model.labels.length;
    const { maxBatchSize, maxQueueDelayMs } = this.options;
    this.batcher = new DynamicBatcher((items, instance) => this.models[instance].classify(items, maxTopK), { maxBatchSize, maxQueueDelayMs, instances }, {
      onBatch: (size, seconds) => {
        this.metrics.batchSize.observe(size);
        this.metrics.batchSeconds.observe(seconds);
      },
      onQueueDepth: (depth) => this.metrics.queueDepth.set(depth),
    });
    this.ready = true;
    return address;
  }

  get port(): number {
    const addr = this.app.server.address();
    return typeof addr === 'object' && addr ? addr.port : this.options.port;
  }

  /** Graceful shutdown: not ready, no new connections; requests in flight are answered; then the model is released. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const closed = this.app.close();
    // a connection whose last response went out after close() began stays open until its keep-alive times out: close
    // such connections as soon as they are idle (responses sent meanwhile say `Connection: close`)
    const sweep = setInterval(() => this.app.server.closeIdleConnections(), 50);
    // whatever clients do (a stalled upload, say), the server is gone after the grace period
    const grace = setTimeout(() => this.app.server.closeAllConnections(), this.options.graceMs ?? DEFAULT_SERVER.graceMs);
    await closed.finally(() => {
      clearInterval(sweep);
      clearTimeout(grace);
    });
    await this.batcher?.drain();
    for (const m of this.models) await m.dispose();
  }
}
