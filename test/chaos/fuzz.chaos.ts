import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import fc from 'fast-check';
import { createApp } from '../../src/api/app';
import { LocalBlobStore } from '../../src/blobs/blobStore';
import { loadConfig } from '../../src/config';
import { createLocalForge, localForgeRoot } from '../../src/forge/createForge';
import { localForgeRouter } from '../../src/forge/localForgeHttp';
import { createLogger } from '../../src/log';
import { chaosSeed } from '../helpers/chaosSeed';
import { startTemporal } from '../helpers/temporal';

/**
 * 2,000 generated request bodies against the real API on a real Temporal (no worker: accepted
 * rounds just wait): wrong types, huge strings, unicode, prototype-pollution keys, path traversal in
 * attachment names and task ids, bad data: URIs, nested garbage and non-JSON. Every answer must be
 * 200/400/401/403/413 with a JSON body, the process must stay up, and nothing may be written
 * outside DATA_DIR.
 */
const secret = 'fuzz-secret';
const allowed = new Set([200, 400, 401, 403, 413]);
let env: TestWorkflowEnvironment;
let server: http.Server;
let api: string;
let root: string;
let dataDir: string;

beforeAll(async () => {
  env = await startTemporal();
  root = mkdtempSync(path.join(os.tmpdir(), 'llm-deploy-fuzz-'));
  dataDir = path.join(root, 'data');
  mkdirSync(dataDir);
  server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const config = loadConfig({
    PORT: String(port),
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    DATA_DIR: dataDir,
    API_SECRETS: secret,
    TEMPORAL_TASK_QUEUE: 'fuzz-no-worker',
    MAX_BODY_BYTES: '64kb',
    RATE_LIMIT_PER_MINUTE: '0',
  });
  const forge = createLocalForge(config);
  server.on(
    'request',
    createApp({
      config,
      temporal: env.client,
      blobs: new LocalBlobStore(path.join(config.dataDir, 'blobs')),
      logger: createLogger('silent'),
      forge,
      forgeRoutes: localForgeRouter(forge, localForgeRoot(config)),
    }),
  );
  api = `http://127.0.0.1:${port}`;
}, 120_000);

afterAll(async () => {
  await new Promise<void>((resolve) => {
    server?.close(() => resolve());
    server?.closeAllConnections();
  });
  await env?.teardown();
  rmSync(root, { recursive: true, force: true });
});

const hostileNames = [
  '../../etc/passwd',
  '/etc/passwd',
  '..\\..\\windows\\system32',
  '.git/config',
  'a/../../b',
  '',
  '.',
  '..',
  'ok.csv',
  'data/ok.json',
  'ｆｕｌｌ.txt',
  'nul\u0000byte.txt',
  'x'.repeat(400),
];
const pollutionKeys = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'];

const garbage: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything({ maxDepth: 3, withBigInt: false }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ minLength: 20_000, maxLength: 90_000 }),
  fc.constantFrom(null, true, 0, -1, 1.5, 1e300, [], {}, '', ' ', '\u202e', '💥'),
  fc.dictionary(fc.constantFrom(...pollutionKeys), fc.anything({ maxDepth: 2 })),
);

const dataUri = fc.oneof(
  fc.constant('data:text/plain;base64,aGVsbG8='),
  fc.constant('data:text/csv,a%2Cb%0A1%2C2'),
  fc.constant('data:;base64,!!!not-base64!!!'),
  fc.constant('data:text/plain;base64'),
  fc.constant('http://example.com/file.csv'),
  fc.constant('file:///etc/passwd'),
  fc.constant('javascript:alert(1)'),
  fc.string({ maxLength: 100 }).map((s) => `data:${s}`),
  garbage,
);

const attachment = fc.oneof(
  fc.record({ name: fc.oneof(fc.constantFrom(...hostileNames), garbage), url: dataUri }),
  garbage,
);

