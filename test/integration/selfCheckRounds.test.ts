import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import { appAnswer } from '../fakes/llmServer';
import { startScriptedWorld, type ScriptedWorld } from '../helpers/scriptedWorld';
import { startStack, type Stack } from '../helpers/stack';
import { startTemporal } from '../helpers/temporal';

/**
 * The self-check and repair loop's edges through the real workflow: the best attempt wins even
 * when a repair makes things worse, MAX_REPAIRS and the deadline stop repairs, SELF_CHECK=false
 * skips the browser, a token in an answer is never committed, and a missing README is written.
 */
let env: TestWorkflowEnvironment;
let bundle: WorkflowBundle;
let world: ScriptedWorld;
let oneRepair: Stack;
let twoRepairs: Stack;
let shortDeadline: Stack;
let noSelfCheck: Stack;
let dataDir: string;

const secret = 'self-check-secret';
const checks = ['!!document.querySelector("#a")', '!!document.querySelector("#b")'];
const page = (ids: string[]) =>
  appAnswer({
    'index.html': `<!doctype html><title>t</title>${ids.map((id) => `<p id="${id}">${id}</p>`).join('')}\n`,
    'README.md': '# App\n',
  });

beforeAll(async () => {
  env = await startTemporal();
  bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../src/workflows') });
  world = await startScriptedWorld();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'llm-deploy-selfcheck-'));
  const common = {
    DATA_DIR: dataDir,
    API_SECRETS: secret,
    OPENAI_BASE_URL: `${world.llm.url}/v1`,
    LLM_MODELS: 'fake-model',
    CHECK_TIMEOUT_SECONDS: '1',
    IDLE_TIMEOUT: '60s',
  };
  oneRepair = await startStack(env, bundle, { ...common, TEMPORAL_TASK_QUEUE: 'sc-one', MAX_REPAIRS: '1' });
  twoRepairs = await startStack(env, bundle, { ...common, TEMPORAL_TASK_QUEUE: 'sc-two' });
  shortDeadline = await startStack(env, bundle, {
    ...common,
    TEMPORAL_TASK_QUEUE: 'sc-deadline',
    ROUND_DEADLINE_SECONDS: '12',
  });
  noSelfCheck = await startStack(env, bundle, {
    ...common,
    TEMPORAL_TASK_QUEUE: 'sc-off',
    SELF_CHECK: 'false',
  });
}, 120_000);

