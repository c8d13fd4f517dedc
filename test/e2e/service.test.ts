import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { startFakeEvaluator, type FakeEvaluator } from '../fakes/evaluatorServer';
import { appAnswer, startFakeLlm, type FakeLlm } from '../fakes/llmServer';
import { freePort, startEntryPoint, waitFor, type ServiceProcess } from '../helpers/processes';

/**
 * The whole product as a user starts it (`npm start` runs src/main.ts): embedded Temporal dev
 * server, worker and API in one process tree, talking to a local OpenAI-compatible server and a
 * local evaluator, publishing with LocalForge.
 */
const secret = 'e2e-shared-secret-5f1c';
const apiKey = 'sk-e2e-test-key-0123456789abcdef';
const githubToken = 'ghp_e2eTokenThatMustNeverBeLogged0123456';
const indexHtml =
  '<!doctype html><html><head><title>Orders Overview</title></head><body><p id="marker">scripted app 7d1</p></body></html>\n';
const csv = 'id,amount\n1,12.50\n2,7.25\n';

let llm: FakeLlm;
let evaluator: FakeEvaluator;
let service: ServiceProcess;
let dataDir: string;
let api: string;
let uiPort: number;
let temporalPort: number;

function taskRequest(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    email: 'student@example.com',
    secret,
    task: 'orders-e2e-1',
    round: 1,
    nonce: 'nonce-e2e-1',
    brief: 'Show the total of orders.csv in #order-total.',
    checks: ['document.title === "Orders Overview"', { js: '!!document.querySelector("#marker")' }],
    evaluation_url: `${evaluator.url}/callback`,
    attachments: [{ name: 'orders.csv', url: `data:text/csv;base64,${Buffer.from(csv).toString('base64')}` }],
    ...overrides,
  };
}

async function post(
  body: unknown,
  route = '/api/tasks',
): Promise<{ status: number; json: Record<string, unknown>; text: string }> {
  const res = await fetch(`${api}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // asserted by the caller
  }
  return { status: res.status, json, text };
}

beforeAll(async () => {
  llm = await startFakeLlm(() =>
    appAnswer({ 'index.html': indexHtml, 'README.md': '# Orders\n\nA page.\n' }),
  );
  evaluator = await startFakeEvaluator();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'llm-deploy-e2e-'));
  const port = await freePort();
  temporalPort = await freePort();
  uiPort = await freePort();
  api = `http://localhost:${port}`;
  service = startEntryPoint('main.ts', {
    PORT: String(port),
    DATA_DIR: dataDir,
    TEMPORAL_DEV_PORT: String(temporalPort),
    TEMPORAL_DEV_UI_PORT: String(uiPort),
    TEMPORAL_CLI_PATH: process.env.TEMPORAL_CLI_PATH!,
    API_SECRETS: `other-secret,${secret}`,
    OPENAI_BASE_URL: `${llm.url}/v1`,
    OPENAI_API_KEY: apiKey,
    GITHUB_TOKEN: githubToken,
    FORGE: 'local',
    LLM_MODELS: 'fake-model',
    MAX_BODY_BYTES: '2mb',
  });
  await waitFor(
    async () => ((await fetch(`${api}/health`)).ok ? true : undefined),
    120_000,
    `the service to answer /health (output so far:\n${service.output()})`,
  );
}, 150_000);

afterAll(async () => {
  await service?.stop();
  await Promise.all([llm?.close(), evaluator?.close()]);
  rmSync(dataDir, { recursive: true, force: true });
});

