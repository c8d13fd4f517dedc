import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import { taskIdentity } from '../../src/shared';
import { appAnswer } from '../fakes/llmServer';
import { startScriptedWorld, type ScriptedWorld } from '../helpers/scriptedWorld';
import { startStack, type Stack } from '../helpers/stack';
import { recordHistory, startTemporal } from '../helpers/temporal';

/**
 * Rounds as evaluators send them: re-sent, overlapping, late, large, from several students, to an
 * evaluator that is down. Real Temporal, real worker, real activities, local model and evaluator.
 */
let env: TestWorkflowEnvironment;
let bundle: WorkflowBundle;
let world: ScriptedWorld;
let stack: Stack;
let deadlineStack: Stack;
let tenantStack: Stack;
let dataDir: string;

const secret = 'durable-rounds-secret-93c1';
const apiKey = 'sk-durable-rounds-key-0123456789';
const githubToken = 'ghp_durableRoundsTokenNeverInHistory0123';
const request = (task: string, overrides: Record<string, unknown> = {}) =>
  world.request(task, secret, overrides);

function gitDirOf(task: string): string {
  return path.join(dataDir, 'forge', 'local', `${task}.git`);
}

function git(gitDir: string, ...args: string[]): string {
  return execFileSync('git', ['--git-dir', gitDir, ...args], { encoding: 'utf8' }).trim();
}