const nearValid = fc.record(
  {
    email: fc.oneof(fc.constant('student@example.com'), fc.emailAddress(), garbage),
    secret: fc.oneof(fc.constant(secret), fc.constant(secret), fc.string({ maxLength: 40 }), garbage),
    task: fc.oneof(
      fc.constant('fuzz-task'),
      fc.constantFrom(
        '../escape',
        '..',
        '.git',
        'a/b',
        'task with spaces',
        '-leading',
        'x'.repeat(120),
        '😀',
      ),
      fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/),
      garbage,
    ),
    round: fc.oneof(fc.integer({ min: -5, max: 1000 }), fc.constantFrom('1', '2', 'one', '1e3'), garbage),
    nonce: fc.oneof(fc.uuid(), fc.string({ maxLength: 300 }), garbage),
    brief: fc.oneof(
      fc.string({ minLength: 1, maxLength: 500 }),
      fc.record({ name: fc.string(), description: fc.string() }),
      garbage,
    ),
    checks: fc.oneof(
      fc.array(fc.oneof(fc.string(), fc.record({ js: fc.string() }), garbage), { maxLength: 5 }),
      garbage,
    ),
    evaluation_url: fc.oneof(
      fc.constant('http://127.0.0.1:9/cb'),
      fc.webUrl(),
      fc.constantFrom('ftp://x', 'javascript:alert(1)', 'not a url', ''),
      garbage,
    ),
    attachments: fc.oneof(fc.array(attachment, { maxLength: 4 }), garbage),
  },
  { requiredKeys: [] },
);

/** Bodies that must be accepted, and bodies over MAX_BODY_BYTES, so every answer class is exercised. */
const valid = fc
  .record({ task: fc.stringMatching(/^[a-z][a-z0-9-]{2,20}$/), nonce: fc.uuid() })
  .map(({ task, nonce }) =>
    JSON.stringify({
      email: 'student@example.com',
      secret,
      task,
      round: 1,
      nonce,
      brief: 'A page',
      checks: ['document.title !== ""'],
      evaluation_url: 'http://127.0.0.1:9/cb',
      attachments: [{ name: 'a.txt', url: 'data:text/plain;base64,aGVsbG8=' }],
    }),
  );
const oversized = fc
  .string({ minLength: 70_000, maxLength: 80_000 })
  .map((brief) => JSON.stringify({ secret, brief }));

/** A body as the wire carries it: JSON of a near-valid or garbage value, or not JSON at all. */
const body: fc.Arbitrary<string> = fc.oneof(
  { weight: 1, arbitrary: valid },
  { weight: 1, arbitrary: oversized },
  { weight: 6, arbitrary: nearValid.map((v) => JSON.stringify(v)) },
  { weight: 2, arbitrary: garbage.map((v) => JSON.stringify(v) ?? 'undefined') },
  {
    weight: 1,
    arbitrary: nearValid.map(
      (v) =>
        `{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}},${JSON.stringify(v).slice(1)}`,
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 500 }) },
);

test('2,000 generated bodies: never a 5xx, always a JSON answer, nothing outside DATA_DIR', async () => {
  const fuzzSeed = chaosSeed('fuzz');
  const seen = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(body, fc.constantFrom('/api/tasks', '/task', '/api-endpoint'), async (text, route) => {
      const res = await fetch(`${api}${route}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: text,
      });
      seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
      expect(allowed.has(res.status)).toBe(true);
      const answer = (await res.json()) as { status?: string; error?: string };
      if (res.status !== 200) {
        expect(answer.status).toBe('error');
        expect(answer.error).not.toMatch(/\n\s+at /); // no stack trace
      }
    }),
    { numRuns: 2000, seed: fuzzSeed },
  );
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect((await fetch(`${api}/health`)).status).toBe(200);
  expect(readdirSync(root)).toEqual(['data']);
  // The mix exercised the main answers, not just one of them.
  for (const status of [200, 400, 401, 403, 413]) expect(seen.get(status) ?? 0).toBeGreaterThan(0);
}, 600_000);
