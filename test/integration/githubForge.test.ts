import { GitHubForge } from '../../src/forge/githubForge';
import { startFakeGitHub, type FakeGitHub } from '../fakes/githubServer';

let gh: FakeGitHub;
let forge: GitHubForge;
const file = (path: string, text: string) => ({ path, content: Buffer.from(text) });

beforeAll(async () => {
  gh = await startFakeGitHub();
  forge = new GitHubForge({ token: gh.token, apiUrl: gh.url });
});
afterAll(() => gh.close());

test('ensureRepo creates a public repo for the token’s user once, then reuses it', async () => {
  const repo = await forge.ensureRepo({ name: 'gh-app-1', description: 'An app', mustExist: false });
  expect(repo).toEqual({ owner: gh.login, name: 'gh-app-1', url: `${gh.url}/${gh.login}/gh-app-1` });
  expect(await forge.ensureRepo({ name: 'gh-app-1', description: 'x', mustExist: false })).toEqual(repo);
  expect(gh.calls.get('POST /user/repos')).toBe(1);
  await expect(
    forge.ensureRepo({ name: 'gh-ghost', description: '', mustExist: true }),
  ).rejects.toMatchObject({
    nonRetryable: true,
    message: expect.stringMatching(/send round 1/),
  });
});

test('a failed lookup of the token’s user is asked again, not remembered for the worker’s life', async () => {
  const fresh = new GitHubForge({ token: gh.token, apiUrl: gh.url });
  gh.inject('GET /user', { status: 502, message: 'Bad Gateway' });
  const request = { name: 'gh-user-blip', description: 'd', mustExist: false };
  await expect(fresh.ensureRepo(request)).rejects.toMatchObject({
    nonRetryable: false,
    message: expect.stringMatching(/read the token’s user \(502/),
  });
  await expect(fresh.ensureRepo(request)).resolves.toMatchObject({ owner: gh.login, name: 'gh-user-blip' });
});

test('an organisation owner gets its repos created in the organisation', async () => {
  const org = new GitHubForge({ token: gh.token, apiUrl: gh.url, owner: 'course-org' });
  const repo = await org.ensureRepo({ name: 'org-app', description: 'd', mustExist: false });
  expect(repo.owner).toBe('course-org');
  expect(gh.calls.get('POST /orgs/{org}/repos')).toBe(1);
});

test('publish is one commit (blobs only for binary files), recognised again by its nonce, and readable back', async () => {
  const repo = await forge.ensureRepo({ name: 'gh-publish', description: 'd', mustExist: false });
  const before = gh.calls.get('POST /repos/{owner}/{repo}/git/blobs') ?? 0;
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255]);
  const first = await forge.publish(repo, {
    title: 'Round 1',
    idempotencyKey: 'nonce-1',
    files: [file('index.html', '<p>1</p>'), file('js/app.js', 'x()'), { path: 'logo.png', content: png }],
  });
  expect(first.created).toBe(true);
  expect((gh.calls.get('POST /repos/{owner}/{repo}/git/blobs') ?? 0) - before).toBe(1);
  expect(
    await forge.publish(repo, {
      title: 'Round 1',
      idempotencyKey: 'nonce-1',
      files: [file('index.html', 'x')],
    }),
  ).toEqual({
    commitSha: first.commitSha,
    created: false,
  });
  expect(gh.commitMessages(gh.login, 'gh-publish')).toEqual([
    'Round 1\n\nNonce: nonce-1\n',
    'Initial commit',
  ]);
  const files = new Map((await forge.readFiles(repo)).map((f) => [f.path, f.content]));
  expect(files.get('index.html')!.toString()).toBe('<p>1</p>');
  expect(files.get('logo.png')).toEqual(png);
  expect(files.get('README.md')!.toString()).toBe('# gh-publish\n');
});

test('a concurrent change to main (not a fast-forward) is retried on the new head', async () => {
  const repo = await forge.ensureRepo({ name: 'gh-race', description: 'd', mustExist: false });
  gh.inject('PATCH /repos/{owner}/{repo}/git/refs/heads/{branch}', {
    status: 422,
    message: 'Update is not a fast forward',
  });
  const result = await forge.publish(repo, {
    title: 'r',
    idempotencyKey: 'n',
    files: [file('index.html', 'ok')],
  });
  expect(result.created).toBe(true);
  expect(await forge.headCommit(repo)).toBe(result.commitSha);
});

