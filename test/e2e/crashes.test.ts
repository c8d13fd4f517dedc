import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startDevServer, type DevServer } from '../../src/temporal/devServer';
import { startScriptedWorld, type ScriptedWorld } from '../helpers/scriptedWorld';
import {
  apiAnswering,
  freePort,
  startEntryPoint,
  waitFor,
  workerPolling,
  type ServiceProcess,
} from '../helpers/processes';
import { devServerOptions } from '../helpers/temporal';

/**
 * What production does to us: workers SIGKILLed mid-round, Temporal restarted mid-round. The API
 * and the workers are real child processes; Temporal is the CLI dev server with SQLite in DATA_DIR.
 */
let world: ScriptedWorld;
let temporal: DevServer;
let dataDir: string;
let temporalPort: number;
let apiUrl: string;
let env: Record<string, string>;
let api: ServiceProcess | undefined;
const workers: ServiceProcess[] = [];
const secret = 'crash-test-secret';

async function startApi(): Promise<ServiceProcess> {
  const p = startEntryPoint('server.ts', env);
  await apiAnswering(apiUrl);
  return p;
}

async function startWorker(): Promise<ServiceProcess> {
  const p = startEntryPoint('worker.ts', env);
  workers.push(p);
  await workerPolling(p, 'a worker');
  return p;
}

async function post(task: string): Promise<number> {
  const res = await fetch(`${apiUrl}/api/tasks`, {
    method: 'POST',
    body: JSON.stringify(world.request(task, secret)),
  });
  return res.status;
}

function mainOf(task: string): string | undefined {
  try {
    return readFileSync(
      path.join(dataDir, 'forge', 'local', `${task}.git`, 'refs', 'heads', 'main'),
      'utf8',
    ).trim();
  } catch {
    return undefined;
  }
}

async function pendingActivities(workflowId: string): Promise<string[]> {
  const connection = await Connection.connect({ address: `127.0.0.1:${temporalPort}` });
  try {
    const d = await new Client({ connection }).workflow.getHandle(workflowId).describe();
    return (d.raw.pendingActivities ?? []).map((a) => a.activityType?.name ?? '');
  } finally {
    await connection.close();
  }
}

async function acceptedCallbacks(task: string, atLeast: number, timeoutMs: number) {
  return waitFor(
    async () => {
      const accepted = world.callbacksFor(task).filter((c) => c.answeredWith === 200);
      return accepted.length >= atLeast ? accepted : undefined;
    },
    timeoutMs,
    `${atLeast} accepted callback(s) for ${task}`,
  );
}

beforeAll(async () => {
  world = await startScriptedWorld();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'llm-deploy-crash-'));
  temporalPort = await freePort();
  temporal = await startDevServer(devServerOptions(dataDir, temporalPort));
  const port = await freePort();
  apiUrl = `http://127.0.0.1:${port}`;
  env = {
    PORT: String(port),
    PUBLIC_BASE_URL: apiUrl,
    DATA_DIR: dataDir,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: 'crash-test',
    API_SECRETS: secret,
    OPENAI_BASE_URL: `${world.llm.url}/v1`,
    LLM_MODELS: 'fake-model',
  };
  api = await startApi();
}, 90_000);

afterAll(async () => {
  await Promise.all([api?.stop(), ...workers.map((w) => w.stop())]);
  await temporal?.stop();
  await world?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test('a worker SIGKILLed during publish and again while waiting for Pages: one repo, one commit, one callback', async () => {
  const task = 'killed-worker';
  world.modelScripts.set(task, () => ({
    content: JSON.stringify({ files: [{ path: 'index.html', content: '<p>survivor</p>' }] }),
    delayMs: 1000,
  }));
  const first = await startWorker();
  expect(await post(task)).toBe(200);
  // With the API (which serves Pages) gone, no worker can get past waiting for Pages.
  await waitFor(
    async () => (world.llmRequestsFor(task).length > 0 ? true : undefined),
    30_000,
    'generation to start',
  );
  const initial = mainOf(task);
  await api!.stop();
  api = undefined;

  // The moment the round's commit lands on main, the worker dies: commit made, activity not reported.
  while (mainOf(task) === initial) await new Promise((r) => setTimeout(r, 20));
  first.child.kill('SIGKILL');
  const roundCommit = mainOf(task)!;

  const second = await startWorker();
  await waitFor(
    async () => ((await pendingActivities(`task-${task}`)).includes('waitForPages') ? true : undefined),
    60_000,
    'waitForPages to be running',
  );
  second.child.kill('SIGKILL');

  api = await startApi();
  await startWorker();
  const [callback] = await acceptedCallbacks(task, 1, 60_000);
  expect(callback!.body.commit_sha).toBe(roundCommit);
  await new Promise((r) => setTimeout(r, 2000));
  expect(world.callbacksFor(task).filter((c) => c.answeredWith === 200)).toHaveLength(1);

  const gitDir = path.join(dataDir, 'forge', 'local', `${task}.git`);
  const messages = execFileSync('git', ['--git-dir', gitDir, 'log', '--format=%B%x00', 'main'], {
    encoding: 'utf8',
  })
    .split('\0')
    .map((m) => m.trim())
    .filter(Boolean);
  expect(messages).toHaveLength(2);
  expect(messages.filter((m) => m.includes(`Nonce: ${task}-nonce-1`))).toHaveLength(1);
  expect(readdirSync(path.join(dataDir, 'forge', 'local')).filter((d) => d.startsWith(task))).toEqual([
    `${task}.git`,
  ]);
}, 150_000);

test('Temporal restarted mid-round (same database): the round completes', async () => {
  const task = 'temporal-restart';
  world.modelScripts.set(task, () => ({
    content: JSON.stringify({ files: [{ path: 'index.html', content: '<p>restarted</p>' }] }),
    delayMs: 3000,
  }));
  api ??= await startApi();
  if (workers.every((w) => w.child.exitCode !== null || w.child.signalCode !== null)) await startWorker();
  expect(await post(task)).toBe(200);
  await waitFor(
    async () => (world.llmRequestsFor(task).length > 0 ? true : undefined),
    30_000,
    'generation to start',
  );

  await temporal.stop();
  await new Promise((r) => setTimeout(r, 1000));
  temporal = await startDevServer(devServerOptions(dataDir, temporalPort));

  const [callback] = await acceptedCallbacks(task, 1, 90_000);
  expect(callback!.body).toMatchObject({ task, round: 1 });
  expect(await fetch(String(callback!.body.pages_url)).then((r) => r.text())).toBe('<p>restarted</p>');
}, 150_000);
