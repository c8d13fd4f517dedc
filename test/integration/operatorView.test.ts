import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import { defaultPayloadConverter } from '@temporalio/common';
import { createLogger } from '../../src/log';
import { appAnswer } from '../fakes/llmServer';
import { startScriptedWorld, type ScriptedWorld } from '../helpers/scriptedWorld';
import { startStack, type Stack } from '../helpers/stack';
import { startTemporal } from '../helpers/temporal';

/**
 * What operators and API clients see of a run: the Temporal UI's summaries and details, the SSE
 * progress stream, /ready, /metrics, the OpenAPI document and docs, request ids and redaction in
 * the logs, and the submission rate limit — all through the real API, worker and Temporal.
 */
let env: TestWorkflowEnvironment;
let bundle: WorkflowBundle;
let world: ScriptedWorld;
let stack: Stack;
let limited: Stack;
let stoppable: Stack;
let dataDir: string;
const logLines: string[] = [];

const secret = 'operator-view-secret-value';
const checks = ['document.querySelector("#greeting").textContent === "hello"'];
const helloApp = appAnswer({
  'index.html': '<!doctype html><title>hi</title><p id="greeting">hello</p>\n',
  'README.md': '# Hello\n',
});

beforeAll(async () => {
  env = await startTemporal();
  bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../src/workflows') });
  world = await startScriptedWorld();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'llm-deploy-ops-'));
  const common = {
    DATA_DIR: dataDir,
    API_SECRETS: secret,
    OPENAI_BASE_URL: `${world.llm.url}/v1`,
    LLM_MODELS: 'fake-model',
    IDLE_TIMEOUT: '60s',
  };
  const logger = createLogger(
    'info',
    new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    }),
  );
  stack = await startStack(env, bundle, { ...common, TEMPORAL_TASK_QUEUE: 'ops' }, { logger });
  limited = await startStack(env, bundle, {
    ...common,
    TEMPORAL_TASK_QUEUE: 'ops-limited',
    RATE_LIMIT_PER_MINUTE: '2',
  });
  stoppable = await startStack(env, bundle, { ...common, TEMPORAL_TASK_QUEUE: 'ops-stoppable' });
}, 120_000);

afterAll(async () => {
  for (const s of [stack, limited, stoppable]) await s?.close();
  await env?.teardown();
  await world?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

interface StreamEvent {
  event: string;
  data: Record<string, unknown>;
}

/** Reads a Server-Sent Events stream to its end. */
async function readEvents(
  url: string,
): Promise<{ status: number; type: string | null; events: StreamEvent[] }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(60_000) });
  const text = await res.text();
  const events = text
    .split('\n\n')
    .filter((block) => block.includes('event:'))
    .map((block) => {
      const field = (name: string) =>
        block
          .split('\n')
          .find((l) => l.startsWith(`${name}: `))
          ?.slice(name.length + 2);
      return { event: field('event')!, data: JSON.parse(field('data')!) as Record<string, unknown> };
    });
  return { status: res.status, type: res.headers.get('content-type'), events };
}