test('Pages: enabling twice is fine, and the wait ends when the build of that commit is live', async () => {
  gh.timing.buildMs = 300;
  const repo = await forge.ensureRepo({ name: 'gh-pages', description: 'd', mustExist: false });
  const { pagesUrl } = await forge.ensurePages(repo);
  expect(await forge.ensurePages(repo)).toEqual({ pagesUrl });
  const { commitSha } = await forge.publish(repo, {
    title: 'r1',
    idempotencyKey: 'p1',
    files: [file('index.html', '<h1>live</h1>')],
  });
  const polls: string[] = [];
  await expect(
    forge.waitForPages(repo, commitSha, { pollIntervalMs: 50, onPoll: (p) => polls.push(p.state) }),
  ).resolves.toEqual({ pagesUrl });
  expect(polls.at(-1)).toBe('live');
  expect(polls.some((s) => s.startsWith('build building'))).toBe(true);
  expect(await fetch(pagesUrl).then((r) => r.text())).toBe('<h1>live</h1>');
});

test('a failed Pages build is reported with GitHub’s message and not retried', async () => {
  const repo = await forge.ensureRepo({ name: 'gh-broken', description: 'd', mustExist: false });
  await forge.ensurePages(repo);
  gh.failNextBuild('The tag `{% foo %}` is not a recognized Liquid tag.');
  const { commitSha } = await forge.publish(repo, {
    title: 'r1',
    idempotencyKey: 'b1',
    files: [file('index.html', 'x')],
  });
  await expect(forge.waitForPages(repo, commitSha, { pollIntervalMs: 20 })).rejects.toMatchObject({
    nonRetryable: true,
    message: expect.stringMatching(/failed to build .*Liquid tag/),
  });
});

describe('waiting for Pages polls through GitHub’s transient failures', () => {
  const publishedRepo = async (name: string) => {
    const repo = await forge.ensureRepo({ name, description: 'd', mustExist: false });
    await forge.ensurePages(repo);
    const { commitSha } = await forge.publish(repo, {
      title: 'r1',
      idempotencyKey: name,
      files: [file('index.html', name)],
    });
    return { repo, commitSha };
  };

  test('5xx answers to its reads are polled again, not a failed wait', async () => {
    const { repo, commitSha } = await publishedRepo('gh-flaky-pages');
    gh.inject('GET /repos/{owner}/{repo}/pages', { status: 502, message: 'Bad Gateway', times: 2 });
    gh.inject('GET /repos/{owner}/{repo}/pages/builds/latest', {
      status: 503,
      message: 'Unavailable',
      times: 3,
    });
    const polls: string[] = [];
    const { pagesUrl } = await forge.waitForPages(repo, commitSha, {
      pollIntervalMs: 20,
      onPoll: (p) => polls.push(p.state),
    });
    expect(
      polls.filter((s) => /the last poll failed: GitHub failed to read Pages .*502/.test(s)),
    ).toHaveLength(2);
    expect(polls.filter((s) => /the last poll failed: .*latest Pages build \(503/.test(s))).toHaveLength(3);
    expect(polls.at(-1)).toBe('live');
    expect(await fetch(pagesUrl).then((r) => r.text())).toBe('gh-flaky-pages');
  });

  test('a rate limit ends the wait, for Temporal to retry after the time GitHub asks', async () => {
    const { repo, commitSha } = await publishedRepo('gh-long-limit-pages');
    gh.inject('GET /repos/{owner}/{repo}/pages/builds/latest', {
      status: 403,
      message: 'You have exceeded a secondary rate limit',
      headers: { 'retry-after': '60' },
    });
    await expect(forge.waitForPages(repo, commitSha, { pollIntervalMs: 20 })).rejects.toMatchObject({
      nonRetryable: false,
      nextRetryDelay: 60_000,
    });
  });
});

describe('GitHub errors become failures Temporal understands, without the token', () => {
  test('401: invalid or expired token, not retried', async () => {
    const bad = new GitHubForge({ token: 'ghp_wrongTokenValue0000000000000000000', apiUrl: gh.url });
    const err = await bad.ensureRepo({ name: 'x', description: '', mustExist: false }).catch((e: Error) => e);
    expect(err).toMatchObject({
      nonRetryable: true,
      message: expect.stringMatching(/GITHUB_TOKEN.*invalid or expired/),
    });
    expect(String(err)).not.toContain('ghp_wrongTokenValue');
  });

  test('403 without rate limiting names the scope the token needs', async () => {
    gh.inject('POST /user/repos', {
      status: 403,
      message: 'Resource not accessible by personal access token',
      headers: { 'x-accepted-oauth-scopes': 'repo' },
    });
    const err = await forge
      .ensureRepo({ name: 'gh-forbidden', description: '', mustExist: false })
      .catch((e: Error) => e);
    expect(err).toMatchObject({
      nonRetryable: true,
      message: expect.stringMatching(/`repo` \(or `public_repo`\) scope.*accepts: repo/),
    });
  });

  test('a secondary rate limit is retried after the time GitHub asks for', async () => {
    gh.inject('GET /repos/{owner}/{repo}', {
      status: 403,
      message: 'You have exceeded a secondary rate limit',
      headers: { 'retry-after': '42' },
    });
    await expect(
      forge.ensureRepo({ name: 'gh-limited', description: '', mustExist: false }),
    ).rejects.toMatchObject({
      nonRetryable: false,
      nextRetryDelay: 42_000,
    });
  });

  test('the primary rate limit waits until x-ratelimit-reset', async () => {
    const reset = Math.floor(Date.now() / 1000) + 120;
    gh.inject('GET /repos/{owner}/{repo}', {
      status: 403,
      message: 'API rate limit exceeded',
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) },
    });
    const err = (await forge
      .ensureRepo({ name: 'gh-limited', description: '', mustExist: false })
      .catch((e: unknown) => e)) as { nextRetryDelay: number };
    expect(err.nextRetryDelay).toBeGreaterThan(100_000);
    expect(err.nextRetryDelay).toBeLessThanOrEqual(120_000);
  });

  test('a call GitHub leaves hanging is abandoned after the request timeout, retryably', async () => {
    const impatient = new GitHubForge({ token: gh.token, apiUrl: gh.url, requestTimeoutMs: 200 });
    gh.inject('GET /user', { delayMs: 3_000 });
    const startedAt = Date.now();
    await expect(
      impatient.ensureRepo({ name: 'gh-hanging', description: '', mustExist: false }),
    ).rejects.toMatchObject({
      nonRetryable: false,
      message: expect.stringMatching(/GitHub failed to read the token’s user \(500: .*timeout/),
    });
    expect(Date.now() - startedAt).toBeLessThan(2_000);
  });

  test('5xx is retryable', async () => {
    gh.inject('GET /repos/{owner}/{repo}', { status: 502, message: 'Bad Gateway' });
    await expect(
      forge.ensureRepo({ name: 'gh-5xx', description: '', mustExist: false }),
    ).rejects.toMatchObject({ nonRetryable: false });
  });
});