test('round 1: accepted at once, published with LocalForge, evaluator called back', async () => {
  const answer = await post(taskRequest());
  expect(answer.status).toBe(200);
  expect(answer.json).toEqual({
    status: 'accepted',
    task: 'orders-e2e-1',
    round: 1,
    nonce: 'nonce-e2e-1',
    workflowId: 'task-orders-e2e-1',
    statusUrl: `${api}/api/tasks/orders-e2e-1`,
    uiUrl: `http://localhost:${uiPort}/namespaces/default/workflows/task-orders-e2e-1`,
  });

  const [callback] = await evaluator.waitForAccepted(1, 60_000);
  const body = callback!.body;
  expect(Object.keys(body).sort()).toEqual([
    'commit_sha',
    'email',
    'nonce',
    'pages_url',
    'repo_url',
    'round',
    'task',
  ]);
  expect(body).toMatchObject({
    email: 'student@example.com',
    task: 'orders-e2e-1',
    round: 1,
    nonce: 'nonce-e2e-1',
  });
  expect(body.commit_sha).toMatch(/^[0-9a-f]{40}$/);

  // The repo is cloneable with plain git, and its HEAD is the commit the callback reported.
  const clone = mkdtempSync(path.join(os.tmpdir(), 'llm-deploy-clone-'));
  try {
    execFileSync('git', ['clone', '--quiet', String(body.repo_url), clone], { stdio: 'pipe' });
    expect(execFileSync('git', ['-C', clone, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim()).toBe(
      body.commit_sha,
    );
    expect(readFileSync(path.join(clone, 'index.html'), 'utf8')).toBe(indexHtml);
    expect(readFileSync(path.join(clone, 'orders.csv'), 'utf8')).toBe(csv);
    expect(readFileSync(path.join(clone, 'LICENSE'), 'utf8')).toMatch(
      /^MIT License\n\nCopyright \(c\) \d{4} local\n/,
    );
    expect(readdirSync(clone).sort()).toEqual([
      '.git',
      '.nojekyll',
      'LICENSE',
      'README.md',
      'index.html',
      'orders.csv',
    ]);
    const log = execFileSync('git', ['-C', clone, 'log', '--format=%B%x00'], { encoding: 'utf8' });
    expect(log).toContain('Nonce: nonce-e2e-1');
  } finally {
    rmSync(clone, { recursive: true, force: true });
  }

  // pages_url serves the app, and attachments next to it by relative path.
  const page = await fetch(String(body.pages_url));
  expect(page.status).toBe(200);
  expect(page.headers.get('content-type')).toMatch(/text\/html/);
  expect(await page.text()).toBe(indexHtml);
  const data = await fetch(new URL('orders.csv', String(body.pages_url)));
  expect(await data.text()).toBe(csv);

  // The model was asked with the brief, the checks verbatim and the attachment's content.
  const prompt = JSON.stringify(llm.requests[0]!.messages);
  expect(prompt).toContain('Show the total of orders.csv');
  expect(prompt).toContain('!!document.querySelector(\\"#marker\\")');
  expect(prompt).toContain('1,12.50');
  expect(llm.authorizations[0]).toBe(`Bearer ${apiKey}`);

  const status = (await (await fetch(String(answer.json.statusUrl))).json()) as {
    rounds: Record<string, unknown>[];
  };
  expect(status.rounds).toHaveLength(1);
  expect(status.rounds[0]).toMatchObject({
    round: 1,
    state: 'done',
    commit_sha: body.commit_sha,
    pages_url: body.pages_url,
    repo_url: body.repo_url,
    callback: { status: 200, attempts: 1 },
  });
});

test('the Temporal Web UI is served', async () => {
  const res = await fetch(`http://localhost:${uiPort}/`);
  expect(res.status).toBe(200);
});

test.each([['/task'], ['/api-endpoint']])('peers’ issuers can post to %s', async (route) => {
  const answer = await post(
    taskRequest({ task: `peer-path${route.replace(/\W/g, '-')}`, nonce: `n${route}` }),
    route,
  );
  expect(answer.status).toBe(200);
  expect(answer.json.status).toBe('accepted');
});

describe('bad input gets a clear 4xx and never a stack trace', () => {
  const cases: [string, () => unknown, number, string | undefined][] = [
    ['invalid JSON', () => '{"email": ', 400, undefined],
    ['a JSON array', () => [], 400, 'body'],
    ['no secret', () => ({ ...taskRequest(), secret: undefined }), 401, 'secret'],
    ['a wrong secret', () => taskRequest({ secret: 'guess' }), 403, 'secret'],
    ['no email', () => ({ ...taskRequest(), email: undefined }), 400, 'email'],
    ['round as text', () => taskRequest({ round: 'two' }), 400, 'round'],
    ['round 0', () => taskRequest({ round: 0 }), 400, 'round'],
    ['a task id with a path', () => taskRequest({ task: '../etc' }), 400, 'task'],
    ['checks not an array', () => taskRequest({ checks: 'x' }), 400, 'checks'],
    [
      'an ftp evaluation_url',
      () => taskRequest({ evaluation_url: 'ftp://example.com/cb' }),
      400,
      'evaluation_url',
    ],
    [
      'an attachment that is not a data: URI',
      () => taskRequest({ attachments: [{ name: 'a.csv', url: 'https://x/a.csv' }] }),
      400,
      'attachments[0].url',
    ],
    [
      'bad base64 in a data: URI',
      () => taskRequest({ attachments: [{ name: 'a.csv', url: 'data:text/csv;base64,@@@' }] }),
      400,
      'attachments[0].url',
    ],
    ['a brief of the wrong type', () => taskRequest({ brief: 42 }), 400, 'brief'],
  ];
  test.each(cases)('%s', async (_name, body, status, field) => {
    const answer = await post(body());
    expect(answer.status).toBe(status);
    expect(answer.json.status).toBe('error');
    expect(typeof answer.json.error).toBe('string');
    if (field) expect(answer.json.field).toBe(field);
    expect(answer.text).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
  });

  test('a body over MAX_BODY_BYTES is refused with 413', async () => {
    const big = taskRequest({
      attachments: [
        { name: 'big.bin', url: `data:application/octet-stream;base64,${'A'.repeat(3 * 1024 * 1024)}` },
      ],
    });
    const answer = await post(big);
    expect(answer.status).toBe(413);
    expect(answer.json.error).toMatch(/larger than the limit/);
  });

  test('an unknown task has no status', async () => {
    const res = await fetch(`${api}/api/tasks/never-sent`);
    expect(res.status).toBe(404);
  });
});

test('neither the request secret nor GITHUB_TOKEN nor OPENAI_API_KEY reaches the logs or the workflow history', async () => {
  const output = service.output();
  expect(output).toContain('round accepted');
  const connection = await Connection.connect({ address: `127.0.0.1:${temporalPort}` });
  try {
    const history = await new Client({ connection }).workflow.getHandle('task-orders-e2e-1').fetchHistory();
    const encoded = Buffer.from(temporal.api.history.v1.History.encode(history).finish());
    expect(encoded.includes('nonce-e2e-1')).toBe(true);
    for (const value of [secret, apiKey, githubToken]) {
      expect(output).not.toContain(value);
      expect(encoded.includes(value)).toBe(false);
    }
  } finally {
    await connection.close();
  }
});

test('SIGTERM stops the API, the worker and the embedded Temporal server cleanly', async () => {
  expect(await service.stop()).toBe(0);
  await expect(fetch(`${api}/health`)).rejects.toThrow();
  const temporalStillListening = await new Promise<boolean>((resolve) => {
    const socket = connect(temporalPort, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
  expect(temporalStillListening).toBe(false);
});