describe('a round watched by an operator', () => {
  const task = 'watched-task';
  let live: Promise<Awaited<ReturnType<typeof readEvents>>>;
  let requestId: string | null;

  beforeAll(async () => {
    world.modelScripts.set(task, () => ({ ...helloApp, delayMs: 1_000 }));
    const res = await fetch(`${stack.api}/api/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
      body: JSON.stringify(world.request(task, secret, { checks })),
    });
    expect(res.status).toBe(200);
    requestId = res.headers.get('x-request-id');
    live = readEvents(`${stack.api}/api/tasks/${task}/events`);
    await stack.finishedRound(task, 1, 60_000);
  }, 90_000);

  test('the event stream follows the round from a live state to its result, then ends', async () => {
    const { status, type, events } = await live;
    expect(status).toBe(200);
    expect(type).toMatch(/^text\/event-stream/);
    const progress = events.filter((e) => e.event === 'progress');
    for (const e of progress)
      expect(Object.keys(e.data).sort()).toEqual(
        ['attempt', 'message', 'progress', 'round', 'state', 'step', 'timestamp'].filter((k) => k in e.data),
      );
    const states = progress.map((e) => e.data.state);
    expect(states).toContain('generating');
    expect(states).toContain('checking');
    expect(states.at(-1)).toBe('done');
    expect(progress.map((e) => e.data.progress)).toEqual(
      [...progress.map((e) => e.data.progress as number)].sort((a, b) => a - b),
    );
    expect(events.at(-1)!.event).toBe('result');
    expect(events.at(-1)!.data).toMatchObject({ round: 1, state: 'done' });
  });

  test('a late subscriber gets the current state first, then the result', async () => {
    const { events } = await readEvents(`${stack.api}/api/tasks/${task}/events?round=1`);
    expect(events.map((e) => e.event)).toEqual(['progress', 'result']);
    expect(events[0]!.data).toMatchObject({ state: 'done', progress: 1 });
    expect(String(events[0]!.data.message)).toContain('done');
  });

  test('an unknown task or a bad round is a JSON error, not a stream', async () => {
    const unknown = await fetch(`${stack.api}/api/tasks/no-such-task/events`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ status: 'error', field: 'task' });
    const bad = await fetch(`${stack.api}/api/tasks/${task}/events?round=zero`);
    expect(bad.status).toBe(400);
  });

  test('the Temporal UI shows a summary, live details with check results, and one line per activity', async () => {
    const handle = env.client.workflow.getHandle(`task-${task}`);
    const description = await handle.describe();
    expect(await description.staticSummary()).toBe(`Task ${task} for student@example.com`);
    expect(await description.staticDetails()).toContain(`Build ${task}`);
    const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    expect(metadata.currentDetails).toContain(`**Task ${task}**, round 1: **done**`);
    expect(metadata.currentDetails).toContain('**Check attempt 0**');
    expect(metadata.currentDetails).toContain('1/1 passing');
    const history = await handle.fetchHistory();
    const summaries = (history.events ?? [])
      .filter((e) => e.activityTaskScheduledEventAttributes && e.userMetadata?.summary)
      .map((e) => defaultPayloadConverter.fromPayload<string>(e.userMetadata!.summary!));
    expect(summaries).toEqual(
      expect.arrayContaining([
        'generate round 1 (fake-model)',
        'publish round 1',
        expect.stringMatching(/^wait for Pages @[0-9a-f]{7}$/),
        expect.stringMatching(/^self-check attempt 0 @[0-9a-f]{7}$/),
        expect.stringMatching(/^notify evaluator: round 1 @[0-9a-f]{7}$/),
      ]),
    );
  });

  test('/metrics counts rounds, steps, callbacks and HTTP latency by route', async () => {
    const res = await fetch(`${stack.api}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^rounds_total\{outcome="done"\} [1-9]/m);
    expect(text).toMatch(/^round_duration_seconds_count [1-9]/m);
    expect(text).toMatch(/^step_duration_seconds_count\{step="generate"\} [1-9]/m);
    expect(text).toMatch(/^step_duration_seconds_count\{step="selfCheck"\} [1-9]/m);
    expect(text).toMatch(/^callbacks_total\{outcome="accepted"\} [1-9]/m);
    expect(text).toMatch(/^repairs_total \d/m);
    expect(text).toMatch(
      /^http_request_duration_seconds_count\{method="POST",route="\/api\/tasks",status="200"\} [1-9]/m,
    );
    expect(text).not.toContain(task); // no per-task series
  });

  test('logs carry the request id, which the round carries into the workflow; never the secret', async () => {
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(logLines.join('\n')).not.toContain(secret);
    const completed = logLines
      .map((l) => JSON.parse(l) as { msg?: string; req?: { id?: string; url?: string } })
      .find((l) => l.msg === 'request completed' && l.req?.id === requestId);
    expect(completed?.req?.url).toBe('/api/tasks');
    const history = await env.client.workflow.getHandle(`task-${task}`).fetchHistory();
    const signal = history.events!.find((e) => e.workflowExecutionSignaledEventAttributes)!;
    const [round] = signal.workflowExecutionSignaledEventAttributes!.input!.payloads!.map((p) =>
      defaultPayloadConverter.fromPayload<{ requestId?: string }>(p),
    );
    expect(round!.requestId).toBe(requestId);
    expect(JSON.stringify(history)).not.toContain(secret);
  });
});

test('/openapi.json describes the API from the validating schema, and /docs serves Swagger UI locally', async () => {
  const doc = (await (await fetch(`${stack.api}/openapi.json`)).json()) as {
    openapi: string;
    paths: Record<string, unknown>;
    components: { schemas: { TaskRequest: { properties: Record<string, unknown>; required: string[] } } };
  };
  expect(doc.openapi).toBe('3.1.0');
  expect(Object.keys(doc.paths)).toEqual(
    expect.arrayContaining([
      '/api/tasks',
      '/api/tasks/{task}',
      '/api/tasks/{task}/events',
      '/ready',
      '/metrics',
    ]),
  );
  const schema = doc.components.schemas.TaskRequest;
  expect(schema.required).toEqual(
    expect.arrayContaining(['email', 'secret', 'task', 'round', 'nonce', 'brief', 'evaluation_url']),
  );
  expect(schema.properties.task).toMatchObject({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', maxLength: 100 });
  const docs = await fetch(`${stack.api}/docs`);
  expect(await docs.text()).toContain("SwaggerUIBundle({ url: '/openapi.json'");
  const bundleJs = await fetch(`${stack.api}/docs/assets/swagger-ui-bundle.js`);
  expect(bundleJs.status).toBe(200);
  expect(bundleJs.headers.get('content-type')).toMatch(/javascript/);
});

test('/ready reports each component, and turns 503 when the worker stops', async () => {
  const ready = await fetch(`${stoppable.api}/ready`);
  const body = (await ready.json()) as { status: string; components: Record<string, { ok: boolean }> };
  expect(ready.status).toBe(200);
  expect(body.status).toBe('ready');
  expect(Object.keys(body.components).sort()).toEqual(['forge', 'llm', 'temporal', 'worker']);
  stoppable.worker.shutdown();
  let answer: Response | undefined;
  for (let i = 0; i < 100; i++) {
    answer = await fetch(`${stoppable.api}/ready`);
    if (answer.status === 503) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(answer!.status).toBe(503);
  expect(await answer!.json()).toMatchObject({
    status: 'not_ready',
    components: { worker: { ok: false }, temporal: { ok: true }, forge: { ok: true }, llm: { ok: true } },
  });
  expect((await fetch(`${stoppable.api}/health`)).status).toBe(200);
});

test('task submissions over RATE_LIMIT_PER_MINUTE from one address get 429 with Retry-After', async () => {
  const post = (n: number) => limited.post(world.request(`limited-${n}`, secret));
  expect((await post(1)).status).toBe(200);
  expect((await post(2)).status).toBe(200);
  const res = await fetch(`${limited.api}/api/tasks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(world.request('limited-3', secret)),
  });
  expect(res.status).toBe(429);
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(await res.json()).toMatchObject({
    status: 'error',
    error: expect.stringMatching(/RATE_LIMIT_PER_MINUTE/),
  });
  // Reading status is not limited.
  expect((await fetch(`${limited.api}/api/tasks/limited-1`)).status).toBe(200);
});