test('waitForPages does not return for round 2 while round 1’s build is still the latest', async () => {
  const repo = await forge.ensureRepo({ name: 'gh-two-builds', description: 'd', mustExist: false });
  await forge.ensurePages(repo);
  const r1 = await forge.publish(repo, {
    title: 'r1',
    idempotencyKey: 't1',
    files: [file('index.html', 'one')],
  });
  await forge.waitForPages(repo, r1.commitSha, { pollIntervalMs: 20 });
  gh.timing.queueMs = 400;
  try {
    const r2 = await forge.publish(repo, {
      title: 'r2',
      idempotencyKey: 't2',
      files: [file('index.html', 'two')],
    });
    const polls: string[] = [];
    await forge.waitForPages(repo, r2.commitSha, { pollIntervalMs: 20, onPoll: (p) => polls.push(p.state) });
    expect(polls[0]).toBe(`latest build is for ${r1.commitSha.slice(0, 7)}`);
    expect(polls.at(-1)).toBe('live');
    expect(await fetch((await forge.ensurePages(repo)).pagesUrl).then((r) => r.text())).toBe('two');
  } finally {
    gh.timing.queueMs = 0;
  }
});

test('the GitHub calls of a publish do not grow with the number of text files', async () => {
  const callsOfPublish = async (name: string, count: number) => {
    const repo = await forge.ensureRepo({ name, description: 'd', mustExist: false });
    const before = [...gh.calls.values()].reduce((a, b) => a + b, 0);
    const files = Array.from({ length: count }, (_, i) => file(`src/file-${i}.js`, `export const n = ${i};`));
    await forge.publish(repo, { title: 'r', idempotencyKey: name, files });
    return [...gh.calls.values()].reduce((a, b) => a + b, 0) - before;
  };
  const three = await callsOfPublish('gh-3-files', 3);
  const thirty = await callsOfPublish('gh-30-files', 30);
  console.log(`GitHub API calls per publish: 3 files → ${three}, 30 files → ${thirty}`);
  expect(thirty).toBe(three);
});

test('a name that now leads to someone else’s repo (renamed or transferred) is not reused', async () => {
  const other = new GitHubForge({ token: gh.token, apiUrl: gh.url, owner: 'someone-else' });
  await other.ensureRepo({ name: 'their-app', description: 'd', mustExist: false });
  gh.redirect(`${gh.login}/gh-taken`, 'someone-else/their-app');
  await expect(
    forge.ensureRepo({ name: 'gh-taken', description: 'd', mustExist: false }),
  ).rejects.toMatchObject({
    nonRetryable: true,
    message: expect.stringMatching(/now leads to someone-else\/their-app/),
  });
});
