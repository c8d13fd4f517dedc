import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import express from 'express';
import { LocalBlobStore } from '../../src/blobs/blobStore';
import { LocalForge } from '../../src/forge/localForge';
import { localForgeRouter } from '../../src/forge/localForgeHttp';

let root: string;
let server: http.Server;
let base: string;
let forge: LocalForge;
const now = () => new Date('2026-03-04T05:06:07Z');
/** git talks to the server in this process, so it must not block the event loop. */
const git = promisify(execFile);

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'llm-deploy-forge-'));
  server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  forge = new LocalForge({ root: path.join(root, 'forge'), owner: 'alice', publicBaseUrl: base, now });
  const app = express();
  app.use(localForgeRouter(forge, path.join(root, 'forge')));
  server.on('request', app);
});

afterAll(async () => {
  await new Promise<void>((r) => {
    server.close(() => r());
    server.closeAllConnections();
  });
  rmSync(root, { recursive: true, force: true });
});

const file = (p: string, text: string) => ({ path: p, content: Buffer.from(text) });

test('ensureRepo creates a repo with an initial commit once, and reuses it after', async () => {
  const repo = await forge.ensureRepo({ name: 'app-1', description: 'An app', mustExist: false });
  expect(repo).toEqual({ owner: 'alice', name: 'app-1', url: `${base}/git/alice/app-1` });
  const again = await Promise.all(
    [1, 2, 3].map(() => forge.ensureRepo({ name: 'app-1', description: 'x', mustExist: false })),
  );
  expect(again).toEqual([repo, repo, repo]);
  const files = await forge.readFiles(repo);
  expect(files.map((f) => f.path).sort()).toEqual(['.nojekyll', 'LICENSE', 'README.md']);
  expect(files.find((f) => f.path === 'LICENSE')!.content.toString()).toContain('Copyright (c) 2026 alice');
});

test('ensureRepo for a revision refuses a repo that does not exist', async () => {
  await expect(forge.ensureRepo({ name: 'ghost', description: '', mustExist: true })).rejects.toThrow(
    /send round 1/,
  );
});

test('publish makes one commit per key, on top of the current tree, and recognises a retry', async () => {
  const repo = await forge.ensureRepo({ name: 'app-2', description: 'd', mustExist: false });
  const binary = Buffer.from([0, 1, 2, 255, 254]);
  const first = await forge.publish(repo, {
    title: 'Round 1',
    idempotencyKey: 'nonce-a',
    files: [file('index.html', '<p>1</p>'), { path: 'img/logo.bin', content: binary }],
  });
  expect(first.created).toBe(true);
  const retried = await forge.publish(repo, {
    title: 'Round 1',
    idempotencyKey: 'nonce-a',
    files: [file('index.html', 'other')],
  });
  expect(retried).toEqual({ commitSha: first.commitSha, created: false });

  const second = await forge.publish(repo, {
    title: 'Round 2',
    idempotencyKey: 'nonce-b',
    files: [file('index.html', '<p>2</p>')],
  });
  expect(second.created).toBe(true);
  const files = new Map((await forge.readFiles(repo)).map((f) => [f.path, f.content]));
  expect(files.get('index.html')!.toString()).toBe('<p>2</p>');
  expect(files.get('img/logo.bin')).toEqual(binary);
  expect(files.has('LICENSE')).toBe(true);

  const gitDir = forge.gitDirFor('alice', 'app-2');
  const parent = execFileSync('git', ['--git-dir', gitDir, 'rev-parse', `${second.commitSha}^`], {
    encoding: 'utf8',
  }).trim();
  expect(parent).toBe(first.commitSha);
  // Publishing leaves no working refs behind: main is the repo's only ref.
  const refs = execFileSync('git', ['--git-dir', gitDir, 'for-each-ref', '--format=%(refname)'], {
    encoding: 'utf8',
  });
  expect(refs.trim().split('\n')).toEqual(['refs/heads/main']);
});

test('concurrent publishes with different keys both land, one after the other', async () => {
  const repo = await forge.ensureRepo({ name: 'app-3', description: 'd', mustExist: false });
  const results = await Promise.all(
    ['k1', 'k2', 'k3'].map((k) =>
      forge.publish(repo, { title: k, idempotencyKey: k, files: [file(`${k}.txt`, k)] }),
    ),
  );
  expect(new Set(results.map((r) => r.commitSha)).size).toBe(3);
  const paths = (await forge.readFiles(repo)).map((f) => f.path);
  expect(paths).toEqual(expect.arrayContaining(['k1.txt', 'k2.txt', 'k3.txt']));
  const gitDir = forge.gitDirFor('alice', 'app-3');
  expect(
    execFileSync('git', ['--git-dir', gitDir, 'rev-list', '--count', 'main'], { encoding: 'utf8' }).trim(),
  ).toBe('4');
});

