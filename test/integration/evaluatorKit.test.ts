import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode } from '@temporalio/worker';
import { checkAll } from '../../src/evaluator/cli';
import { Ledger } from '../../src/evaluator/ledger';
import { startReceiver } from '../../src/evaluator/receiver';
import { table } from '../../src/evaluator/report';
import { sendRound } from '../../src/evaluator/sender';
import { buildRequest, loadTaskTemplate, newSeed } from '../../src/evaluator/taskTemplate';
import { startFakeLlm, type FakeLlm } from '../fakes/llmServer';
import { serveCdnFromNodeModules } from '../helpers/localCdn';
import { startEntryPoint } from '../helpers/processes';
import { sampleModel } from '../helpers/sampleApps';
import { startStack, type Stack } from '../helpers/stack';
import { startTemporal } from '../helpers/temporal';

/**
 * The evaluator kit against the service in local mode: `send` issues a two-round example task,
 * `serve` receives and validates the callbacks, `check` clones each commit and runs the checks in
 * Chromium — the instructors' side of the protocol, round-tripped inside `npm test`.
 */
const secret = 'evaluator-kit-secret';
let env: TestWorkflowEnvironment;
let llm: FakeLlm;
let stack: Stack;
let receiver: { server: Server; url: string };
let dataDir: string;
let evaluatorDir: string;
let ledger: Ledger;

beforeAll(async () => {
  env = await startTemporal();
  const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../src/workflows') });
  llm = await startFakeLlm((req) => sampleModel(req.messages, { firstAnswerWrong: false }));
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'llm-deploy-evalkit-'));
  evaluatorDir = path.join(dataDir, 'evaluator');
  ledger = new Ledger(evaluatorDir);
  stack = await startStack(
    env,
    bundle,
    {
      DATA_DIR: path.join(dataDir, 'service'),
      API_SECRETS: secret,
      TEMPORAL_TASK_QUEUE: 'evaluator-kit',
      OPENAI_BASE_URL: `${llm.url}/v1`,
      LLM_MODELS: 'fake-model',
    },
    { serveLocally: serveCdnFromNodeModules },
  );
  receiver = await startReceiver({ port: 0, dir: evaluatorDir });
}, 120_000);