/** The `count`-th accepted callback for `task`, waiting up to `timeoutMs` for it. */
async function callbackFor(task: string, timeoutMs: number, count = 1) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const accepted = world.callbacksFor(task).filter((c) => c.answeredWith === 200);
    if (accepted.length >= count) return accepted[count - 1]!;
    if (Date.now() > until)
      throw new Error(`no accepted callback #${count} for ${task} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function history(workflowId: string) {
  return env.client.workflow.getHandle(workflowId).fetchHistory();
}

beforeAll(async () => {
  env = await startTemporal();
  bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../src/workflows') });
  world = await startScriptedWorld();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'llm-deploy-durable-'));
  const common = {
    DATA_DIR: dataDir,
    API_SECRETS: secret,
    IDLE_TIMEOUT: '60s',
    OPENAI_BASE_URL: `${world.llm.url}/v1`,
    OPENAI_API_KEY: apiKey,
    GITHUB_TOKEN: githubToken,
    FORGE: 'local',
    LLM_MODELS: 'fake-model',
  };
  stack = await startStack(env, bundle, {
    ...common,
    TEMPORAL_TASK_QUEUE: 'durable',
    ROUND_DEADLINE_SECONDS: '120',
  });
  deadlineStack = await startStack(env, bundle, {
    ...common,
    TEMPORAL_TASK_QUEUE: 'durable-deadline',
    ROUND_DEADLINE_SECONDS: '4',
  });
  tenantStack = await startStack(env, bundle, {
    ...common,
    TEMPORAL_TASK_QUEUE: 'durable-tenants',
    MULTI_TENANT: 'true',
  });
}, 120_000);

afterAll(async () => {
  if (process.env.RECORD_HISTORIES) {
    for (const task of ['overlapping-rounds', 'slow-model']) await recordHistory(env, `task-${task}`, task);
  }
  await Promise.all([stack?.close(), deadlineStack?.close(), tenantStack?.close()]);
  await env?.teardown();
  await world?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test('a request re-sent after its round finished is answered "duplicate" and not built again', async () => {
  const task = 'resent-later';
  expect((await stack.post(request(task))).json.status).toBe('accepted');
  await stack.finishedRound(task, 1);
  const again = await stack.post(request(task));
  expect(again.status).toBe(200);
  expect(again.json).toMatchObject({
    status: 'duplicate',
    task,
    round: 1,
    state: 'done',
    workflowId: `task-${task}`,
  });
  await new Promise((r) => setTimeout(r, 500));
  expect(world.callbacksFor(task)).toHaveLength(1);
  expect(world.llmRequestsFor(task)).toHaveLength(1);
});

test('round 2 sent while round 1 runs waits its turn and revises round 1’s commit', async () => {
  const task = 'overlapping-rounds';
  world.modelScripts.set(task, (n) =>
    n === 1
      ? { ...appAnswer({ 'index.html': '<p id="r1">round one app</p>\n' }), delayMs: 1500 }
      : appAnswer({
          'index.html': '<p id="r1">round one app</p><p id="r2">round two</p>\n',
          'README.md': '# v2\n',
        }),
  );
  await stack.post(request(task));
  await stack.post(request(task, { round: 2, nonce: `${task}-nonce-2`, brief: 'Add #r2' }));
  const r2 = await stack.finishedRound(task, 2);
  const r1 = await stack.finishedRound(task, 1);
  expect([r1.state, r2.state]).toEqual(['done', 'done']);
  expect(world.callbacksFor(task).map((c) => c.body.round)).toEqual([1, 2]);
  expect(Date.parse(r2.steps[0]!.started_at!)).toBeGreaterThanOrEqual(Date.parse(r1.finished_at!));
  expect(git(gitDirOf(task), 'rev-parse', `${r2.commit_sha}^`)).toBe(r1.commit_sha);
  // Round 2 was generated from the repo as round 1 left it.
  const revisionPrompt = JSON.stringify(world.llmRequestsFor(task)[1]!.messages);
  expect(revisionPrompt).toContain('round one app');
  expect(revisionPrompt).toContain('Changes in round 2');
});

test('the deadline cuts a slow model short, and the evaluator hears back in time with the repo as it is', async () => {
  const task = 'slow-model';
  world.modelScripts.set(task, () => ({ ...appAnswer({ 'index.html': 'late' }), delayMs: 20_000 }));
  const sentAt = Date.now();
  await deadlineStack.post(request(task));
  const callback = await callbackFor(task, 10_000);
  expect(callback!.body.task).toBe(task);
  expect(callback!.receivedAt - sentAt).toBeLessThan(4_000);
  const round = await deadlineStack.finishedRound(task, 1);
  expect(round).toMatchObject({
    state: 'done',
    cut_short: 'generate',
    commit_sha: callback!.body.commit_sha,
  });
  expect(round.last_error).toMatch(/deadline came during generate/);
  expect(git(gitDirOf(task), 'log', '-1', '--format=%s', String(callback!.body.commit_sha))).toBe(
    `Create ${task}`,
  );
});

test('GET /api/tasks lists tasks through Temporal visibility, filtered by state and email', async () => {
  const task = 'listed-task';
  await stack.post(request(task, { email: 'lister@example.com' }));
  await stack.finishedRound(task, 1);
  let listed: { tasks: { task: string; state: string; email: string }[] } = { tasks: [] };
  for (let i = 0; i < 50 && !listed.tasks.some((t) => t.task === task && t.state === 'done'); i++) {
    await new Promise((r) => setTimeout(r, 100));
    listed = (await (
      await fetch(`${stack.api}/api/tasks?state=done&email=lister%40example.com`)
    ).json()) as typeof listed;
  }
  expect(listed.tasks).toEqual([
    expect.objectContaining({ task, state: 'done', email: 'lister@example.com', round: 1 }),
  ]);
  expect((await fetch(`${stack.api}/api/tasks?state=sleeping`)).status).toBe(400);
  expect((await fetch(`${stack.api}/api/tasks?limit=0`)).status).toBe(400);
});

test('MULTI_TENANT keeps two students’ tasks with the same id apart', async () => {
  const task = 'shared-task-id';
  const emails = ['ann@example.com', 'bob@example.com'];
  const answers = await Promise.all(
    emails.map((email) => tenantStack.post(request(task, { email, nonce: email }))),
  );
  expect(answers.map((a) => a.json.workflowId)).toEqual(
    emails.map((e) => taskIdentity(task, e, true).workflowId),
  );
  expect(new Set(answers.map((a) => a.json.workflowId)).size).toBe(2);
  for (const email of emails) {
    const res = await fetch(`${tenantStack.api}/api/tasks/${task}?email=${encodeURIComponent(email)}`);
    expect(res.status).toBe(200);
  }
  expect((await fetch(`${tenantStack.api}/api/tasks/${task}`)).status).toBe(400);
  await callbackFor(task, 20_000, 2);
  const repos = world.callbacksFor(task).map((c) => c.body.repo_url);
  expect(new Set(repos).size).toBe(2);
});

test('a 5 MB attachment goes through a round with no history payload over 256 KB, and no secret in history', async () => {
  const task = 'big-attachment';
  const bytes = randomBytes(5 * 1024 * 1024);
  const answer = await stack.post(
    request(task, {
      attachments: [
        { name: 'big.bin', url: `data:application/octet-stream;base64,${bytes.toString('base64')}` },
      ],
    }),
  );
  expect(answer.status).toBe(200);
  const round = await stack.finishedRound(task, 1, 60_000);
  expect(round.state).toBe('done');
  expect(git(gitDirOf(task), 'cat-file', '-s', `${round.commit_sha}:big.bin`)).toBe(String(bytes.length));

  const events = (await history(`task-${task}`)).events ?? [];
  const sizes = events.map((e) => temporal.api.history.v1.HistoryEvent.encode(e).finish().byteLength);
  expect(Math.max(...sizes)).toBeLessThan(256 * 1024);
  const everything = Buffer.concat(
    events.map((e) => Buffer.from(temporal.api.history.v1.HistoryEvent.encode(e).finish())),
  );
  for (const value of [secret, apiKey, githubToken]) expect(everything.includes(value)).toBe(false);
});

test('an evaluator that answers 503 for its first 20 s still gets the callback, with growing gaps', async () => {
  const task = 'evaluator-down';
  let firstAt: number | undefined;
  world.evaluatorScripts.set(task, () => {
    firstAt ??= Date.now();
    return Date.now() - firstAt < 20_000 ? 503 : 200;
  });
  await stack.post(request(task));
  // While the evaluator is down, the status says what is being retried, and why.
  while (world.callbacksFor(task).length < 3) await new Promise((r) => setTimeout(r, 50));
  const during = (await (await fetch(`${stack.api}/api/tasks/${task}`)).json()) as {
    rounds: Record<string, unknown>[];
  };
  expect(during.rounds[0]).toMatchObject({
    state: 'notifying',
    step: 'notify',
    last_error: expect.stringMatching(/HTTP 503/),
  });
  expect(during.rounds[0]!.attempt).toBeGreaterThanOrEqual(3);
  const round = await stack.finishedRound(task, 1, 60_000);
  expect(round.state).toBe('done');
  expect(round.last_error).toBeUndefined();
  const times = world.callbacksFor(task).map((c) => c.receivedAt);
  expect(world.callbacksFor(task).at(-1)!.answeredWith).toBe(200);
  expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(20_000);
  const gaps = times.slice(1).map((t, i) => t - times[i]!);
  expect(gaps[0]).toBeGreaterThanOrEqual(800);
  expect(gaps[0]).toBeLessThan(2_500);
  for (let i = 1; i < gaps.length; i++) expect(gaps[i]!).toBeGreaterThan(gaps[i - 1]! * 1.5);
}, 60_000);