test('repo_url clones with git; pushing is refused', async () => {
  const repo = await forge.ensureRepo({ name: 'app-4', description: 'd', mustExist: false });
  const { commitSha } = await forge.publish(repo, {
    title: 'r1',
    idempotencyKey: 'n',
    files: [file('index.html', 'hi')],
  });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'llm-deploy-clone-'));
  try {
    await git('git', ['clone', '--quiet', repo.url, dir], {
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
    });
    expect((await git('git', ['-C', dir, 'rev-parse', 'HEAD'])).stdout.trim()).toBe(commitSha);
    expect(readFileSync(path.join(dir, 'index.html'), 'utf8')).toBe('hi');
    await git('git', [
      '-C',
      dir,
      '-c',
      'user.name=x',
      '-c',
      'user.email=x@x',
      'commit',
      '--allow-empty',
      '-qm',
      'evil',
    ]);
    await expect(
      git('git', ['-C', dir, 'push', '--quiet', 'origin', 'HEAD:main'], {
        env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
      }),
    ).rejects.toThrow(/403|read-only/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  expect((await fetch(`${base}/git/alice/no-such-repo/info/refs?service=git-upload-pack`)).status).toBe(404);
});

test('Pages serves the latest commit once enabled, with content types, directories and 404s', async () => {
  const repo = await forge.ensureRepo({ name: 'site', description: 'd', mustExist: false });
  const { commitSha } = await forge.publish(repo, {
    title: 'r1',
    idempotencyKey: 'n1',
    files: [
      file('index.html', '<h1>v1</h1>'),
      file('data/a.json', '{"a":1}'),
      file('docs/index.html', 'docs'),
    ],
  });
  const pagesUrl = `${base}/pages/alice/site/`;
  expect((await fetch(pagesUrl)).status).toBe(404);
  expect(await forge.ensurePages(repo)).toEqual({ pagesUrl });
  expect(await forge.ensurePages(repo)).toEqual({ pagesUrl });
  await expect(forge.waitForPages(repo, commitSha, { pollIntervalMs: 10 })).resolves.toEqual({ pagesUrl });

  const page = await fetch(pagesUrl);
  expect(page.headers.get('content-type')).toMatch(/^text\/html/);
  expect(await page.text()).toBe('<h1>v1</h1>');
  const json = await fetch(`${pagesUrl}data/a.json`);
  expect(json.headers.get('content-type')).toMatch(/^application\/json/);
  expect(await fetch(`${pagesUrl}docs`, { redirect: 'manual' }).then((r) => r.headers.get('location'))).toBe(
    '/pages/alice/site/docs/',
  );
  expect(await fetch(`${pagesUrl}docs/`).then((r) => r.text())).toBe('docs');
  expect((await fetch(`${pagesUrl}missing.js`)).status).toBe(404);
  expect((await fetch(`${pagesUrl}..%2f..%2fsite.git%2fconfig`)).status).toBe(404);
  expect(await fetch(`${base}/pages/alice/site`, { redirect: 'manual' }).then((r) => r.status)).toBe(301);

  await forge.publish(repo, {
    title: 'r2',
    idempotencyKey: 'n2',
    files: [file('index.html', '<h1>v2</h1>')],
  });
  expect(await fetch(pagesUrl).then((r) => r.text())).toBe('<h1>v2</h1>');
});

test('the blob store names blobs by content and refuses names that are not hashes', async () => {
  const blobs = new LocalBlobStore(path.join(root, 'blobs'));
  const ref = await blobs.put(Buffer.from('hello'));
  expect(ref).toEqual({
    sha256: '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824',
    size: 5,
  });
  expect(await blobs.put(Buffer.from('hello'))).toEqual(ref);
  expect((await blobs.get(ref)).toString()).toBe('hello');
  await expect(blobs.get({ sha256: '../../etc/passwd' })).rejects.toThrow(/not in the blob store/);
  await expect(blobs.get({ sha256: 'f'.repeat(64) })).rejects.toThrow(/not in the blob store/);
});
