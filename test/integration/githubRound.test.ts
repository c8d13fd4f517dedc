import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode } from '@temporalio/worker';
import { startFakeGitHub, type FakeGitHub } from '../fakes/githubServer';
import { startScriptedWorld, type ScriptedWorld } from '../helpers/scriptedWorld';
import { startStack, type Stack } from '../helpers/stack';
import { startTemporal } from '../helpers/temporal';

/** Rounds published with FORGE=github against the local GitHub server, through the real workflow. */
let env: TestWorkflowEnvironment;
let world: ScriptedWorld;
let gh: FakeGitHub;
let stack: Stack;
let dataDir: string;
const secret = 'github-round-secret';

beforeAll(async () => {
  env = await startTemporal();
  world = await startScriptedWorld();
  gh = await startFakeGitHub();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'llm-deploy-gh-'));
  stack = await startStack(
    env,
    await bundleWorkflowCode({ workflowsPath: require.resolve('../../src/workflows') }),
    {
      DATA_DIR: dataDir,
      API_SECRETS: secret,
      TEMPORAL_TASK_QUEUE: 'github-round',
      GITHUB_TOKEN: gh.token,
      GITHUB_API_URL: gh.url,
      OPENAI_BASE_URL: `${world.llm.url}/v1`,
      LLM_MODELS: 'fake-model',
    },
  );
}, 120_000);

afterAll(async () => {
  await stack?.close();
  await env?.teardown();
  await Promise.all([world?.close(), gh?.close()]);
  rmSync(dataDir, { recursive: true, force: true });
});

test('rounds 1 and 2 on GitHub: one commit each, Pages live for the reported commit, LICENSE by code', async () => {
  const task = 'gh-round-task';
  world.modelScripts.set(task, (n) => ({
    content: JSON.stringify({
      files: [
        { path: 'index.html', content: `<p>round ${n}</p>` },
        { path: 'README.md', content: `# v${n}\n` },
      ],
    }),
  }));
  await stack.post(
    world.request(task, secret, {
      attachments: [{ name: 'data.csv', url: 'data:text/csv;base64,YSxiCjEsMgo=' }],
    }),
  );
  const r1 = await stack.finishedRound(task, 1);
  expect(r1.state).toBe('done');
  await stack.post(world.request(task, secret, { round: 2, nonce: `${task}-2` }));
  const r2 = await stack.finishedRound(task, 2);
  expect(r2.state).toBe('done');

  const [c1, c2] = world.callbacksFor(task).map((c) => c.body);
  expect(c1).toMatchObject({
    repo_url: `${gh.url}/${gh.login}/${task}`,
    pages_url: `${gh.url}/pages-site/${gh.login}/${task}/`,
  });
  expect(c2!.repo_url).toBe(c1!.repo_url);
  expect(gh.repos.get(`${gh.login}/${task}`)!.refs.get('heads/main')).toBe(c2!.commit_sha);
  expect(gh.parentOf(String(c2!.commit_sha))).toBe(c1!.commit_sha);
  expect(gh.commitMessages(gh.login, task).map((m) => m.split('\n')[0])).toEqual([
    'Round 2: publish the generated app',
    'Round 1: publish the generated app',
    'Initial commit',
  ]);
  expect(await fetch(String(c2!.pages_url)).then((r) => r.text())).toBe('<p>round 2</p>');
  expect(await fetch(`${c2!.pages_url}data.csv`).then((r) => r.text())).toBe('a,b\n1,2\n');
  expect(await fetch(`${c2!.pages_url}LICENSE`).then((r) => r.text())).toMatch(
    new RegExp(`^MIT License\\n\\nCopyright \\(c\\) \\d{4} ${gh.login}\\n`),
  );
  // The revision was generated from the files on GitHub.
  expect(JSON.stringify(world.llmRequestsFor(task)[1]!.messages)).toContain('<p>round 1</p>');
});