afterAll(async () => {
  for (const s of [oneRepair, twoRepairs, shortDeadline, noSelfCheck]) await s?.close();
  await env?.teardown();
  await world?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const request = (task: string, overrides: Record<string, unknown> = {}) =>
  world.request(task, secret, { checks, ...overrides });

function git(task: string, ...args: string[]): string {
  const gitDir = path.join(dataDir, 'forge', 'local', `${task}.git`);
  return execFileSync('git', ['--git-dir', gitDir, ...args], { encoding: 'utf8' });
}

test('a repair that passes fewer checks is undone: the better attempt is republished and reported', async () => {
  const task = 'worse-repair-task';
  world.modelScripts.set(task, (n) => (n === 1 ? page(['a']) : page([])));
  await oneRepair.post(request(task));
  const round = await oneRepair.finishedRound(task, 1, 60_000);
  expect(round.state).toBe('done');
  expect(round.check_attempts!.map((a) => a.passed)).toEqual([1, 0]);
  expect(round.best_attempt).toBe(0);
  expect(round.repairs_stopped).toBe('MAX_REPAIRS (1) reached');
  const subjects = git(task, 'log', '--format=%s', 'main').trim().split('\n');
  expect(subjects[0]).toBe('Round 1: restore attempt 0, which passed the most checks');
  const [callback] = world.callbacksFor(task);
  expect(callback!.body.commit_sha).toBe(round.commit_sha);
  expect(git(task, 'rev-parse', 'main').trim()).toBe(round.commit_sha);
  expect(await (await fetch(round.pages_url!)).text()).toContain('<p id="a">a</p>');
});

test('repairs stop at MAX_REPAIRS, and every attempt’s results stay in the status', async () => {
  const task = 'never-right-task';
  world.modelScripts.set(task, () => page(['a']));
  await twoRepairs.post(request(task));
  const round = await twoRepairs.finishedRound(task, 1, 60_000);
  expect(round.state).toBe('done');
  expect(round.repairs).toBe(2);
  expect(round.repairs_stopped).toBe('MAX_REPAIRS (2) reached');
  expect(round.check_attempts!.map((a) => a.attempt)).toEqual([0, 1, 2]);
  for (const a of round.check_attempts!) {
    expect(a.checks.map((c) => c.outcome)).toEqual(['pass', 'fail']);
    expect(a.checks[1]!.detail).toBe('evaluated to false');
  }
  // The repair prompt carried the failing check and its result.
  const repairPrompt = JSON.stringify(world.llmRequestsFor(task)[1]!.messages);
  expect(repairPrompt).toContain('failed its self-check');
  expect(repairPrompt).toContain('Result: fail (evaluated to false)');
  // Equal scores: the newest attempt is kept, so nothing is republished.
  expect(round.best_attempt).toBe(2);
  expect(git(task, 'log', '--format=%s', 'main')).not.toContain('restore');
  expect(world.callbacksFor(task)).toHaveLength(1);
});

test('no repair starts when the deadline leaves no room for one as long as the first cycle', async () => {
  const task = 'slow-model-task';
  world.modelScripts.set(task, () => ({ ...page(['a']), delayMs: 4_000 }));
  await shortDeadline.post(request(task));
  const round = await shortDeadline.finishedRound(task, 1, 60_000);
  expect(round.state).toBe('done');
  expect(round.repairs).toBe(0);
  expect(round.repairs_stopped).toMatch(/^not enough time before the deadline for another repair/);
  expect(world.llmRequestsFor(task)).toHaveLength(1);
  expect(world.callbacksFor(task)).toHaveLength(1);
});

test('with SELF_CHECK=false the round calls back without loading the page', async () => {
  const task = 'unchecked-task';
  world.modelScripts.set(task, () => page([]));
  await noSelfCheck.post(request(task));
  const round = await noSelfCheck.finishedRound(task, 1, 60_000);
  expect(round.state).toBe('done');
  expect(round.check_attempts).toBeUndefined();
  expect(round.steps.map((s) => s.step)).not.toContain('selfCheck');
});

test('an answer containing a token-like string is never committed', async () => {
  const token = `ghp_${'x1Y2'.repeat(9)}`;
  const task = 'leaky-answer-task';
  world.modelScripts.set(task, () =>
    appAnswer({ 'index.html': `<script>const token = "${token}";</script>`, 'README.md': '# App\n' }),
  );
  await oneRepair.post(request(task, { checks: [] }));
  const round = await oneRepair.finishedRound(task, 1, 60_000);
  expect(round.state).toBe('failed');
  expect(round.last_error).toMatch(/looks like a GitHub token; never include credentials/);
  expect(round.last_error).not.toContain(token);
  expect(git(task, 'log', '-p', '--all')).not.toContain(token);
  expect(world.callbacksFor(task)).toHaveLength(0);
}, 60_000);

test('an answer without README.md still publishes a README with the expected sections', async () => {
  const task = 'no-readme-task';
  world.modelScripts.set(task, () =>
    appAnswer({ 'index.html': '<!doctype html><title>t</title><p id="a"></p><p id="b"></p>' }),
  );
  await oneRepair.post(request(task, { brief: 'Show two paragraphs, a and b.' }));
  const round = await oneRepair.finishedRound(task, 1, 60_000);
  expect(round.state).toBe('done');
  const readme = git(task, 'show', 'main:README.md');
  expect(readme).toContain('Show two paragraphs, a and b.');
  for (const section of ['## Summary', '## Setup', '## Usage', '## How the code works', '## License'])
    expect(readme).toContain(section);
});