afterAll(async () => {
  receiver?.server.close();
  receiver?.server.closeAllConnections();
  await stack?.close();
  await env?.teardown();
  await llm?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function callbackFor(nonce: string, timeoutMs = 60_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const found = (await ledger.read()).callbacks.find((c) => c.nonce === nonce);
    if (found) return found;
    if (Date.now() > until) throw new Error(`no callback for ${nonce}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('a two-round task is issued, called back, and checked: every check passes', async () => {
  const template = await loadTaskTemplate(
    path.join(__dirname, '..', '..', 'examples', 'tasks', 'csv-dashboard.yaml'),
  );
  const seed = newSeed();
  const options = { seed, email: 'student@example.com', secret, evaluationUrl: `${receiver.url}/callback` };

  const first = buildRequest(template, 1, options);
  expect(first.task).toBe(`csv-dashboard-${seed}`);
  expect((await sendRound(`${stack.api}/api/tasks`, first, ledger)).status).toBe(200);
  await callbackFor(first.nonce);
  const second = buildRequest(template, 2, options);
  expect(second.task).toBe(first.task);
  expect(second.nonce).not.toBe(first.nonce);
  expect((await sendRound(`${stack.api}/api/tasks`, second, ledger)).status).toBe(200);
  const cb2 = await callbackFor(second.nonce);
  expect(cb2.round).toBe(2);

  const out = path.join(dataDir, 'results');
  const reports = await checkAll(evaluatorDir, out, {
    chromiumPath: stack.config.selfCheck.chromiumPath,
    checkTimeoutMs: 5_000,
    serveLocally: serveCdnFromNodeModules,
  });
  expect(reports.map((r) => r.round)).toEqual([1, 2]);
  const failures = reports.flatMap((r) => r.items.filter((i) => i.outcome === 'fail'));
  expect(failures).toEqual([]);
  const names = reports[1]!.items.map((i) => i.name);
  for (const name of [
    'MIT LICENSE at the root',
    'README sections',
    'no secrets in history',
    'pages_url answers 200',
  ])
    expect(names).toContain(name);
  // Round 2 re-runs round 1's checks.
  expect(names).toContain('document.title === "Orders Overview"');
  expect(names).toContain('document.querySelector("#region-picker").tagName === "SELECT"');
  expect(reports[0]!.items.find((i) => i.name === 'README.md is professional')?.outcome).toBe('skipped');

  expect(JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8'))).toHaveLength(2);
  const junit = readFileSync(path.join(out, 'junit.xml'), 'utf8');
  expect(junit).toMatch(/^<\?xml/);
  expect(junit.match(/<testsuite /g)).toHaveLength(2);
  expect(junit).not.toContain('<failure');
  expect(table(reports)).toMatch(/\d+ passed, 0 failed$/);
}, 180_000);

test('the receiver refuses callbacks that do not match an issued round, and stores a re-sent one once', async () => {
  await ledger.recordIssued({
    email: 'a@example.com',
    task: 'issued-task',
    round: 1,
    nonce: 'issued-nonce',
    checks: [],
    endpoint: 'http://service.test',
    issuedAt: new Date().toISOString(),
  });
  const body = {
    email: 'a@example.com',
    task: 'issued-task',
    round: 1,
    nonce: 'issued-nonce',
    repo_url: 'http://git.test/r',
    commit_sha: 'a'.repeat(40),
    pages_url: 'http://pages.test/r/',
  };
  const post = (b: unknown) =>
    fetch(`${receiver.url}/callback`, { method: 'POST', body: JSON.stringify(b) }).then(async (r) => ({
      status: r.status,
      json: (await r.json()) as { status: string; error?: string },
    }));
  expect(await post({ ...body, task: 'other-task' })).toEqual({
    status: 400,
    json: { status: 'error', error: 'no task other-task was issued' },
  });
  expect((await post({ ...body, email: 'b@example.com' })).json.error).toBe(
    'task issued-task was not issued to b@example.com',
  );
  expect((await post({ ...body, nonce: 'made-up' })).json.error).toBe(
    'nonce made-up does not belong to task issued-task',
  );
  expect((await post({ ...body, round: 2 })).json.error).toBe(
    'nonce issued-nonce was issued for another round than 2',
  );
  expect((await post({ ...body, commit_sha: 'main' })).json.error).toMatch(
    /^commit_sha must be a 40-hex-digit commit/,
  );
  expect(await post(body)).toEqual({ status: 200, json: { status: 'accepted' } });
  expect(await post(body)).toEqual({ status: 200, json: { status: 'duplicate' } });
  expect((await ledger.read()).callbacks.filter((c) => c.nonce === 'issued-nonce')).toHaveLength(1);
});

test('npm run demo sends an example task, follows its events and prints where the app is', async () => {
  const demo = startEntryPoint('demo.ts', { DEMO_API_URL: stack.api, DEMO_SECRET: secret });
  const code = await demo.exited;
  const output = demo.output();
  expect(output).toMatch(
    /Accepted\. Status: http:\/\/127\.0\.0\.1:\d+\/api\/tasks\/csv-dashboard-[0-9a-f]{6}/,
  );
  expect(output).toContain('100%');
  expect(output).toMatch(/State: +done/);
  expect(output).toMatch(/Pages: +http:\/\/127\.0\.0\.1:\d+\/pages\/local\/csv-dashboard-/);
  expect(output).toMatch(/Checks \(attempt 0, 0 repair\(s\)\): 5\/5 passing/);
  expect(output).toContain("Callback received by the demo's evaluator: yes");
  expect(code).toBe(0);
}, 120_000);