test('5xx and rate limits from GitHub are ridden out, waiting as long as GitHub asks', async () => {
  const task = 'gh-faulty-task';
  gh.inject('GET /repos/{owner}/{repo}', {
    status: 403,
    message: 'You have exceeded a secondary rate limit',
    headers: { 'retry-after': '3' },
  });
  gh.inject('POST /repos/{owner}/{repo}/git/trees', { status: 502, message: 'Bad Gateway' });
  gh.inject('GET /repos/{owner}/{repo}/pages/builds/latest', {
    status: 500,
    message: 'Server Error',
    times: 2,
  });
  const sentAt = Date.now();
  await stack.post(world.request(task, secret));
  const round = await stack.finishedRound(task, 1, 60_000);
  expect(round.state).toBe('done');
  const ensureRepoStep = round.steps.find((s) => s.step === 'ensureRepo')!;
  expect(ensureRepoStep.duration_ms).toBeGreaterThanOrEqual(2_900);
  expect(Date.now() - sentAt).toBeLessThan(30_000);
  expect(world.callbacksFor(task)).toHaveLength(1);
  expect(gh.commitMessages(gh.login, task)).toHaveLength(2);
});

test('a Pages build that fails still calls back with the published commit, saying why', async () => {
  const task = 'gh-broken-build-task';
  await stack.post(world.request(task, secret));
  expect((await stack.finishedRound(task, 1)).state).toBe('done');
  gh.failNextBuild('The tag `{% foo %}` is not a recognized Liquid tag.');
  await stack.post(world.request(task, secret, { round: 2, nonce: `${task}-2` }));
  const r2 = await stack.finishedRound(task, 2);
  expect(r2).toMatchObject({
    state: 'done',
    cut_short: 'waitForPages',
    last_error: expect.stringMatching(/Pages did not serve .*Liquid tag.*called back with it anyway/),
  });
  const callbacks = world.callbacksFor(task).map((c) => c.body);
  expect(callbacks.map((c) => c.round)).toEqual([1, 2]);
  // The round's own commit, not round 1's: the evaluator grades what was published.
  expect(callbacks[1]!.commit_sha).toBe(gh.repos.get(`${gh.login}/${task}`)!.refs.get('heads/main'));
  expect(callbacks[1]!.commit_sha).not.toBe(callbacks[0]!.commit_sha);
});

// 40 s: the SDK holds back heartbeats for up to 80% of the 20 s heartbeat timeout, so a quiet
// publish is only timed out after about 36 s.
test('a 40 s GitHub call does not restart the publish (its heartbeat timeout is 20 s)', async () => {
  const task = 'gh-slow-publish-task';
  const trees = () => gh.calls.get('POST /repos/{owner}/{repo}/git/trees') ?? 0;
  gh.inject('POST /repos/{owner}/{repo}/git/trees', { delayMs: 40_000 });
  const treesBefore = trees();
  await stack.post(world.request(task, secret));
  const round = await stack.finishedRound(task, 1, 60_000);
  expect(round.state).toBe('done');
  expect(round.steps.find((s) => s.step === 'publish')!.duration_ms).toBeGreaterThanOrEqual(40_000);
  // One attempt: a restarted publish would have asked for the tree again.
  expect(trees() - treesBefore).toBe(1);
  expect(world.callbacksFor(task)).toHaveLength(1);
}, 90_000);

test('a workflow cancelled while it waits for Pages stops there, without a callback', async () => {
  const task = 'gh-cancelled-task';
  gh.timing.buildMs = 30_000;
  try {
    await stack.post(world.request(task, secret));
    const handle = env.client.workflow.getHandle(`task-${task}`);
    for (let waited = 0; ; waited += 100) {
      const status = await (await fetch(`${stack.api}/api/tasks/${task}`)).json();
      if ((status as { rounds: { state: string }[] }).rounds[0]?.state === 'waiting_for_pages') break;
      if (waited > 20_000) throw new Error('the round never reached waiting_for_pages');
      await new Promise((r) => setTimeout(r, 100));
    }
    await handle.cancel();
    await expect(handle.result()).rejects.toThrow(/cancel/i);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(world.callbacksFor(task)).toEqual([]);
    // The round failed with the cancellation; it was not reported as a Pages failure.
    const round = await stack.finishedRound(task, 1);
    expect(round.state).toBe('failed');
    expect(round.cut_short).toBeUndefined();
    expect(round.last_error).toMatch(/cancel/i);
  } finally {
    gh.timing.buildMs = 50;
  }
});
